"""Segments: static lists kept by hand and rule-based segments whose members are computed live.

A rule-based segment is a saved filter: every condition must hold (AND). Conditions name a field from
``RULE_FIELDS`` and an operator from its kind; company fields apply to a person through their company.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from simulator.crm.enums import (
    AcquisitionMethod,
    CompanySize,
    ContactChannel,
    Currency,
    DataSource,
    OpportunityStatus,
    Voivodeship,
)
from simulator.crm.models import Account, Consent, Contact, CrmUser, Opportunity, ProcessingPurpose
from simulator.crm.models.rodo import ConsentChannel
from simulator.crm.models.segments import Segment, SegmentEntity, SegmentKind, SegmentMember
from simulator.crm.services.common import CrmError, Ctx, record

OPS = {
    "eq": "jest równe",
    "ne": "jest różne od",
    "starts": "zaczyna się od",
    "contains": "zawiera",
    "gte": "co najmniej",
    "lte": "najwyżej",
    "has": "ma aktywną zgodę marketingową na kanał",
    "lacks": "nie ma aktywnej zgody marketingowej na kanał",
}
KIND_OPS = {
    "choice": ("eq", "ne"),
    "text": ("eq", "starts", "contains"),
    "amount": ("gte", "lte"),
    "consent": ("has", "lacks"),
}
MAX_CONDITIONS = 6


@dataclass
class Facts:
    """Values computed once per evaluation: PLN opportunity sums per company, consented channels per person."""

    open_value: dict[int, Decimal]
    won_value: dict[int, Decimal]
    channels: dict[int, set[str]]
    contacts_of: dict[int, list[Contact]]


@dataclass(frozen=True)
class RuleField:
    """A field a condition can test, its value kind, allowed values and how to read it from a record."""

    label: str
    kind: str
    read: Callable[[Facts, Account | None, Contact | None], Any]
    values: type | None = None
    contact_only: bool = False


def _account_attr(name: str):
    return lambda facts, account, contact: getattr(account, name) if account is not None else None


def _own_attr(name: str):
    return lambda facts, account, contact: getattr(contact if contact is not None else account, name)


def _channels(facts: Facts, account: Account | None, contact: Contact | None) -> set[str]:
    if contact is not None:
        return facts.channels.get(contact.id, set())
    found: set[str] = set()
    for person in facts.contacts_of.get(account.id, []) if account is not None else []:
        found |= facts.channels.get(person.id, set())
    return found


RULE_FIELDS: dict[str, RuleField] = {
    "pkd": RuleField("branża – kod PKD", "text", _account_attr("pkd")),
    "size": RuleField("wielkość firmy", "choice", _account_attr("size"), CompanySize),
    "voivodeship": RuleField("województwo", "choice", _account_attr("voivodeship"), Voivodeship),
    "city": RuleField("miejscowość", "text", _account_attr("city")),
    "data_source": RuleField("źródło danych", "choice", _own_attr("data_source"), DataSource),
    "acquisition_method": RuleField("metoda pozyskania", "choice", _own_attr("acquisition_method"), AcquisitionMethod),
    "preferred_channel": RuleField(
        "preferowany kanał kontaktu", "choice", _own_attr("preferred_channel"), ContactChannel
    ),
    "open_value": RuleField(
        "wartość otwartych szans firmy w PLN (zł)",
        "amount",
        lambda f, a, c: f.open_value.get(a.id, Decimal(0)) if a else Decimal(0),
    ),
    "won_value": RuleField(
        "wartość wygranych szans firmy w PLN (zł)",
        "amount",
        lambda f, a, c: f.won_value.get(a.id, Decimal(0)) if a else Decimal(0),
    ),
    "consent": RuleField("zgoda marketingowa", "consent", _channels, ConsentChannel),
    "position": RuleField("stanowisko osoby", "text", lambda f, a, c: c.position if c else "", contact_only=True),
}


def _fold(value: Any) -> str:
    return str(getattr(value, "value", value) or "").strip().casefold()


def check_conditions(entity: SegmentEntity, conditions: list[dict[str, str]]) -> list[str]:
    """Return a Polish message for every condition that cannot be evaluated."""
    problems = []
    for number, condition in enumerate(conditions, start=1):
        field = RULE_FIELDS.get(condition.get("field", ""))
        op, value = condition.get("op", ""), (condition.get("value") or "").strip()
        if field is None:
            problems.append(f"Warunek {number}: nieznane pole „{condition.get('field')}”.")
            continue
        if field.contact_only and entity == SegmentEntity.ACCOUNT:
            problems.append(f"Warunek {number}: pole „{field.label}” dotyczy tylko segmentu osób.")
        if op not in KIND_OPS[field.kind]:
            allowed = ", ".join(f"„{OPS[o]}”" for o in KIND_OPS[field.kind])
            problems.append(f"Warunek {number}: dla pola „{field.label}” wybierz operator: {allowed}.")
        if not value:
            problems.append(f"Warunek {number}: podaj wartość dla pola „{field.label}”.")
        elif len(value) > 100:
            problems.append(f"Warunek {number}: wartość może mieć najwyżej 100 znaków.")
        elif field.values is not None and value not in {m.value for m in field.values}:
            allowed = ", ".join(m.value for m in field.values)
            problems.append(
                f"Warunek {number}: „{value}” nie jest dozwoloną wartością pola „{field.label}” ({allowed})."
            )
        elif field.kind == "amount":
            try:
                Decimal(value.replace(" ", "").replace(",", "."))
            except InvalidOperation:
                problems.append(f"Warunek {number}: wartość pola „{field.label}” musi być kwotą, np. 20000.")
    return problems


def _matches(condition: dict[str, str], facts: Facts, account: Account | None, contact: Contact | None) -> bool:
    field = RULE_FIELDS[condition["field"]]
    op, wanted = condition["op"], (condition.get("value") or "").strip()
    actual = field.read(facts, account, contact)
    if field.kind == "consent":
        return (wanted in actual) == (op == "has")
    if field.kind == "amount":
        limit = Decimal(wanted.replace(" ", "").replace(",", "."))
        return actual >= limit if op == "gte" else actual <= limit
    have, want = _fold(actual), wanted.casefold()
    return {
        "eq": have == want,
        "ne": have != want,
        "starts": have.startswith(want),
        "contains": want in have,
    }[op]


def _facts(ctx: Ctx) -> Facts:
    session = ctx.session
    open_value: dict[int, Decimal] = defaultdict(Decimal)
    won_value: dict[int, Decimal] = defaultdict(Decimal)
    pln = Opportunity.currency == Currency.PLN  # amounts in other currencies are not converted, so not added
    for account_id, status, value in session.execute(
        select(Opportunity.account_id, Opportunity.status, Opportunity.value).where(pln)
    ):
        if status == OpportunityStatus.OPEN:
            open_value[account_id] += value
        elif status == OpportunityStatus.WON:
            won_value[account_id] += value
    channels: dict[int, set[str]] = defaultdict(set)
    active_marketing = (
        select(Consent.contact_id, Consent.channel)
        .join(ProcessingPurpose, Consent.purpose_id == ProcessingPurpose.id)
        .where(ProcessingPurpose.marketing, Consent.withdrawn_on.is_(None))
    )
    for contact_id, channel in session.execute(active_marketing):
        channels[contact_id].add(channel.value)
    contacts_of: dict[int, list[Contact]] = defaultdict(list)
    for person in session.scalars(select(Contact).where(Contact.account_id.is_not(None))):
        contacts_of[person.account_id].append(person)
    return Facts(open_value, won_value, channels, contacts_of)


def members(ctx: Ctx, segment: Segment) -> list[Account] | list[Contact]:
    """Return the segment's companies or persons (computed now for a rule-based segment)."""
    if segment.kind == SegmentKind.STATIC:
        if segment.entity == SegmentEntity.ACCOUNT:
            return sorted((m.account for m in segment.members if m.account), key=lambda a: a.name)
        return sorted((m.contact for m in segment.members if m.contact), key=lambda c: (c.last_name, c.first_name))
    facts, conditions = _facts(ctx), segment.conditions
    if segment.entity == SegmentEntity.ACCOUNT:
        accounts = ctx.session.scalars(select(Account).order_by(Account.name))
        return [a for a in accounts if all(_matches(c, facts, a, None) for c in conditions)]
    contacts = ctx.session.scalars(select(Contact).order_by(Contact.last_name, Contact.first_name))
    return [p for p in contacts if all(_matches(c, facts, p.account, p) for c in conditions)]


