"""Field types and validators shared by the CRM forms (Polish amounts, identifiers, optional selects)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from simulator.crm import validators as v

EMPTY = SelectChoice("", "— brak —")
REQUIRED = "To pole jest wymagane."


class CrmForm(FlaskForm):
    """Base form: Polish built-in messages from WTForms' own catalogue."""

    class Meta:
        locales = ("pl_PL", "pl")

    def submitted(self) -> dict[str, object]:
        """Return what the user sent, for the log of validation errors (without the CSRF token)."""
        sent: dict[str, object] = {}
        for name, field in self._fields.items():
            if name == "csrf_token":
                continue
            raw = field.raw_data or []
            sent[name] = raw if len(raw) > 1 else (raw[0] if raw else None)
        return sent


class AmountField(StringField):
    """A PLN amount typed the Polish way ("12 500,50", "12.500,50") or with a decimal dot; ``data`` is a Decimal or
    None. "12.500" (thousands or a decimal point?) is refused with a message rather than guessed."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip()
        if not raw:
            return
        value = v.typed_decimal(raw, ("zł", "pln"), "Kwota musi być liczbą, np. 12 500,00.")
        if not value.is_finite() or value.as_tuple().exponent < -2:
            raise ValueError("Kwota może mieć najwyżej dwa miejsca po przecinku.")
        if value < 0:
            raise ValueError("Kwota nie może być ujemna.")
        if value >= Decimal("1000000000"):
            raise ValueError("Kwota jest za duża (najwyżej 999 999 999,99 zł).")
        self.data = value.quantize(Decimal("0.01"))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data:.2f}".replace(".", ",") if self.data is not None else ""


class OptionalSelect(SelectField):
    """A select whose first option ("") means "none"; a select left out of the request means "none" too."""

    def pre_validate(self, form) -> None:
        if self.data is None:
            self.data = ""
        super().pre_validate(form)

    def value(self) -> str | None:
        return self.data or None


class IdSelect(OptionalSelect):
    """A select of record ids; ``value()`` gives the int id or None."""

    def value(self) -> int | None:
        """The chosen id; None when none was chosen or, in a refused form, the request sent no id at all."""
        try:
            return v.record_id(self.data) if self.data else None
        except ValueError:
            return None


def clean(field) -> str:
    """Return a text field's value trimmed ("" when the field was not sent at all)."""
    return (field.data or "").strip()


def normalised(normalise: Callable[[str], str]):
    """Return a validator that checks an optional identifier and stores its normalised form."""

    def check(form, field) -> None:
        if not (field.data or "").strip():
            field.data = ""
            return
        try:
            field.data = normalise(field.data)
        except v.InvalidValue as exc:
            raise ValidationError(str(exc)) from exc

    return check


def options(pairs, *, optgroup: str | None = None) -> list[SelectChoice]:
    """Turn (value, label) pairs into select choices (WTForms no longer takes tuples)."""
    return [SelectChoice(str(value), label, optgroup=optgroup) for value, label in pairs]


def enum_choices(enum, *, empty: bool = False) -> list[SelectChoice]:
    """Return select choices for an enum, with a leading "none" option if asked."""
    return ([EMPTY] if empty else []) + options(enum.choices())
