"""Timelines (historia zdarzeń): the action-log entries about a company or a person, newest first.

Both timelines read the same log and build the same items; they differ only in which entries they select.
A company's are the entries carrying its ``account_id``. A person's are selected by the records linked to
them today (their own record, consents, RODO requests, activities, opportunities where they are the contact,
offers addressed to them) and by their additions to and removals from static lists, so a person without a
company (B2C) has a timeline too. A person's timeline hides the values of personal fields the viewer's role
may not see, and says which ones it showed, for the log of reads. A company's timeline does the same for the
protected values of each of its people and, for a sole trader, its owner's PESEL, e-mail and phone (the
company's protected fields as its legal form is now), saying whose they were.

The log itself is never rewritten (it is the exam's evidence, hash-chained), but after a person's data is
erased (anonymised on request) the CRM's timelines no longer show it: their former name and personal values
read "[dane zanonimizowane]" in every summary, whatever the viewer's role; so do a sole trader's former PESEL,
e-mail and phone once the erasure of its owner's data removed them.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, or_, select

from simulator.actionlog import canonical_json
from simulator.crm import validators as v
from simulator.crm.models import (
    Account,
    ActionLogEntry,
    Activity,
    Consent,
    Contact,
    CrmUser,
    Offer,
    Opportunity,
    SubjectRequest,
)
from simulator.crm.models.roles import PROTECTED_FIELDS
from simulator.crm.services.common import Ctx
from simulator.crm.services.permissions import protected_fields, visible_fields

HIDDEN = "[ukryte – brak uprawnień roli]"
ERASED = "[dane zanonimizowane]"
SEGMENT_MEMBERSHIP = ("segment.member_added", "segment.member_removed")


@dataclass(frozen=True)
class TimelineItem:
    """One event as a timeline shows it; ``link`` names the record's page as (kind, id), if it has one."""

    seq: int
    occurred_at: datetime
    actor_kind: str
    actor_label: str
    action: str
    summary: str
    link: tuple[str, int] | None


@dataclass(frozen=True)
class Timeline:
    """The items of a timeline and the protected values that appear in them (shown or hidden), by their keys in
    ``build_timeline``'s ``personal``: a field name on a person's timeline, ``(kind, id, field)`` on a company's."""

    items: list[TimelineItem]
    fields: set


def build_timeline(
    ctx: Ctx,
    condition: ColumnElement[bool],
    personal: dict[Hashable, set[str]] | None = None,
    hide: Iterable[Hashable] = (),
    erased: Iterable[str] = (),
) -> Timeline:
    """Return the log entries matching ``condition`` as items, newest first.

    ``personal`` maps protected values (a field, or a field of one of several records) to the texts they may take
    in a summary: the values whose keys are in ``hide`` are replaced, and every key whose value appears is
    reported in ``fields``. The texts in ``erased`` (the former data of anonymised people) are replaced first, for
    everyone.
    """
    entries = list(ctx.session.scalars(select(ActionLogEntry).where(condition).order_by(ActionLogEntry.seq.desc())))
    people = _people_of_consents(ctx, [e.entity_id for e in entries if e.entity_type == "consent" and e.entity_id])
    hidden, items, fields = set(hide), [], set()
    gone = sorted({t for t in erased if t}, key=len, reverse=True)
    forms = text_forms(personal or {})
    for entry in entries:
        summary = entry.summary
        for text in gone:
            summary = summary.replace(text, ERASED)
        summary = mask_text(summary, forms, hidden, fields)
        link = None
        if entry.entity_type == "consent" and entry.entity_id in people:
            link = ("consent", people[entry.entity_id])  # a consent has no page of its own: the person's RODO page
        elif entry.entity_id is not None:
            link = (entry.entity_type, entry.entity_id)
        items.append(
            TimelineItem(entry.seq, entry.occurred_at, entry.actor_kind, entry.actor_label, entry.action, summary, link)
        )
    return Timeline(items, fields)


