"""Opportunity amounts in their own currencies: totals count PLN only and say what they left out.

An opportunity's value is in its currency (PLN, EUR or USD) and the CRM holds no exchange rates, so it
converts nothing. Every total of opportunity amounts – the start page, the list, the board's columns, the
reports dashboard, the report builder's aggregates, SMART goals and segment conditions – counts only
opportunities in PLN, and a page showing such a total names the opportunities in other currencies it left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from simulator.crm.enums import Currency
from simulator.crm.models import Opportunity

BASE = Currency.PLN
CENT = Decimal("0.01")


class Amount(Decimal):
    """An amount that knows its currency (a report cell); arithmetic on it gives a plain Decimal."""

    currency: str

    def __new__(cls, value: Decimal, currency: str = BASE) -> Amount:
        amount = super().__new__(cls, value)
        amount.currency = str(currency)
        return amount


def currency_of(value: object) -> str:
    """Return the currency of an amount (a plain number is in PLN)."""
    return getattr(value, "currency", BASE.value)


def weighted(opportunity: Opportunity) -> Decimal:
    """Return value × probability / 100, rounded half up to the grosz (cent) per opportunity."""
    return (opportunity.value * opportunity.probability / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Total:
    """The PLN total of some opportunities (value and weighted value) and how many were left out, by currency."""

    value: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")
    left_out: Mapping[str, int] = field(default_factory=dict)

    @property
    def note(self) -> str:
        """Return the Polish note naming the opportunities left out ("" when none were)."""
        return left_out_note(self.left_out)


def total(opportunities: Iterable[Opportunity]) -> Total:
    """Sum the values and weighted values of the opportunities in PLN; count the others by currency."""
    value, weighted_value, left_out = Decimal("0.00"), Decimal("0.00"), Counter()
    for opportunity in opportunities:
        if opportunity.currency == BASE:
            value += opportunity.value
            weighted_value += weighted(opportunity)
        else:
            left_out[str(opportunity.currency)] += 1
    return Total(value, weighted_value, dict(left_out))


def combined(totals: Iterable[Total]) -> Total:
    """Add up several totals (e.g. the stages of a pipeline)."""
    value, weighted_value, left_out = Decimal("0.00"), Decimal("0.00"), Counter()
    for part in totals:
        value, weighted_value = value + part.value, weighted_value + part.weighted
        left_out.update(part.left_out)
    return Total(value, weighted_value, dict(left_out))


def _opportunities(count: int) -> str:
    if count == 1:
        return "szansę"
    return "szanse" if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14) else "szans"


def left_out_note(left_out: Mapping[str, int], subject: str = "Suma obejmuje") -> str:
    """Return "Suma obejmuje tylko szanse w PLN; pominięto 1 szansę w EUR …" ("" when nothing was left out)."""
    if not left_out:
        return ""
    parts = ", ".join(f"{n} {_opportunities(n)} w {code}" for code, n in sorted(left_out.items()))
    return f"{subject} tylko szanse w PLN; pominięto {parts} (kwot w innych walutach nie przeliczamy)."
