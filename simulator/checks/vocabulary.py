"""The stable vocabulary in which scenario checks name CRM records: entities and their fields.

An entity is a CRM model under a fixed English name (``account`` = firma, ``opportunity`` = szansa …); its fields
are the model's column names, a foreign key ``x_id`` appearing as the reference field ``x``. Scenario files use
only these names, so a renamed Python attribute must keep its vocabulary name here. Seeded records are named by
the keys they have in the scenario's ``seed`` (ids follow their order in the file, see ``simulator.seed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Date, Integer, LargeBinary, Time

from simulator.crm import models as m
from simulator.crm.base import Money, UTCDateTime

ENTITY_MODELS: dict[str, type] = {
    "account": m.Account,
    "contact": m.Contact,
    "product": m.Product,
    "pipeline": m.Pipeline,
    "stage": m.Stage,
    "opportunity": m.Opportunity,
    "stage_history": m.StageHistory,
    "activity": m.Activity,
    "offer": m.Offer,
    "offer_item": m.OfferItem,
    "offer_template": m.OfferTemplate,
    "offer_template_version": m.OfferTemplateVersion,
    "outbox": m.OutboxMessage,
    "report": m.SavedReport,
    "segment": m.Segment,
    "segment_member": m.SegmentMember,
    "goal": m.SalesGoal,
    "task_template": m.TaskTemplate,
    "purpose": m.ProcessingPurpose,
    "consent": m.Consent,
    "request": m.SubjectRequest,
    "user": m.CrmUser,
    "role": m.CrmRole,
}
ENTITY_LABELS = {
    "account": "firma",
    "contact": "osoba kontaktowa",
    "product": "produkt",
    "pipeline": "lejek",
    "stage": "etap lejka",
    "opportunity": "szansa sprzedaży",
    "stage_history": "historia etapów",
    "activity": "działanie / zadanie",
    "offer": "oferta",
    "offer_item": "pozycja oferty",
    "offer_template": "szablon oferty",
    "offer_template_version": "wersja szablonu oferty (temat i treść)",
    "outbox": "wiadomość w skrzynce nadawczej",
    "report": "zapisany raport",
    "segment": "segment",
    "segment_member": "członek segmentu",
    "goal": "cel sprzedażowy",
    "task_template": "zadanie etapu (szablon)",
    "purpose": "cel przetwarzania",
    "consent": "zgoda",
    "request": "żądanie RODO",
    "user": "użytkownik CRM",
    "role": "rola CRM",
}
# the scenario's list whose keys name seeded records of an entity (``stage`` is nested in pipelines)
SEED_SECTIONS = {
    "account": "accounts",
    "contact": "contacts",
    "product": "products",
    "pipeline": "pipelines",
    "opportunity": "opportunities",
    "activity": "activities",
    "purpose": "purposes",
    "goal": "goals",
    "segment": "segments",
}
# the ``entity_type`` the CRM writes into the action log for an entity, where it differs from the name
LOG_TYPES = {"request": "subject_request"}
IDENTIFIERS = frozenset({"nip", "regon", "krs", "pesel", "postal_code"})
TABLE_ENTITY = {model.__tablename__: name for name, model in ENTITY_MODELS.items()}


@dataclass(frozen=True)
class Field:
    """A field of an entity: its vocabulary name, the SQL that reads it, its kind and (for references) target."""

    name: str
    sql: str
    kind: str  # text, identifier, phone, money, number, date, time, datetime, bool, enum, ref
    ref: str | None = None
    choices: tuple[str, ...] = ()  # the stored values an enum field may hold


KINDS = (
    (Money, "money"),
    (UTCDateTime, "datetime"),
    (Boolean, "bool"),
    (Date, "date"),
    (Time, "time"),
    (Integer, "number"),
)


def _kind(column) -> str:
    kind = next((name for type_, name in KINDS if isinstance(column.type, type_)), None)
    if kind is None and getattr(column.type, "enum_class", None) is not None:
        kind = "enum"
    if kind is None and column.key == "phone":
        kind = "phone"
    return kind or ("identifier" if column.key in IDENTIFIERS else "text")


def _fields(entity: str) -> dict[str, Field]:
    table = ENTITY_MODELS[entity].__table__
    found: dict[str, Field] = {}
    for column in table.columns:
        if isinstance(column.type, LargeBinary):
            continue
        foreign = next(iter(column.foreign_keys), None)
        target = TABLE_ENTITY.get(foreign.column.table.name) if foreign is not None else None
        if target is not None and column.key.endswith("_id"):
            found[column.key.removesuffix("_id")] = Field(column.key.removesuffix("_id"), column.key, "ref", target)
        else:
            enum_class = getattr(column.type, "enum_class", None)
            choices = tuple(str(member.value) for member in enum_class) if enum_class is not None else ()
            found[column.key] = Field(column.key, column.key, _kind(column), choices=choices)
    return found


FIELDS: dict[str, dict[str, Field]] = {entity: _fields(entity) for entity in ENTITY_MODELS}
FIELDS["contact"]["full_name"] = Field("full_name", "first_name || ' ' || last_name", "text")
# value × probability / 100, rounded half up to the grosz per opportunity (as the CRM's reports and board show it)
FIELDS["opportunity"]["weighted"] = Field("weighted", "(value * probability + 50) / 100", "money")
PSEUDO_FIELDS = {
    "key": "rekord z danych początkowych o tym kluczu",
    "new": "rekord dodany w trakcie pracy (true/false)",
}


def table(entity: str) -> str:
    """Return the SQL table of an entity."""
    return ENTITY_MODELS[entity].__tablename__


def field(entity: str, name: str) -> Field | None:
    """Return a field of an entity, or None."""
    return FIELDS.get(entity, {}).get(name)


def resolve_path(entity: str, path: str) -> tuple[list[Field], str | None]:
    """Follow a dotted field path (``account.nip``); return the fields on the way, or an error message."""
    fields, current = [], entity
    parts = path.split(".")
    for index, part in enumerate(parts):
        found = field(current, part)
        if found is None:
            known = ", ".join(sorted(FIELDS[current]))
            return [], f"encja „{current}” nie ma pola „{part}” (dostępne: {known})"
        fields.append(found)
        if index < len(parts) - 1:
            if found.ref is None:
                return [], f"pole „{part}” nie jest odwołaniem do innej encji, więc nie ma w nim „{parts[index + 1]}”"
            current = found.ref
    return fields, None


def seed_ids(data: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Return entity → seed key → id of a scenario's seeded records (ids follow the order in the file)."""
    seed = data.get("seed", {})
    ids: dict[str, dict[str, int]] = {}
    for entity, section in SEED_SECTIONS.items():
        ids[entity] = {item["key"]: i for i, item in enumerate(seed.get(section, []), start=1) if item.get("key")}
    ids["user"] = {item["key"]: i for i, item in enumerate(data.get("users", []), start=1)}
    stages: dict[str, int] = {}
    names: dict[str, list[int]] = {}
    stage_id = 0
    for pipeline in seed.get("pipelines", []):
        for stage in pipeline["stages"]:
            stage_id += 1
            stages[f"{pipeline['key']}.{stage['key']}"] = stage_id
            names.setdefault(stage["key"], []).append(stage_id)
    stages.update({key: found[0] for key, found in names.items() if len(found) == 1})
    ids["stage"] = stages
    return ids
