"""Polish identifiers and contact data: normalise or refuse with a clear Polish message.

Pure functions shared by the CRM forms and the scenario loader. Each returns the stored (compact) form
or raises ``InvalidValue`` with the message the user sees.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from stdnum import exceptions as stdnum_errors
from stdnum.pl import nip as stdnum_nip
from stdnum.pl import pesel as stdnum_pesel
from stdnum.pl import regon as stdnum_regon

from simulator.crm.enums import LegalForm


class InvalidValue(ValueError):
    """A value the CRM refuses; the message is Polish and meant for the user."""


_SEPARATORS = re.compile(r"[\s\-]")
MAX_ID = 2**31 - 1  # SQL INTEGER, the type of every id column: a larger number is no record's id


def record_id(raw: object) -> int:
    """Return the record id a form, a query string or a URL sent; ``ValueError`` for anything else.

    As ``type=record_id`` of ``request.args.get`` a bad value gives the default, as ``type=int`` does, and an id
    out of range too.
    """
    text = "" if raw is None else str(raw).strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise ValueError(f"not a record id: {text[:40]!r}")
    return int(text)


# A number as Polish users type it: spaces (also no-break ones) group thousands, a comma starts the decimals.
_NUMBER_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_DOT_GROUPS = re.compile(r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_TWO_WAYS = re.compile(r"-?[1-9]\d{0,2}\.\d{3}")
AMBIGUOUS_NUMBER = (
    "Niejednoznaczna liczba „{raw}”: kropka może tu oddzielać tysiące albo część dziesiętną. "
    "Tysiące oddziel spacją (np. 12 500), a część dziesiętną przecinkiem (np. 12,5)."
)


def number_text(raw: str, suffixes: tuple[str, ...] = ("zł", "pln", "%")) -> str:
    """Return a number typed the Polish way as text ``Decimal`` reads, for ``Decimal`` to accept or refuse.

    Spaces go ("12 500"), a unit at the end goes ("48 000 zł", "50%"), a lone comma is the decimal separator
    ("12,50"). Dots group thousands where nothing else can be meant: beside a decimal comma ("12.500,50") or
    more than once ("1.250.000"). A single dot stays a decimal point ("12500.5"); see ``reads_two_ways``.
    """
    text = _NUMBER_SPACES.sub("", raw).lower()
    for suffix in suffixes:
        text = text.removesuffix(suffix)
    if _DOT_GROUPS.fullmatch(text) and ("," in text or text.count(".") > 1):
        text = text.replace(".", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    return text


def reads_two_ways(raw: str) -> bool:
    """Whether a typed number means two things: "12.500" is 12 500 to who groups thousands with a dot, 12,5 to who
    writes decimals with one. A form refuses it with ``AMBIGUOUS_NUMBER`` rather than guess."""
    return "," not in raw and bool(_TWO_WAYS.fullmatch(number_text(raw)))


def typed_decimal(raw: str, suffixes: tuple[str, ...], not_a_number: str) -> Decimal:
    """Read a number a form field received (``number_text``); ``ValueError`` with a Polish message when it reads
    two ways or is no number (``not_a_number``). The field checks its own range and decimals."""
    if reads_two_ways(raw):
        raise ValueError(AMBIGUOUS_NUMBER.format(raw=raw))
    try:
        return Decimal(number_text(raw, suffixes))
    except InvalidOperation as exc:
        raise ValueError(not_a_number) from exc


def _digits_only(raw: str, label: str, *, allowed_prefix: str = "") -> str:
    value = _SEPARATORS.sub("", raw or "").upper()
    if allowed_prefix and value.startswith(allowed_prefix):
        value = value[len(allowed_prefix) :]
    if not value.isdigit() or not value.isascii():
        extra = f" (dopuszczalne są spacje, myślniki i przedrostek {allowed_prefix})" if allowed_prefix else ""
        raise InvalidValue(f"{label} może zawierać tylko cyfry{extra}.")
    return value


def normalise_nip(raw: str) -> str:
    """Return the 10-digit NIP or refuse a wrong format, length or check digit."""
    value = _digits_only(raw, "NIP", allowed_prefix="PL")
    if len(value) != 10:
        raise InvalidValue(f"NIP musi mieć 10 cyfr (wpisano {len(value)}).")
    try:
        return stdnum_nip.validate(value)
    except stdnum_errors.InvalidChecksum as exc:
        raise InvalidValue("NIP ma niepoprawną cyfrę kontrolną – sprawdź, czy nie ma literówki.") from exc
    except stdnum_errors.ValidationError as exc:
        raise InvalidValue("NIP jest niepoprawny.") from exc


def normalise_regon(raw: str) -> str:
    """Return the 9- or 14-digit REGON or refuse a wrong format, length or check digit."""
    value = _digits_only(raw, "REGON")
    if len(value) not in (9, 14):
        raise InvalidValue(
            f"REGON musi mieć 9 cyfr (jednostka) albo 14 cyfr (jednostka lokalna); wpisano {len(value)}."
        )
    try:
        return stdnum_regon.validate(value)
    except stdnum_errors.InvalidChecksum as exc:
        raise InvalidValue("REGON ma niepoprawną cyfrę kontrolną – sprawdź, czy nie ma literówki.") from exc
    except stdnum_errors.ValidationError as exc:
        raise InvalidValue("REGON jest niepoprawny.") from exc


def normalise_krs(raw: str) -> str:
    """Return the 10-digit KRS number (it has no check digit)."""
    value = _digits_only(raw, "Numer KRS")
    if len(value) != 10:
        raise InvalidValue(
            f"Numer KRS musi mieć 10 cyfr (wpisano {len(value)}); uzupełnij zerami z przodu, np. 0000123456."
        )
    return value


def normalise_pesel(raw: str) -> str:
    """Return the 11-digit PESEL or refuse a wrong format, length, check digit or impossible date."""
    value = _digits_only(raw, "PESEL")
    if len(value) != 11:
        raise InvalidValue(f"PESEL musi mieć 11 cyfr (wpisano {len(value)}).")
    try:
        return stdnum_pesel.validate(value)
    except stdnum_errors.InvalidChecksum as exc:
        raise InvalidValue("PESEL ma niepoprawną cyfrę kontrolną – sprawdź, czy nie ma literówki.") from exc
    except stdnum_errors.InvalidComponent as exc:
        raise InvalidValue("PESEL zawiera nieistniejącą datę urodzenia.") from exc
    except stdnum_errors.ValidationError as exc:
        raise InvalidValue("PESEL jest niepoprawny.") from exc


def pesel_birth_date(pesel: str) -> date:
    """Return the date of birth encoded in a valid PESEL."""
    return stdnum_pesel.get_birth_date(pesel)


def pesel_sex(pesel: str) -> str:
    """Return "K" (kobieta) or "M" (mężczyzna) as encoded in a valid PESEL."""
    return "K" if stdnum_pesel.get_gender(pesel) == "F" else "M"


def check_pesel_birth_date(pesel: str, birth_date: date) -> None:
    """Refuse a birth date that differs from the one encoded in the PESEL."""
    encoded = pesel_birth_date(pesel)
    if encoded != birth_date:
        raise InvalidValue(
            f"Data urodzenia zapisana w numerze PESEL ({encoded:%d.%m.%Y}) różni się od podanej daty "
            f"urodzenia ({birth_date:%d.%m.%Y})."
        )


PESEL_ONLY_FOR_SOLE_TRADER = (
    "PESEL podaje się tylko dla jednoosobowej działalności gospodarczej (przedsiębiorca – osoba fizyczna)."
)
NOT_IN_KRS = {
    LegalForm.JDG: "Jednoosobowa działalność gospodarcza nie jest wpisywana do KRS – przedsiębiorca (osoba "
    "fizyczna) jest wpisany do CEIDG. Usuń numer KRS.",
    LegalForm.CIVIL_PARTNERSHIP: "Spółka cywilna nie jest wpisywana do KRS – to umowa wspólników, nie osoba "
    "prawna; w CEIDG są wpisani jej wspólnicy jako przedsiębiorcy, a sama spółka ma tylko NIP i REGON. "
    "Usuń numer KRS.",
}


def legal_form_errors(legal_form: str | None, *, pesel: str | None, krs: str | None) -> dict[str, str]:
    """Return the identifiers a company's legal form rules out, field → Polish message (empty when none).

    Only a sole trader (JDG) is identified by the owner's PESEL; a sole trader and a civil partnership are
    registered in CEIDG, so neither has a KRS number.
    """
    errors = {}
    if pesel and legal_form != LegalForm.JDG:
        errors["pesel"] = PESEL_ONLY_FOR_SOLE_TRADER + ("" if legal_form else " Wybierz formę prawną albo usuń PESEL.")
    if krs and legal_form in NOT_IN_KRS:
        errors["krs"] = NOT_IN_KRS[LegalForm(legal_form)]
    return errors


def normalise_postal_code(raw: str) -> str:
    """Return a Polish postal code as NN-NNN."""
    value = (raw or "").strip()
    if re.fullmatch(r"\d{5}", value):
        value = f"{value[:2]}-{value[2:]}"
    if not re.fullmatch(r"\d{2}-\d{3}", value):
        raise InvalidValue("Kod pocztowy musi mieć postać NN-NNN, np. 00-950.")
    return value


def normalise_pkd(raw: str) -> str:
    """Return a PKD code as NN.NN.X (e.g. 62.01.Z)."""
    value = (raw or "").strip().upper().replace(" ", "")
    compact = value.replace(".", "")
    if not re.fullmatch(r"\d{4}[A-Z]", compact):
        raise InvalidValue("Kod PKD ma postać NN.NN.X, np. 62.01.Z.")
    return f"{compact[:2]}.{compact[2:4]}.{compact[4]}"


def normalise_phone(raw: str) -> str:
    """Return a phone number as +48NNNNNNNNN (Polish) or +<digits> (other countries)."""
    value = re.sub(r"[\s\-().]", "", raw or "")
    if value.startswith("00"):
        value = "+" + value[2:]
    if re.fullmatch(r"\d{9}", value):
        return "+48" + value
    if re.fullmatch(r"\+48\d{9}", value) or (re.fullmatch(r"\+\d{8,15}", value) and not value.startswith("+48")):
        return value
    raise InvalidValue(
        "Numer telefonu powinien mieć 9 cyfr (np. 601 234 567) albo być numerem międzynarodowym "
        "z prefiksem +, np. +49 30 1234567."
    )


MOBILE_PREFIXES = frozenset({"45", "50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88"})


def format_phone(value: str) -> str:
    """Show a stored phone number in the usual Polish grouping (mobile 3-3-3, landline 2-3-2-2)."""
    if value and value.startswith("+48") and len(value) == 12:
        n = value[3:]
        if n[:2] in MOBILE_PREFIXES:
            return f"+48 {n[:3]} {n[3:6]} {n[6:]}"
        return f"+48 {n[:2]} {n[2:5]} {n[5:7]} {n[7:]}"
    return value or ""


def format_nip(value: str | None) -> str:
    """Show a stored NIP as NNN-NNN-NN-NN."""
    return stdnum_nip.format(value) if value else ""


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


def normalise_email(raw: str) -> str:
    """Return a trimmed, lower-cased e-mail address or refuse an obviously wrong one."""
    value = (raw or "").strip().lower()
    if not _EMAIL.fullmatch(value):
        raise InvalidValue("Adres e-mail jest niepoprawny (oczekiwano np. jan.kowalski@firma.pl).")
    return value
