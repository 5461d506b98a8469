"""RODO operations: consents (given and withdrawn as easily), data-subject requests, anonymisation, access export."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from sqlalchemy import select

from simulator.crm.enums import OpportunityStatus
from simulator.crm.models import (
    Account,
    Activity,
    Consent,
    Contact,
    Opportunity,
    ProcessingPurpose,
    SubjectRequest,
)
from simulator.crm.models.rodo import ConsentChannel, RequestKind, RequestStatus
from simulator.crm.models.roles import PROTECTED_FIELDS, account_protected_fields
from simulator.crm.services.common import CrmError, Ctx, record
from simulator.crm.services.rodo_deadlines import request_deadline

RETENTION_BASIS = (
    "dokumenty zawartej sprzedaży (umowa, faktura) – przechowywane do przedawnienia zobowiązania podatkowego: "
    "5 lat od końca roku kalendarzowego, w którym upłynął termin płatności podatku (art. 86 i art. 70 § 1 "
    "Ordynacji podatkowej); powiązanie zachowane, dane osoby zanonimizowane"
)


def active_consent(ctx: Ctx, contact: Contact, purpose_id: int, channel: ConsentChannel) -> Consent | None:
    """Return the person's active consent for a purpose and channel, if any."""
    return ctx.session.scalar(
        select(Consent).where(
            Consent.contact_id == contact.id,
            Consent.purpose_id == purpose_id,
            Consent.channel == channel,
            Consent.withdrawn_on.is_(None),
        )
    )


def give_consent(ctx: Ctx, contact: Contact, purpose_id: int | None, channel: str | None, source: str) -> Consent:
    """Record a consent of a person for a purpose and channel, with its source and time."""
    purpose = ctx.session.get(ProcessingPurpose, purpose_id) if purpose_id else None
    errors: dict[str, list[str]] = {}
    if purpose is None:
        errors["purpose_id"] = ["Wybierz cel przetwarzania."]
    if channel not in {c.value for c in ConsentChannel}:
        errors["channel"] = ["Wybierz kanał: e-mail, telefon lub SMS."]
    if not source.strip():
        errors["source"] = ["Podaj źródło zgody (np. formularz WWW, rozmowa telefoniczna)."]
    if errors:
        raise CrmError(next(iter(errors.values()))[0], errors)
    channel_value = ConsentChannel(channel)
    if active_consent(ctx, contact, purpose.id, channel_value) is not None:
        message = f"Osoba ma już aktywną zgodę na „{purpose.name}” kanałem {channel_value.label}."
        raise CrmError(message, {"channel": [message]})
    consent = Consent(
        contact_id=contact.id,
        purpose_id=purpose.id,
        channel=channel_value,
        source=source.strip(),
        given_on=ctx.business_date,
        given_at=ctx.now,
    )
    ctx.session.add(consent)
    ctx.session.flush()
    record(
        ctx,
        "consent.given",
        entity_type="consent",
        entity_id=consent.id,
        account_id=contact.account_id,
        summary=f"Zgoda: {contact.full_name} – „{purpose.name}”, kanał {channel_value.label} "
        f"(źródło: {consent.source})",
        after={"contact_id": contact.id, "purpose_id": purpose.id, "channel": channel_value, "source": consent.source},
    )
    return consent


def withdraw_consent(ctx: Ctx, consent: Consent, source: str = "") -> bool:
    """Withdraw a consent in one step (as easy as giving it); return False if it was already withdrawn."""
    if not consent.active:
        return False
    consent.withdrawn_on, consent.withdrawn_at = ctx.business_date, ctx.now
    consent.withdrawal_source = source.strip() or "zgłoszenie osoby"
    record(
        ctx,
        "consent.withdrawn",
        entity_type="consent",
        entity_id=consent.id,
        account_id=consent.contact.account_id,
        summary=f"Wycofano zgodę: {consent.contact.full_name} – „{consent.purpose.name}”, "
        f"kanał {consent.channel.label}",
        before={"withdrawn_on": None},
        after={"withdrawn_on": consent.withdrawn_on, "withdrawal_source": consent.withdrawal_source},
    )
    return True


def create_request(ctx: Ctx, contact: Contact, values: dict) -> SubjectRequest:
    """Register a data-subject request; its deadline is one month from receipt (art. 12 ust. 3)."""
    received: date | None = values.get("received_on") or ctx.business_date
    if received > ctx.business_date:
        message = "Data wpływu nie może być późniejsza niż dzisiejsza data biznesowa."
        raise CrmError(message, {"received_on": [message]})
    kind = RequestKind(values["kind"])
    request = SubjectRequest(
        contact_id=contact.id,
        kind=kind,
        received_on=received,
        deadline=request_deadline(received),
        channel=values.get("channel", ""),
        details=values.get("details", ""),
        status=RequestStatus.OPEN,
        created_at=ctx.now,
    )
    ctx.session.add(request)
    ctx.session.flush()
    record(
        ctx,
        "dsr.created",
        entity_type="subject_request",
        entity_id=request.id,
        account_id=contact.account_id,
        summary=f"Zarejestrowano żądanie ({kind.label}) osoby {contact.full_name}; "
        f"wpływ {received:%d.%m.%Y}, termin odpowiedzi {request.deadline:%d.%m.%Y}",
        after={"kind": kind, "received_on": received, "deadline": request.deadline, "contact_id": contact.id},
    )
    return request