def text_forms(personal: dict[Hashable, set[str]]) -> list[tuple[Hashable, str]]:
    """Return every (key, text) of ``personal``, the longest text first across every record ("+48 601…" before
    "601…"), the order in which ``mask_text`` looks for them."""
    return sorted(((key, text) for key, texts in personal.items() for text in texts), key=lambda f: -len(f[1]))


def mask_text(text: str, forms: list[tuple[Hashable, str]], hidden: set, found: set) -> str:
    """Return ``text`` with the forms of every value whose key is in ``hidden`` replaced; add each key seen to
    ``found``."""
    for key, form in forms:
        if form in text:
            found.add(key)
            if key in hidden:
                text = text.replace(form, HIDDEN)
    return text


def record_texts(ctx: Ctx, holder: Contact | Account) -> dict[Hashable, set[str]]:
    """Return the texts of a person's (a sole trader's) protected values, now and as logged, keyed
    ``(kind, id, field)`` as on a company's timeline."""
    kind = "account" if isinstance(holder, Account) else "contact"
    fields = protected_fields(holder)
    return {(kind, holder.id, name): texts for name, texts in _personal_values(ctx, kind, holder, fields).items()}


def _people_of_consents(ctx: Ctx, consent_ids: list[int]) -> dict[int, int]:
    if not consent_ids:
        return {}
    rows = ctx.session.execute(select(Consent.id, Consent.contact_id).where(Consent.id.in_(set(consent_ids))))
    return {row.id: row.contact_id for row in rows}


def account_timeline(ctx: Ctx, account: Account, viewer: CrmUser | None) -> Timeline:
    """Return every event about a company, its people, opportunities and activities, newest first.

    The protected values of its people, and a sole trader's own, are hidden as on their cards from a viewer whose
    role may not see them; ``fields`` says whose appeared, as ``(kind, id, field)``.
    """
    people = list(ctx.session.scalars(select(Contact).where(Contact.account_id == account.id)))
    personal = record_texts(ctx, account)
    for person in people:
        personal |= record_texts(ctx, person)
    seen = visible_fields(viewer)
    hide = {key for key in personal if key[2] not in seen}
    erased = _erased(ctx, people) | _removed_from_account(ctx, account)
    return build_timeline(ctx, ActionLogEntry.account_id == account.id, personal, hide, erased=erased)


def _removed_from_account(ctx: Ctx, account: Account) -> set[str]:
    """Return the texts of a sole trader's protected values that the erasure of its owner's data removed."""
    removal = ctx.session.execute(
        select(ActionLogEntry.seq, ActionLogEntry.before)
        .where(
            ActionLogEntry.action == "account.personal_data_removed",
            ActionLogEntry.entity_type == "account",
            ActionLogEntry.entity_id == account.id,
        )
        .order_by(ActionLogEntry.seq.desc())
        .limit(1)
    ).first()
    if removal is None:
        return set()
    fields = [name for name in json.loads(removal.before or "{}").get("fields_removed", []) if name in PROTECTED_FIELDS]
    former = _personal_values(ctx, "account", account, fields, before_seq=removal.seq)
    current = _personal_values(ctx, "account", account, fields, logged=False)
    return {text for name, texts in former.items() for text in texts - current[name]}


def _erased(ctx: Ctx, people: list[Contact]) -> set[str]:
    """Return every text by which the anonymised ones among ``people`` could still be read in a summary: their
    former full names and personal values, from their logged changes."""
    ids = [p.id for p in people]
    if not ids:
        return set()
    anonymised = set(
        ctx.session.scalars(
            select(ActionLogEntry.entity_id).where(
                ActionLogEntry.action == "contact.anonymised",
                ActionLogEntry.entity_type == "contact",
                ActionLogEntry.entity_id.in_(ids),
            )
        )
    )
    texts: set[str] = set()
    for person in people:
        if person.id not in anonymised:
            continue
        for snapshot in _snapshots(ctx, "contact", person.id):
            if snapshot.get("first_name") and snapshot.get("last_name"):
                texts.add(f"{snapshot['first_name']} {snapshot['last_name']}")
        texts |= {
            text for found in _personal_values(ctx, "contact", person, PROTECTED_FIELDS).values() for text in found
        }
        texts.discard(person.full_name)  # the anonymised name itself ("Osoba zanonimizowana nr 7") stays
    return texts


