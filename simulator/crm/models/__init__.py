"""The CRM's models; importing this package registers every table on the CRM metadata."""

from simulator.crm.models.accounts import Account, Contact
from simulator.crm.models.activities import Activity
from simulator.crm.models.catalog import Product
from simulator.crm.models.goals import GoalMetric, SalesGoal, TaskTemplate
from simulator.crm.models.offers import Offer, OfferItem, OfferTemplate, OfferTemplateVersion, OutboxMessage
from simulator.crm.models.registers import GusRecord, ViesRecord
from simulator.crm.models.reports import SavedReport
from simulator.crm.models.rodo import Consent, ProcessingPurpose, SubjectRequest
from simulator.crm.models.roles import CrmRole
from simulator.crm.models.sales import Opportunity, Pipeline, Stage, StageHistory
from simulator.crm.models.segments import Segment, SegmentMember
from simulator.crm.models.system import ActionLogEntry, CrmUser, InstanceMeta
from simulator.crm.models.tasks import TaskAnswer

__all__ = [
    "Account",
    "ActionLogEntry",
    "Activity",
    "Consent",
    "Contact",
    "CrmRole",
    "CrmUser",
    "GoalMetric",
    "GusRecord",
    "InstanceMeta",
    "Offer",
    "OfferItem",
    "OfferTemplate",
    "OfferTemplateVersion",
    "Opportunity",
    "OutboxMessage",
    "Pipeline",
    "ProcessingPurpose",
    "Product",
    "SalesGoal",
    "SavedReport",
    "Segment",
    "SegmentMember",
    "Stage",
    "StageHistory",
    "SubjectRequest",
    "TaskAnswer",
    "TaskTemplate",
    "ViesRecord",
]
