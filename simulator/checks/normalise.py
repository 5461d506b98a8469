"""Normalisation of typed text before comparison: case, whitespace, diacritics, digits only.

| option | what it does | example |
| --- | --- | --- |
| ``case`` | lower case (Unicode casefold) | „TECHBUD” = „techbud” |
| ``whitespace`` | trim, squeeze runs of spaces, tabs and non-breaking spaces | „ ul.  Długa 5 ” = „ul. Długa 5” |
| ``diacritics`` | fold Polish letters to ASCII (ą→a, ł→l, ż→z …) | „Łódź” = „Lodz” |
| ``digits`` | keep only digits (identifiers: NIP, REGON, phone) | „779-463-05-39” = „7794630539” |
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from simulator.crm.validators import number_text

OPTIONS = ("case", "whitespace", "diacritics", "digits")
TEXT_DEFAULT = ("case", "whitespace")
IDENTIFIER_DEFAULT = ("digits",)
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def fold_diacritics(text: str) -> str:
    """Return the text with Polish (and other) diacritics removed; ł/Ł become l/L."""
    text = text.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(value: object, options: Iterable[str]) -> str:
    """Return ``value`` as text normalised by the given options (applied in a fixed order)."""
    return _normalised("" if value is None else str(value), frozenset(options))


@functools.lru_cache(maxsize=16384)  # an evaluation normalises the same few hundred names and values many times
def _normalised(text: str, options: frozenset[str]) -> str:
    if "digits" in options:
        return "".join(ch for ch in text if ch.isdigit())
    if "whitespace" in options:
        text = _SPACES.sub(" ", text).strip()
    if "diacritics" in options:
        text = fold_diacritics(text)
    if "case" in options:
        text = text.casefold()
    return text


def phone_digits(value: object) -> str:
    """Return the digits of a phone number without the Polish country code (+48 601 234 567 → 601234567)."""
    digits = normalise(value, ("digits",))
    if str(value or "").strip().startswith(("+48", "0048")) and len(digits) > 9:
        return digits[-9:]
    return digits


def parse_number(raw: object) -> Decimal | None:
    """Read a number typed the Polish way ("12 500,50 zł", "12.500,50", "12500.5"); None when it is not a number."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(str(raw))
    try:
        value = Decimal(number_text(str(raw)))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