def describe(condition: dict[str, str]) -> str:
    """Return a condition in Polish, e.g. "wielkość firmy jest równe średnie"."""
    field = RULE_FIELDS.get(condition["field"])
    label = field.label if field else condition["field"]
    return f"{label} {OPS.get(condition['op'], condition['op'])} {condition.get('value', '')}".strip()


def _validate(entity: SegmentEntity, kind: SegmentKind, values: dict) -> list[dict[str, str]]:
    errors: dict[str, list[str]] = {}
    if not values["name"]:
        errors["name"] = ["Podaj nazwę segmentu."]
    conditions = [c for c in values.get("conditions", []) if c.get("field")]
    if kind == SegmentKind.RULES:
        problems = check_conditions(entity, conditions)
        if not conditions:
            problems = ["Segment regułowy musi mieć co najmniej jeden warunek."]
        if problems:
            errors["conditions"] = problems
    elif conditions:
        errors["conditions"] = ["Lista statyczna nie ma warunków – członków dodaje się ręcznie na karcie segmentu."]
    if errors:
        raise CrmError(next(iter(errors.values()))[0], errors)
    return [{"field": c["field"], "op": c["op"], "value": c["value"].strip()} for c in conditions]


def create_segment(ctx: Ctx, values: dict) -> Segment:
    """Create a static list or a rule-based segment owned by the candidate."""
    kind, entity = SegmentKind(values["kind"]), SegmentEntity(values["entity"])
    conditions = _validate(entity, kind, values)
    owner_id = values.get("owner_id") or ctx.me_id
    if ctx.session.get(CrmUser, owner_id) is None:
        raise CrmError("Wskaż właściciela segmentu.", {"owner_id": ["Wskaż właściciela segmentu."]})
    segment = Segment(
        name=values["name"],
        description=values.get("description", ""),
        kind=kind,
        entity=entity,
        owner_id=owner_id,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    segment.conditions = conditions
    ctx.session.add(segment)
    ctx.session.flush()
    record(
        ctx,
        "segment.created",
        entity_type="segment",
        entity_id=segment.id,
        summary=f"Utworzono segment „{segment.name}” ({kind.label.split(' (')[0]}, {entity.label})",
        after={"name": segment.name, "kind": kind, "entity": entity, "conditions": conditions},
    )
    return segment


def update_segment(ctx: Ctx, segment: Segment, values: dict) -> bool:
    """Rename, describe or change the conditions of a segment (its kind and entity stay)."""
    conditions = _validate(segment.entity, segment.kind, values)
    old = {"name": segment.name, "description": segment.description, "conditions": segment.conditions}
    new = {"name": values["name"], "description": values.get("description", ""), "conditions": conditions}
    before = {k: old[k] for k in old if old[k] != new[k]}
    if not before:
        return False
    segment.name, segment.description, segment.conditions = new["name"], new["description"], conditions
    segment.updated_at = ctx.now
    record(
        ctx,
        "segment.updated",
        entity_type="segment",
        entity_id=segment.id,
        summary=f"Zmieniono segment „{segment.name}”: " + ", ".join(before),
        before=before,
        after={k: new[k] for k in before},
    )
    return True


def _static(segment: Segment) -> None:
    if segment.kind != SegmentKind.STATIC:
        raise CrmError("Członków segmentu regułowego wyznaczają warunki – zmień warunki zamiast listy.")


def add_member(ctx: Ctx, segment: Segment, record_id: int | None) -> bool:
    """Add a company or person to a static list; return False when it already is a member."""
    _static(segment)
    is_account = segment.entity == SegmentEntity.ACCOUNT
    target = ctx.session.get(Account if is_account else Contact, record_id) if record_id else None
    if target is None:
        message = "Wybierz firmę do dodania." if is_account else "Wybierz osobę do dodania."
        raise CrmError(message, {"record_id": [message]})
    column = "account_id" if is_account else "contact_id"
    if any(getattr(m, column) == target.id for m in segment.members):
        return False
    segment.members.append(SegmentMember(**{column: target.id}, added_at=ctx.now))
    ctx.session.flush()
    record(
        ctx,
        "segment.member_added",
        entity_type="segment",
        entity_id=segment.id,
        account_id=target.id if is_account else target.account_id,
        summary=f"Dodano „{target}” do listy „{segment.name}”",
        after={column: target.id},
    )
    return True


def remove_member(ctx: Ctx, segment: Segment, record_id: int) -> bool:
    """Remove a company or person from a static list; return whether it was a member."""
    _static(segment)
    column = "account_id" if segment.entity == SegmentEntity.ACCOUNT else "contact_id"
    member = next((m for m in segment.members if getattr(m, column) == record_id), None)
    if member is None:
        return False
    target = member.account or member.contact
    segment.members.remove(member)
    ctx.session.flush()
    record(
        ctx,
        "segment.member_removed",
        entity_type="segment",
        entity_id=segment.id,
        account_id=member.account_id or (member.contact.account_id if member.contact else None),
        summary=f"Usunięto „{target}” z listy „{segment.name}”",
        before={column: record_id},
    )
    return True
