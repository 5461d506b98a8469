"""The CRM's models; importing this package registers every table on the CRM metadata."""

from simulator.crm.models.accounts import Account, Contact
from simulator.crm.models.activities import Activity
from simulator.crm.models.catalog import Product
from simulator.crm.models.sales import Opportunity, Pipeline, Stage, StageHistory
from simulator.crm.models.system import ActionLogEntry, CrmUser, InstanceMeta

__all__ = [
    "Account",
    "ActionLogEntry",
    "Activity",
    "Contact",
    "CrmUser",
    "InstanceMeta",
    "Opportunity",
    "Pipeline",
    "Product",
    "Stage",
    "StageHistory",
]
