"""Verification in the mock public registers (GUS/REGON BIR and VIES): compare, then apply chosen corrections.

The registers are fixtures inside the instance (no network). A lookup finds the register's record by the
company's NIP (or its REGON), compares it field by field with the CRM and lists warnings a careful salesperson
must notice: a closed business, a REGON of a local unit, an invalid VAT-UE number. The GUS record gives the legal
form (a natural person's business, type F, is a sole trader's); it never gives the owner's PESEL, which GUS does
not publish.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from simulator.crm.enums import LegalForm, Voivodeship
from simulator.crm.models import Account, GusRecord, ViesRecord
from simulator.crm.services import permissions
from simulator.crm.services.accounts import check_legal_form
from simulator.crm.services.common import CrmError, Ctx, apply_changes, record

GUS_FIELDS = {
    "name": "Nazwa",
    "nip": "NIP",
    "regon": "REGON",
    "krs": "KRS",
    "legal_form": "Forma prawna",
    "street": "Ulica i numer",
    "postal_code": "Kod pocztowy",
    "city": "Miejscowość",
    "voivodeship": "Województwo",
    "pkd": "PKD",
}
VIES_FIELDS = {"name": "Nazwa"}
UNIT_TYPES = {
    "P": "osoba prawna / jednostka organizacyjna",
    "F": "osoba fizyczna prowadząca działalność",
    "LP": "jednostka lokalna",
}
ENUMS = {"voivodeship": Voivodeship, "legal_form": LegalForm}  # fields compared by value, shown by label


@dataclass
class Row:
    """One compared field: the CRM's value, the register's value and whether they differ."""

    name: str
    label: str
    crm: str
    register: str

    @property
    def differs(self) -> bool:
        return self.register != "" and self.crm.casefold().strip() != self.register.casefold().strip()

    @property
    def crm_text(self) -> str:
        return _label(self.name, self.crm)

    @property
    def register_text(self) -> str:
        return _label(self.name, self.register)


@dataclass
class LookupResult:
    """What a register answered about one company."""

    register: str
    found: bool
    rows: list[Row] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def differences(self) -> list[Row]:
        return [r for r in self.rows if r.differs]


def _text(value) -> str:
    return "" if value is None else str(getattr(value, "value", value))


def _label(name: str, value: str) -> str:
    enum = ENUMS.get(name)
    return enum(value).label if enum is not None and value in set(enum) else value


def _registered(main: GusRecord, name: str) -> str:
    """Return a field as the register states it; a natural person's business (type F) is a sole trader's."""
    if name == "legal_form" and not main.legal_form and main.unit_type == "F":
        return LegalForm.JDG.value
    return _text(getattr(main, name))


def gus_lookup(ctx: Ctx, account: Account) -> LookupResult:
    """Look the company up in the mock GUS register and compare it with the CRM; log the lookup."""
    session = ctx.session
    main = (
        session.scalar(select(GusRecord).where(GusRecord.nip == account.nip, GusRecord.unit_type != "LP"))
        if account.nip
        else None
    )
    by_regon = session.scalar(select(GusRecord).where(GusRecord.regon == account.regon)) if account.regon else None
    if main is None and by_regon is not None:
        main = (
            by_regon
            if by_regon.unit_type != "LP"
            else session.scalar(select(GusRecord).where(GusRecord.regon == by_regon.parent_regon))
        )
    result = LookupResult("GUS", main is not None)
    if by_regon is not None and by_regon.unit_type == "LP":
        result.warnings.append(
            f"REGON zapisany w CRM ({account.regon}) to REGON jednostki lokalnej „{by_regon.name}” "
            f"({by_regon.city}); firma (jednostka macierzysta) ma REGON {by_regon.parent_regon}."
        )
    if main is None:
        result.warnings.append("Brak podmiotu o tym NIP/REGON w rejestrze REGON – sprawdź numer u klienta.")
    else:
        result.rows = [
            Row(n, label, _text(getattr(account, n)), _registered(main, n)) for n, label in GUS_FIELDS.items()
        ]
        result.facts = {
            "Rodzaj podmiotu": UNIT_TYPES.get(main.unit_type, main.unit_type),
            "Status": main.status + (f" (data zakończenia działalności: {main.end_date})" if main.end_date else ""),
        }
        if main.status != "aktywny":
            result.warnings.append(
                f"Podmiot ma w rejestrze status „{main.status}”"
                + (f" od {main.end_date}" if main.end_date else "")
                + " – nie zawieraj umowy bez wyjaśnienia."
            )
    _log(ctx, account, result)
    return result


def vies_lookup(ctx: Ctx, account: Account) -> LookupResult:
    """Check the company's VAT-UE number (PL + NIP) in the mock VIES and compare the name; log the lookup."""
    found = ctx.session.scalar(select(ViesRecord).where(ViesRecord.nip == account.nip)) if account.nip else None
    result = LookupResult("VIES", found is not None)
    valid = found is not None and found.valid
    result.facts = {
        "Numer VAT-UE": f"PL{account.nip}" if account.nip else "—",
        "Status w VIES": "aktywny (ważny numer VAT-UE)" if valid else "nieaktywny – numer VAT-UE nieważny",
    }
    if found is not None and found.address:
        result.facts["Adres w VIES"] = found.address
    if not valid:
        result.warnings.append(
            "Numer nie jest aktywny w VIES: podmiot nie jest zarejestrowany jako podatnik VAT-UE "
            "(transakcja wewnątrzwspólnotowa bez stawki 0%)."
        )
    if found is not None and found.name:
        result.rows = [Row("name", "Nazwa", account.name, found.name)]
    _log(ctx, account, result)
    return result


