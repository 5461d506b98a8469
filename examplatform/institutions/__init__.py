"""Certifying institutions, validation centres, staff and their eligibility evidence."""