def own_businesses(ctx: Ctx, contact: Contact) -> list[Account]:
    """Return the sole traders recorded with the person's PESEL: the person's own business."""
    if not contact.pesel:
        return []
    return list(ctx.session.scalars(select(Account).where(Account.pesel == contact.pesel).order_by(Account.id)))


def anonymise(ctx: Ctx, contact: Contact) -> list[str]:
    """Replace a person's identifying data; keep records the law requires, linked to the anonymised person.

    The person's data is removed from their own business (a sole trader's company) too: its PESEL, and its
    e-mail and phone while it is a sole trader (they are the owner's personal data); its other company data stays.
    """
    retained = [
        f"szansa „{o.name}” ({o.status.label}) – {RETENTION_BASIS}"
        for o in ctx.session.scalars(select(Opportunity).where(Opportunity.contact_id == contact.id))
        if o.status == OpportunityStatus.WON
    ]
    activities = ctx.session.scalars(select(Activity).where(Activity.contact_id == contact.id))
    retained += [f"działanie „{a.subject}” – historia współpracy z firmą" for a in activities]
    for consent in ctx.session.scalars(
        select(Consent).where(Consent.contact_id == contact.id, Consent.withdrawn_on.is_(None))
    ):
        withdraw_consent(ctx, consent, "usunięcie danych na żądanie osoby")
    before = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "fields": [n for n in ("email", "phone", "pesel", "birth_date", "position", "notes") if getattr(contact, n)],
    }
    for account in own_businesses(ctx, contact):
        removed = [name for name in account_protected_fields(account.legal_form) if getattr(account, name)]
        account.pesel, account.updated_at = None, ctx.now
        if "email" in removed:
            account.email = ""
        if "phone" in removed:
            account.phone = ""
        record(
            ctx,
            "account.personal_data_removed",
            entity_type="account",
            entity_id=account.id,
            account_id=account.id,
            summary=f"Usunięto dane osobowe przedsiębiorcy ({', '.join(PROTECTED_FIELDS[n] for n in removed)}) "
            f"z danych firmy „{account.name}” (usunięcie danych osoby nr {contact.id} na jej żądanie)",
            before={"fields_removed": removed},
        )
    contact.first_name, contact.last_name = "Osoba", f"zanonimizowana nr {contact.id}"
    contact.email, contact.phone, contact.pesel, contact.birth_date = "", "", None, None
    contact.position, contact.notes, contact.preferred_channel = "", "", None
    contact.updated_at = ctx.now
    record(
        ctx,
        "contact.anonymised",
        entity_type="contact",
        entity_id=contact.id,
        account_id=contact.account_id,
        summary=f"Zanonimizowano dane osoby nr {contact.id} (usunięcie danych na żądanie); "
        f"zachowano rekordów: {len(retained)}",
        # the former name (as every earlier summary already holds it) lets the CRM's timelines hide it; the
        # removed values themselves are not repeated here
        before={
            "first_name": before["first_name"],
            "last_name": before["last_name"],
            "fields_removed": before["fields"],
        },
        after={"first_name": contact.first_name, "last_name": contact.last_name},
        details={"retained": retained},
    )
    return retained


def complete_request(ctx: Ctx, request: SubjectRequest, resolution: str) -> list[str]:
    """Carry out a request (erasure anonymises, objection withdraws marketing consents) and close it."""
    if request.status != RequestStatus.OPEN:
        raise CrmError("To żądanie jest już zamknięte.")
    notices: list[str] = []
    contact = request.contact
    if request.kind == RequestKind.ERASURE:
        retained = anonymise(ctx, contact)
        notices.append(
            "Dane osoby zanonimizowano." + (f" Zachowano (obowiązek prawny): {len(retained)}." if retained else "")
        )
    elif request.kind == RequestKind.OBJECTION:
        marketing = ctx.session.scalars(
            select(Consent)
            .join(ProcessingPurpose, Consent.purpose_id == ProcessingPurpose.id)
            .where(Consent.contact_id == contact.id, Consent.withdrawn_on.is_(None), ProcessingPurpose.marketing)
        )
        count = sum(withdraw_consent(ctx, c, "sprzeciw wobec marketingu (art. 21)") for c in list(marketing))
        notices.append(f"Wycofano zgody marketingowe: {count}.")
    request.status, request.completed_on = RequestStatus.DONE, ctx.business_date
    request.resolution = resolution.strip()
    late = ctx.business_date > request.deadline
    record(
        ctx,
        "dsr.completed",
        entity_type="subject_request",
        entity_id=request.id,
        account_id=contact.account_id,
        summary=f"Zrealizowano żądanie nr {request.id} ({request.kind.label})"
        + (" – PO TERMINIE" if late else f" w terminie (do {request.deadline:%d.%m.%Y})"),
        before={"status": RequestStatus.OPEN},
        after={"status": request.status, "completed_on": request.completed_on, "late": late},
    )
    return notices


