"""CRM services: typed functions that change the instance, log every change, flush but never commit."""
