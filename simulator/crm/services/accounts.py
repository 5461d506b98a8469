"""Companies and persons: create, update and duplicate warnings (reads of personal data: ``permissions``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from simulator.crm import validators as v
from simulator.crm.models import Account, Contact, CrmUser
from simulator.crm.services import permissions
from simulator.crm.services.common import CrmError, Ctx, apply_changes, record, snapshot


@dataclass(frozen=True)
class Duplicate:
    """An existing record that looks like the one being saved."""

    kind: str  # "account" or "contact"
    id: int
    name: str
    field: str
    value: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "field": self.field}


class DuplicateWarning(CrmError):
    """Similar records exist; the user must confirm before the save goes through."""

    def __init__(self, duplicates: list[Duplicate]) -> None:
        super().__init__("Znaleziono podobne rekordy. Sprawdź je i potwierdź zapis, jeśli to inny klient.")
        self.duplicates = duplicates


def _shown(label: str, value: str) -> str:
    """Return a matched value as a duplicate warning shows it (a PESEL only by its last four digits)."""
    if label == "NIP":
        return v.format_nip(value)
    if label == "telefon":
        return v.format_phone(value)
    return "•" * 7 + value[-4:] if label == "PESEL" else value


def _same_values(
    ctx: Ctx, kind: str, model: type, checks: list[tuple[Any, str, Any]], other: ColumnElement[bool] | None
) -> list[Duplicate]:
    """Return the records of ``model`` (limited by ``other``) having any of the checked values."""
    found = []
    for column, label, value in checks:
        if not value:
            continue
        query = select(model).where(column == value)
        if other is not None:
            query = query.where(other)
        for obj in ctx.session.scalars(query.order_by(model.id)):
            found.append(Duplicate(kind, obj.id, str(obj), label, _shown(label, value)))
    return found


def find_account_duplicates(ctx: Ctx, values: dict, exclude_id: int | None = None) -> list[Duplicate]:
    """Return companies with the same NIP, e-mail, phone or PESEL, and persons with that PESEL elsewhere.

    A sole trader's owner is usually a person of their own company too: that is no duplicate.
    """
    pesel = values.get("pesel")
    checks = [(Account.nip, "NIP", values.get("nip")), (Account.email, "e-mail", values.get("email"))]
    checks += [(Account.phone, "telefon", values.get("phone")), (Account.pesel, "PESEL", pesel)]
    others = Account.id != exclude_id if exclude_id is not None else None
    elsewhere = or_(Contact.account_id.is_(None), Contact.account_id != exclude_id) if exclude_id is not None else None
    return _same_values(ctx, "account", Account, checks, others) + _same_values(
        ctx, "contact", Contact, [(Contact.pesel, "PESEL", pesel)], elsewhere
    )


def find_contact_duplicates(ctx: Ctx, values: dict, exclude_id: int | None = None) -> list[Duplicate]:
    """Return persons with the same e-mail, phone or PESEL, and sole traders with that PESEL but another company."""
    pesel, account_id = values.get("pesel"), values.get("account_id")
    checks = [(Contact.email, "e-mail", values.get("email")), (Contact.phone, "telefon", values.get("phone"))]
    checks.append((Contact.pesel, "PESEL", pesel))
    others = Contact.id != exclude_id if exclude_id is not None else None
    elsewhere = Account.id != account_id if account_id is not None else None
    return _same_values(ctx, "contact", Contact, checks, others) + _same_values(
        ctx, "account", Account, [(Account.pesel, "PESEL", pesel)], elsewhere
    )


def _check_owner(ctx: Ctx, owner_id: int | None) -> None:
    if owner_id is None or ctx.session.get(CrmUser, owner_id) is None:
        raise CrmError("Wskaż opiekuna handlowego.", {"owner_id": ["Wskaż opiekuna handlowego."]})


def check_legal_form(legal_form: str | None, *, pesel: str | None, krs: str | None) -> None:
    """Refuse (``CrmError``) what the legal form rules out: a PESEL but of a sole trader, a KRS of one in CEIDG."""
    errors = v.legal_form_errors(legal_form, pesel=pesel, krs=krs)
    if errors:
        raise CrmError(" ".join(errors.values()), {name: [message] for name, message in errors.items()})


def _check_account(ctx: Ctx, values: dict) -> None:
    _check_owner(ctx, values.get("owner_id"))
    check_legal_form(values.get("legal_form"), pesel=values.get("pesel"), krs=values.get("krs"))


def create_account(ctx: Ctx, values: dict, *, duplicates_confirmed: bool = False) -> Account:
    """Create a company; warn first about similar records unless the user confirmed."""
    _check_account(ctx, values)
    duplicates = find_account_duplicates(ctx, values)
    if duplicates and not duplicates_confirmed:
        raise DuplicateWarning(duplicates)
    account = Account(**values, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(account)
    ctx.session.flush()
    record(
        ctx,
        "account.created",
        entity_type="account",
        entity_id=account.id,
        account_id=account.id,
        summary=f"Utworzono firmę „{account.name}”",
        after=snapshot(account),
        details={"duplicates_confirmed": [d.as_dict() for d in duplicates]} if duplicates else None,
    )
    return account


def update_account(ctx: Ctx, account: Account, values: dict, *, duplicates_confirmed: bool = False) -> bool:
    """Change a company's data; return whether anything changed.

    A role that may not see a sole trader's e-mail or phone cannot change its legal form to one that would show them.
    """
    _check_account(ctx, values)
    if "legal_form" in values:
        permissions.check_legal_form_change(ctx, account, values["legal_form"])
    duplicates = find_account_duplicates(ctx, values, exclude_id=account.id)
    if duplicates and not duplicates_confirmed:
        raise DuplicateWarning(duplicates)
    before, after = apply_changes(account, values)
    if not after:
        return False
    account.updated_at = ctx.now
    record(
        ctx,
        "account.updated",
        entity_type="account",
        entity_id=account.id,
        account_id=account.id,
        summary=f"Zmieniono dane firmy „{account.name}”: " + ", ".join(after),
        before=before,
        after=after,
        details={"duplicates_confirmed": [d.as_dict() for d in duplicates]} if duplicates else None,
    )
    return True


def _check_contact(ctx: Ctx, values: dict) -> list[str]:
    """Check cross-field rules of a person; fill the birth date from PESEL; return notices."""
    notices = []
    if values.get("account_id") is not None and ctx.session.get(Account, values["account_id"]) is None:
        raise CrmError("Wybrana firma nie istnieje.", {"account_id": ["Wybrana firma nie istnieje."]})
    pesel, born = values.get("pesel"), values.get("birth_date")
    if pesel and born:
        try:
            v.check_pesel_birth_date(pesel, born)
        except v.InvalidValue as exc:
            raise CrmError(str(exc), {"birth_date": [str(exc)]}) from exc
    elif pesel:
        values["birth_date"] = v.pesel_birth_date(pesel)
        notices.append(f"Datę urodzenia ({values['birth_date']:%d.%m.%Y}) uzupełniono na podstawie numeru PESEL.")
    return notices


def create_contact(ctx: Ctx, values: dict, *, duplicates_confirmed: bool = False) -> tuple[Contact, list[str]]:
    """Create a person; warn first about similar records unless the user confirmed."""
    notices = _check_contact(ctx, values)
    duplicates = find_contact_duplicates(ctx, values)
    if duplicates and not duplicates_confirmed:
        raise DuplicateWarning(duplicates)
    contact = Contact(**values, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(contact)
    ctx.session.flush()
    record(
        ctx,
        "contact.created",
        entity_type="contact",
        entity_id=contact.id,
        account_id=contact.account_id,
        summary=f"Dodano osobę {contact.full_name}",
        after=snapshot(contact),
        details={"duplicates_confirmed": [d.as_dict() for d in duplicates]} if duplicates else None,
    )
    return contact, notices


def update_contact(
    ctx: Ctx, contact: Contact, values: dict, *, duplicates_confirmed: bool = False
) -> tuple[bool, list[str]]:
    """Change a person's data; return whether anything changed and the notices to show."""
    notices = _check_contact(ctx, values)
    duplicates = find_contact_duplicates(ctx, values, exclude_id=contact.id)
    if duplicates and not duplicates_confirmed:
        raise DuplicateWarning(duplicates)
    old_account = contact.account_id
    before, after = apply_changes(contact, values)
    if not after:
        return False, []
    contact.updated_at = ctx.now
    record(
        ctx,
        "contact.updated",
        entity_type="contact",
        entity_id=contact.id,
        account_id=contact.account_id or old_account,
        summary=f"Zmieniono dane osoby {contact.full_name}: " + ", ".join(after),
        before=before,
        after=after,
        details={"duplicates_confirmed": [d.as_dict() for d in duplicates]} if duplicates else None,
    )
    return True, notices


def search_accounts(
    ctx: Ctx,
    text: str = "",
    voivodeship: str | None = None,
    size: str | None = None,
    legal_form: str | None = None,
):
    """Return companies matching a name/NIP/city search (never a PESEL) and optional filters."""
    query = select(Account).order_by(Account.name)
    if text:
        like = f"%{text.strip()}%"
        digits = "".join(ch for ch in text if ch.isdigit())
        conditions = [Account.name.ilike(like), Account.city.ilike(like)]
        if digits:
            conditions.append(Account.nip.like(f"%{digits}%"))
        query = query.where(or_(*conditions))
    if voivodeship:
        query = query.where(Account.voivodeship == voivodeship)
    if size:
        query = query.where(Account.size == size)
    if legal_form:
        query = query.where(Account.legal_form == legal_form)
    return list(ctx.session.scalars(query))