def _log(ctx: Ctx, account: Account, result: LookupResult) -> None:
    record(
        ctx,
        f"lookup.{result.register.lower()}",
        entity_type="account",
        entity_id=account.id,
        account_id=account.id,
        summary=f"Sprawdzono firmę „{account.name}” w {result.register}: "
        + ("znaleziono" if result.found else "nie znaleziono")
        + (f"; różnice: {', '.join(r.label for r in result.differences)}" if result.differences else "")
        + (f"; ostrzeżenia: {len(result.warnings)}" if result.warnings else ""),
        details={
            "found": result.found,
            "differences": {r.name: {"crm": r.crm, "register": r.register} for r in result.differences},
            "warnings": result.warnings,
        },
    )


def apply_corrections(ctx: Ctx, account: Account, register: str, fields: list[str]) -> list[str]:
    """Copy the chosen fields from the register's record into the company; log before/after; return their labels."""
    result = gus_lookup(ctx, account) if register == "gus" else vies_lookup(ctx, account)
    rows = {r.name: r for r in result.differences}
    chosen = [f for f in fields if f in rows]
    if not chosen:
        raise CrmError(
            "Zaznacz co najmniej jedno pole, którego wartość różni się od rejestru.", {"fields": ["Zaznacz pole."]}
        )
    values = {name: ENUMS[name](rows[name].register) if name in ENUMS else rows[name].register for name in chosen}
    check_legal_form(
        values.get("legal_form", account.legal_form), pesel=account.pesel, krs=values.get("krs", account.krs)
    )
    if "legal_form" in values:  # a sole trader's e-mail and phone stay protected unless the role sees them
        permissions.check_legal_form_change(ctx, account, values["legal_form"])
    before, after = apply_changes(account, values)
    account.updated_at = ctx.now
    record(
        ctx,
        "account.corrected_from_register",
        entity_type="account",
        entity_id=account.id,
        account_id=account.id,
        summary=f"Poprawiono dane firmy „{account.name}” według {result.register}: "
        + ", ".join(rows[n].label for n in chosen),
        before=before,
        after=after,
        details={"register": result.register},
    )
    return [rows[n].label for n in chosen]
