"""The JSON Schema of the scenario sections for roles, public-register fixtures, RODO, goals, segments and schedules.

Kept apart from ``scenario_schema`` (which includes these pieces) so each file stays readable.
"""

from __future__ import annotations

from simulator.crm.enums import ActivityType, LegalForm, Priority, Voivodeship
from simulator.crm.models.goals import GoalMetric
from simulator.crm.models.rodo import ConsentChannel, LegalBasis, RequestKind
from simulator.crm.models.roles import PROTECTED_FIELDS
from simulator.crm.models.segments import SegmentEntity, SegmentKind


def _enum(enum) -> dict:
    return {"enum": [m.value for m in enum]}


def _record(required: list[str], properties: dict) -> dict:
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False}


def _list_of(item: dict) -> dict:
    return {"type": "array", "items": item}


KEY = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"}
TEXT = {"type": "string", "minLength": 1}
ANY_TEXT = {"type": "string"}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
AMOUNT = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"}]}

ROLE = _record(
    ["key", "name"],
    {
        "key": KEY,
        "name": TEXT,
        "description": ANY_TEXT,
        "visible_fields": {"type": "array", "items": {"enum": list(PROTECTED_FIELDS)}, "uniqueItems": True},
        "manage_users": {"type": "boolean"},
    },
)

GUS_RECORD = _record(
    ["name"],
    {
        "nip": ANY_TEXT,
        "regon": ANY_TEXT,
        "krs": ANY_TEXT,
        "legal_form": _enum(LegalForm),  # never a PESEL: GUS does not publish a sole trader's PESEL
        "name": TEXT,
        "street": ANY_TEXT,
        "postal_code": ANY_TEXT,
        "city": ANY_TEXT,
        "voivodeship": _enum(Voivodeship),
        "pkd": ANY_TEXT,
        "unit_type": {"enum": ["P", "F", "LP"]},
        "status": {"enum": ["aktywny", "wykreślony", "zawieszony"]},
        "end_date": DATE,
        "parent_regon": ANY_TEXT,
    },
)

VIES_RECORD = _record(
    ["nip", "valid"], {"nip": TEXT, "valid": {"type": "boolean"}, "name": ANY_TEXT, "address": ANY_TEXT}
)

REGISTERS = _record([], {"gus": _list_of(GUS_RECORD), "vies": _list_of(VIES_RECORD)})

TASK_TEMPLATE = _record(
    ["type", "subject", "offset_days"],
    {
        "type": _enum(ActivityType),
        "subject": TEXT,
        "offset_days": {"type": "integer", "minimum": 0, "maximum": 365},
        "priority": _enum(Priority),
        "description": ANY_TEXT,
    },
)

PURPOSE = _record(
    ["key", "name", "legal_basis"],
    {
        "key": KEY,
        "name": TEXT,
        "legal_basis": _enum(LegalBasis),
        "description": ANY_TEXT,
        "retention": ANY_TEXT,
        "marketing": {"type": "boolean"},
    },
)

CONSENT = _record(
    ["contact", "purpose", "channel", "source", "given_on"],
    {
        "contact": KEY,
        "purpose": KEY,
        "channel": _enum(ConsentChannel),
        "source": TEXT,
        "given_on": DATE,
        "withdrawn_on": DATE,
        "withdrawal_source": ANY_TEXT,
    },
)

REQUEST = _record(
    ["contact", "kind", "received_on"],
    {"contact": KEY, "kind": _enum(RequestKind), "received_on": DATE, "channel": ANY_TEXT, "details": ANY_TEXT},
)

GOAL = _record(
    ["key", "name", "metric", "target", "period_from", "period_to", "owner"],
    {
        "key": KEY,
        "name": TEXT,
        "metric": _enum(GoalMetric),
        "target": AMOUNT,
        "baseline": AMOUNT,
        "period_from": DATE,
        "period_to": DATE,
        "owner": KEY,
        "pipeline": KEY,
        "relevance": ANY_TEXT,
    },
)

CONDITION = _record(["field", "op"], {"field": TEXT, "op": TEXT, "value": ANY_TEXT})

SEGMENT = _record(
    ["key", "name", "kind", "entity", "owner"],
    {
        "key": KEY,
        "name": TEXT,
        "description": ANY_TEXT,
        "kind": _enum(SegmentKind),
        "entity": _enum(SegmentEntity),
        "owner": KEY,
        "conditions": _list_of(CONDITION),
        "members": {"type": "array", "items": KEY, "uniqueItems": True},
    },
)

SEED_SECTIONS = {
    "purposes": _list_of(PURPOSE),
    "consents": _list_of(CONSENT),
    "requests": _list_of(REQUEST),
    "goals": _list_of(GOAL),
    "segments": _list_of(SEGMENT),
}
