"""What a report can be built from: its sources (szanse, działania, firmy, osoby) and their fields.

Each source loads its records as plain rows (field key → Python value: text, int, Decimal, date or
None); enum values arrive as their Polish labels, so filters and groups read as the UI shows them. An
opportunity's amounts are ``Amount``s that know their currency (see ``services.currency``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import get_timezone
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from simulator.crm.enums import ActivityStatus
from simulator.crm.models import Account, Activity, Contact, Opportunity
from simulator.crm.services.currency import Amount, weighted

WARSAW = get_timezone("Europe/Warsaw")
NUMERIC = frozenset({"number", "money"})
ORDERED = frozenset({"number", "money", "date"})


@dataclass(frozen=True)
class Field:
    """A column of a source: key, Polish label and kind (text, number, money or date)."""

    key: str
    label: str
    kind: str


@dataclass(frozen=True)
class Source:
    """A report source with its fields and the loader of its rows."""

    key: str
    label: str
    fields: tuple[Field, ...]
    load: Callable[[Session], list[dict[str, Any]]]

    def field(self, key: str) -> Field | None:
        """Return the field with this key, or None."""
        return next((f for f in self.fields if f.key == key), None)


def _label(value: Any) -> str:
    return value.label if value is not None else ""


def _local_day(moment: datetime | None) -> date | None:
    return moment.astimezone(WARSAW).date() if moment else None


def _opportunities(session: Session) -> list[dict[str, Any]]:
    query = select(Opportunity).options(
        selectinload(Opportunity.account),
        selectinload(Opportunity.pipeline),
        selectinload(Opportunity.stage),
        selectinload(Opportunity.owner),
    )
    rows = []
    for o in session.scalars(query.order_by(Opportunity.id)):
        rows.append(
            {
                "name": o.name,
                "account": o.account.name,
                "pipeline": o.pipeline.name,
                "customer_type": _label(o.pipeline.customer_type),
                "sale_form": _label(o.pipeline.sale_form),
                "stage": o.stage.name,
                "status": _label(o.status),
                "value": Amount(o.value, o.currency),
                "currency": o.currency.value,
                "probability": o.probability,
                "weighted": Amount(weighted(o), o.currency),
                "owner": o.owner.full_name,
                "expected_close": o.expected_close,
                "closed_on": o.closed_on,
                "loss_reason": _label(o.loss_reason),
                "created": _local_day(o.created_at),
            }
        )
    return rows


def _activities(session: Session) -> list[dict[str, Any]]:
    query = select(Activity).options(
        selectinload(Activity.owner), selectinload(Activity.account), selectinload(Activity.opportunity)
    )
    return [
        {
            "subject": a.subject,
            "type": _label(a.type),
            "priority": _label(a.priority),
            "status": _label(a.status),
            "percent": a.percent_complete,
            "done": "tak" if a.status == ActivityStatus.DONE else "nie",
            "due_date": a.due_date,
            "completed_on": a.completed_on,
            "owner": a.owner.full_name,
            "account": a.account.name if a.account else "",
            "opportunity": a.opportunity.name if a.opportunity else "",
        }
        for a in session.scalars(query.order_by(Activity.id))
    ]


def _accounts(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "name": a.name,
            "nip": a.nip or "",
            "legal_form": _label(a.legal_form),
            "city": a.city,
            "voivodeship": _label(a.voivodeship),
            "size": _label(a.size),
            "pkd": a.pkd,
            "data_source": _label(a.data_source),
            "owner": a.owner.full_name,
            "created": _local_day(a.created_at),
        }
        for a in session.scalars(select(Account).order_by(Account.id))
    ]


def _contacts(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "first_name": c.first_name,
            "last_name": c.last_name,
            "account": c.account.name if c.account else "",
            "position": c.position,
            "data_source": _label(c.data_source),
            "channel": _label(c.preferred_channel),
            "created": _local_day(c.created_at),
        }
        for c in session.scalars(select(Contact).order_by(Contact.id))
    ]


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            "opportunities",
            "Szanse sprzedaży",
            (
                Field("name", "Nazwa szansy", "text"),
                Field("account", "Firma", "text"),
                Field("pipeline", "Lejek", "text"),
                Field("customer_type", "Typ klienta (lejka)", "text"),
                Field("sale_form", "Forma sprzedaży (lejka)", "text"),
                Field("stage", "Etap", "text"),
                Field("status", "Status", "text"),
                Field("value", "Wartość", "money"),
                Field("currency", "Waluta", "text"),
                Field("probability", "Prawdopodobieństwo (%)", "number"),
                Field("weighted", "Wartość ważona", "money"),
                Field("owner", "Opiekun", "text"),
                Field("expected_close", "Przewidywane zamknięcie", "date"),
                Field("closed_on", "Data zamknięcia", "date"),
                Field("loss_reason", "Powód utraty", "text"),
                Field("created", "Data utworzenia", "date"),
            ),
            _opportunities,
        ),
        Source(
            "activities",
            "Działania i zadania",
            (
                Field("subject", "Temat", "text"),
                Field("type", "Rodzaj", "text"),
                Field("priority", "Priorytet", "text"),
                Field("status", "Status", "text"),
                Field("percent", "Stopień wykonania (%)", "number"),
                Field("done", "Zakończone", "text"),
                Field("due_date", "Termin", "date"),
                Field("completed_on", "Data zakończenia", "date"),
                Field("owner", "Osoba odpowiedzialna", "text"),
                Field("account", "Firma", "text"),
                Field("opportunity", "Szansa sprzedaży", "text"),
            ),
            _activities,
        ),
        Source(
            "accounts",
            "Firmy",
            (
                Field("name", "Nazwa", "text"),
                Field("nip", "NIP", "text"),
                Field("legal_form", "Forma prawna", "text"),
                Field("city", "Miejscowość", "text"),
                Field("voivodeship", "Województwo", "text"),
                Field("size", "Wielkość", "text"),
                Field("pkd", "PKD", "text"),
                Field("data_source", "Źródło danych", "text"),
                Field("owner", "Opiekun", "text"),
                Field("created", "Data utworzenia", "date"),
            ),
            _accounts,
        ),
        Source(
            "contacts",
            "Osoby kontaktowe",
            (
                Field("first_name", "Imię", "text"),
                Field("last_name", "Nazwisko", "text"),
                Field("account", "Firma", "text"),
                Field("position", "Stanowisko", "text"),
                Field("data_source", "Źródło danych", "text"),
                Field("channel", "Preferowany kanał", "text"),
                Field("created", "Data utworzenia", "date"),
            ),
            _contacts,
        ),
    )
}
