"""The theoretical test (test teoretyczny): blueprints, forms, attempts, answers, scoring."""
