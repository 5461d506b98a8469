"""The CRM itself: models, services, forms and views of one sandboxed instance."""
