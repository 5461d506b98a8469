"""The CRM's pages under ``/i/<token>/``; importing this package registers every route on ``bp``."""

from simulator.crm.views import accounts, activities, contacts, home, opportunities, pipelines, products
from simulator.crm.views import goals as goals
from simulator.crm.views import lookups as lookups
from simulator.crm.views import offers as offers
from simulator.crm.views import reports as reports
from simulator.crm.views import rodo as rodo
from simulator.crm.views import schedule as schedule
from simulator.crm.views import segments as segments
from simulator.crm.views import tasks as tasks
from simulator.crm.views import users as users
from simulator.crm.views.context import bp

__all__ = ["accounts", "activities", "bp", "contacts", "home", "opportunities", "pipelines", "products"]