def person_data(ctx: Ctx, contact: Contact) -> dict[str, Any]:
    """Return everything the CRM holds about one person (art. 15 access), and nothing about anyone else."""
    session = ctx.session
    consents = session.scalars(select(Consent).where(Consent.contact_id == contact.id).order_by(Consent.id))
    opportunities = session.scalars(select(Opportunity).where(Opportunity.contact_id == contact.id))
    activities = session.scalars(select(Activity).where(Activity.contact_id == contact.id).order_by(Activity.id))
    requests = session.scalars(select(SubjectRequest).where(SubjectRequest.contact_id == contact.id))
    return {
        "osoba": {
            "imie": contact.first_name,
            "nazwisko": contact.last_name,
            "stanowisko": contact.position,
            "email": contact.email,
            "telefon": contact.phone,
            "pesel": contact.pesel or "",
            "data_urodzenia": contact.birth_date.isoformat() if contact.birth_date else "",
            "preferowany_kanal": contact.preferred_channel.label if contact.preferred_channel else "",
            "uwagi": contact.notes,
        },
        "zrodlo_danych": {
            "zrodlo": contact.data_source.label,
            "metoda_pozyskania": contact.acquisition_method.label if contact.acquisition_method else "",
        },
        "firma": contact.account.name if contact.account else "",
        "dzialalnosc_gospodarcza": [_business_data(a) for a in own_businesses(ctx, contact)],
        "zgody": [
            {
                "cel": c.purpose.name,
                "podstawa_prawna": c.purpose.legal_basis.label,
                "kanal": c.channel.label,
                "zrodlo": c.source,
                "udzielona": c.given_on.isoformat(),
                "wycofana": c.withdrawn_on.isoformat() if c.withdrawn_on else "",
            }
            for c in consents
        ],
        "szanse_sprzedazy": [
            {
                "nazwa": o.name,
                "etap": o.stage.name,
                "status": o.status.label,
                "wartosc": str(o.value),
                "waluta": o.currency.value,
            }
            for o in opportunities
        ],
        "dzialania": [
            {"rodzaj": a.type.label, "temat": a.subject, "termin": a.due_date.isoformat(), "status": a.status.label}
            for a in activities
        ],
        "zadania_rodo": [
            {
                "rodzaj": r.kind.label,
                "wplyw": r.received_on.isoformat(),
                "termin": r.deadline.isoformat(),
                "status": r.status.label,
            }
            for r in requests
        ],
        "cele_przetwarzania": [
            {"cel": p.name, "podstawa_prawna": p.legal_basis.label, "okres_przechowywania": p.retention}
            for p in session.scalars(select(ProcessingPurpose).order_by(ProcessingPurpose.id))
        ],
        "stan_na_dzien": ctx.business_date.isoformat(),
    }


def _business_data(account: Account) -> dict[str, Any]:
    """Return a person's own business as the access export gives it: with its e-mail and phone while a sole
    trader's (the owner's personal data)."""
    data = {
        "firma": account.name,
        "forma_prawna": account.legal_form.label if account.legal_form else "",
        "nip": account.nip or "",
        "regon": account.regon or "",
        "pesel": account.pesel,
    }
    protected = account_protected_fields(account.legal_form)
    if "email" in protected:
        data["email"] = account.email
    if "phone" in protected:
        data["telefon"] = account.phone
    return data


def as_csv(data: dict[str, Any]) -> str:
    """Flatten a person's data into CSV rows: section; item number; field; value."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["sekcja", "nr", "pole", "wartość"])
    for section, content in data.items():
        if isinstance(content, dict):
            writer.writerows([section, "", key, value] for key, value in content.items())
        elif isinstance(content, list):
            for number, item in enumerate(content, start=1):
                writer.writerows([section, number, key, value] for key, value in item.items())
        else:
            writer.writerow([section, "", "", content])
    return out.getvalue()


def record_export(ctx: Ctx, contact: Contact, fmt: str) -> None:
    """Log that the person's data was exported for an access request."""
    record(
        ctx,
        "rodo.access_export",
        entity_type="contact",
        entity_id=contact.id,
        account_id=contact.account_id,
        summary=f"Eksport danych osoby {contact.full_name} ({fmt.upper()}) – prawo dostępu (art. 15)",
        details={"format": fmt},
    )
