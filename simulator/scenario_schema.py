"""The JSON Schema of a practical scenario file (shape only; meaning is checked in ``scenario_rules``)."""

from __future__ import annotations

from simulator.crm.enums import (
    AcquisitionMethod,
    ActivityStatus,
    ActivityType,
    CompanySize,
    ContactChannel,
    Currency,
    CustomerType,
    DataSource,
    LegalForm,
    LossReason,
    OpportunityStatus,
    Priority,
    SaleForm,
    VatRate,
    Voivodeship,
)
from simulator.scenario_schema_ext import REGISTERS, ROLE, SEED_SECTIONS, TASK_TEMPLATE
from simulator.scenario_tasks import TASKS


def _enum(enum) -> dict:
    return {"enum": [m.value for m in enum]}


KEY = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"}
TEXT = {"type": "string", "minLength": 1}
ANY_TEXT = {"type": "string"}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
TIME = {"type": "string", "pattern": r"^\d{2}:\d{2}$"}
AMOUNT = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"}]}
PERCENT = {"type": "integer", "minimum": 0, "maximum": 100}


def _record(required: list[str], properties: dict) -> dict:
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False}


USER = _record(["key", "name"], {"key": KEY, "name": TEXT, "email": ANY_TEXT, "me": {"type": "boolean"}, "role": KEY})

ACCOUNT = _record(
    ["key", "name", "data_source", "owner"],
    {
        "key": KEY,
        "name": TEXT,
        "nip": ANY_TEXT,
        "regon": ANY_TEXT,
        "krs": ANY_TEXT,
        "legal_form": _enum(LegalForm),
        "pesel": ANY_TEXT,
        "street": ANY_TEXT,
        "postal_code": ANY_TEXT,
        "city": ANY_TEXT,
        "voivodeship": _enum(Voivodeship),
        "pkd": ANY_TEXT,
        "size": _enum(CompanySize),
        "email": ANY_TEXT,
        "phone": ANY_TEXT,
        "website": ANY_TEXT,
        "data_source": _enum(DataSource),
        "acquisition_method": _enum(AcquisitionMethod),
        "preferred_channel": _enum(ContactChannel),
        "owner": KEY,
        "notes": ANY_TEXT,
    },
)

CONTACT = _record(
    ["key", "first_name", "last_name", "data_source"],
    {
        "key": KEY,
        "first_name": TEXT,
        "last_name": TEXT,
        "sex": {"enum": ["K", "M"]},
        "account": KEY,
        "position": ANY_TEXT,
        "email": ANY_TEXT,
        "phone": ANY_TEXT,
        "pesel": ANY_TEXT,
        "birth_date": DATE,
        "data_source": _enum(DataSource),
        "acquisition_method": _enum(AcquisitionMethod),
        "preferred_channel": _enum(ContactChannel),
        "notes": ANY_TEXT,
    },
)

PRODUCT = _record(
    ["key", "name", "unit", "net_price", "vat_rate"],
    {
        "key": KEY,
        "code": ANY_TEXT,
        "name": TEXT,
        "unit": TEXT,
        "net_price": AMOUNT,
        "vat_rate": {"enum": [*(m.value for m in VatRate), 23, 8, 5, 0]},
        "description": ANY_TEXT,
        "active": {"type": "boolean"},
    },
)

STAGE = _record(
    ["key", "name", "probability"],
    {
        "key": KEY,
        "name": TEXT,
        "probability": PERCENT,
        "required_activities": {"type": "array", "items": _enum(ActivityType), "uniqueItems": True},
        "tasks": {"type": "array", "items": TASK_TEMPLATE},
    },
)

PIPELINE = _record(
    ["key", "name", "stages"],
    {
        "key": KEY,
        "name": TEXT,
        "description": ANY_TEXT,
        "customer_type": _enum(CustomerType),
        "sale_form": _enum(SaleForm),
        "product_line": ANY_TEXT,
        "stages": {"type": "array", "items": STAGE, "minItems": 1},
    },
)

OPPORTUNITY = _record(
    ["key", "name", "account", "value", "pipeline", "stage", "owner"],
    {
        "key": KEY,
        "name": TEXT,
        "account": KEY,
        "contact": KEY,
        "value": AMOUNT,
        "currency": _enum(Currency),
        "pipeline": KEY,
        "stage": KEY,
        "probability": PERCENT,
        "expected_close": DATE,
        "owner": KEY,
        "status": _enum(OpportunityStatus),
        "loss_reason": _enum(LossReason),
        "loss_note": ANY_TEXT,
        "closed_on": DATE,
    },
)

ACTIVITY = _record(
    ["type", "subject", "due_date", "owner"],
    {
        "key": KEY,
        "type": _enum(ActivityType),
        "subject": TEXT,
        "description": ANY_TEXT,
        "due_date": DATE,
        "due_time": TIME,
        "priority": _enum(Priority),
        "status": _enum(ActivityStatus),
        "percent_complete": PERCENT,
        "owner": KEY,
        "account": KEY,
        "contact": KEY,
        "opportunity": KEY,
        "stage": KEY,
    },
)

NAME_POOL = _record(
    ["first_names", "last_names"],
    {
        "first_names": {"type": "array", "items": TEXT, "minItems": 1, "uniqueItems": True},
        "last_names": {"type": "array", "items": TEXT, "minItems": 1, "uniqueItems": True},
    },
)

VARIATIONS = _record(
    [],
    {
        "amounts": {
            "type": "array",
            "items": _record(
                ["target", "spread_percent", "round_to"],
                {
                    "target": {"enum": ["opportunity.value", "product.net_price"]},
                    "spread_percent": {"type": "integer", "minimum": 1, "maximum": 50},
                    "round_to": {"type": "number", "exclusiveMinimum": 0},
                },
            ),
        },
        "dates": {
            "type": "array",
            "items": _record(
                ["target", "shift_days"],
                {
                    "target": {"enum": ["opportunity.expected_close", "activity.due_date"]},
                    "shift_days": {"type": "integer", "minimum": 1, "maximum": 30},
                },
            ),
        },
        "contact_names": _record(
            [],
            {
                "female": NAME_POOL,
                "male": NAME_POOL,
                "email_from_name": {"type": "boolean"},
                "keep": {"type": "array", "items": KEY, "uniqueItems": True},
            },
        ),
    },
)


def _list_of(item: dict) -> dict:
    return {"type": "array", "items": item}


SCHEMA = _record(
    ["id", "title", "kind", "business_date", "users", "seed"],
    {
        "id": KEY,
        "title": TEXT,
        "kind": {"enum": ["practice", "exam"]},
        "description": ANY_TEXT,
        "company": _record(["name"], {"name": TEXT, "description": ANY_TEXT}),
        "business_date": DATE,
        "users": {"type": "array", "items": USER, "minItems": 1},
        "roles": {"type": "array", "items": ROLE},
        "registers": REGISTERS,
        "variations": VARIATIONS,
        "seed": _record(
            [],
            {
                "accounts": _list_of(ACCOUNT),
                "contacts": _list_of(CONTACT),
                "products": _list_of(PRODUCT),
                "pipelines": _list_of(PIPELINE),
                "opportunities": _list_of(OPPORTUNITY),
                "activities": _list_of(ACTIVITY),
                **SEED_SECTIONS,
            },
        ),
        "tasks": TASKS,
    },
)
