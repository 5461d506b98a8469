"""The CRM's pages under ``/i/<token>/``; importing this package registers every route on ``bp``."""

from simulator.crm.views import accounts, activities, contacts, home, opportunities, pipelines, products
from simulator.crm.views.context import bp

__all__ = ["accounts", "activities", "bp", "contacts", "home", "opportunities", "pipelines", "products"]