def _snapshots(ctx: Ctx, kind: str, entity_id: int, before_seq: int | None = None) -> Iterable[dict]:
    """Yield the before and after of every logged change of a record (of those logged before ``before_seq``)."""
    query = select(ActionLogEntry.before, ActionLogEntry.after).where(
        ActionLogEntry.entity_type == kind, ActionLogEntry.entity_id == entity_id
    )
    if before_seq is not None:
        query = query.where(ActionLogEntry.seq < before_seq)
    for before, after in ctx.session.execute(query):
        yield json.loads(before or "{}")
        yield json.loads(after or "{}")


def contact_condition(contact_id: int) -> ColumnElement[bool]:
    """Select the log entries about a person: their record and the records linked to them."""
    linked = {
        "consent": select(Consent.id).where(Consent.contact_id == contact_id),
        "subject_request": select(SubjectRequest.id).where(SubjectRequest.contact_id == contact_id),
        "activity": select(Activity.id).where(Activity.contact_id == contact_id),
        "opportunity": select(Opportunity.id).where(Opportunity.contact_id == contact_id),
        "offer": select(Offer.id).where(Offer.contact_id == contact_id),
    }
    member = canonical_json({"contact_id": contact_id})  # how a list membership change names the person
    return or_(
        and_(ActionLogEntry.entity_type == "contact", ActionLogEntry.entity_id == contact_id),
        *(and_(ActionLogEntry.entity_type == kind, ActionLogEntry.entity_id.in_(ids)) for kind, ids in linked.items()),
        and_(
            ActionLogEntry.action.in_(SEGMENT_MEMBERSHIP),
            or_(ActionLogEntry.after == member, ActionLogEntry.before == member),
        ),
    )


def contact_timeline(ctx: Ctx, contact: Contact, viewer: CrmUser | None) -> Timeline:
    """Return every event about a person, newest first, hiding the personal data the viewer may not see."""
    hide = set(PROTECTED_FIELDS) - visible_fields(viewer)
    personal = _personal_values(ctx, "contact", contact, PROTECTED_FIELDS)
    return build_timeline(ctx, contact_condition(contact.id), personal, hide, erased=_erased(ctx, [contact]))


def _personal_values(
    ctx: Ctx,
    kind: str,
    holder: Contact | Account,
    fields: Iterable[str],
    *,
    before_seq: int | None = None,
    logged: bool = True,
) -> dict[str, set[str]]:
    """Return the texts of every value the protected ``fields`` of a record have had: now and in logged changes.

    With ``before_seq`` only the values logged before that entry; with ``logged=False`` only the values now.
    """
    fields = list(fields)
    values: dict[str, set] = {name: set() for name in fields}
    if before_seq is None:
        for name in fields:
            values[name].add(getattr(holder, name))
    if logged:
        for snapshot in _snapshots(ctx, kind, holder.id, before_seq):
            for name in fields:
                values[name].add(snapshot.get(name))
    return {name: set(_texts(name, found)) for name, found in values.items()}


def _texts(name: str, values: Iterable) -> Iterable[str]:
    """Yield the forms in which a stored value of a protected field can appear in a summary."""
    for value in values:
        if not value:
            continue
        text = str(value)
        yield text
        if name == "birth_date":
            born = value if isinstance(value, date) else date.fromisoformat(text)
            yield f"{born:%d.%m.%Y}"
        elif name == "phone":
            yield v.format_phone(text)
            if text.startswith("+48"):  # a Polish number as people write it: without the country code
                yield text[3:]
                yield v.format_phone(text).removeprefix("+48 ")
