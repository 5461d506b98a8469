"""Forms for products, pipelines with stages, opportunities and simple action buttons."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from simulator.crm.enums import ActivityType, Currency, CustomerType, LossReason, OpportunityStatus, SaleForm, VatRate
from simulator.crm.forms.fields import REQUIRED, AmountField, CrmForm, IdSelect, OptionalSelect, clean, enum_choices

PERCENT = NumberRange(0, 100, message="Podaj liczbę od 0 do 100.")
NOT_A_NUMBER = "Podaj liczbę całkowitą."


class PercentField(IntegerField):
    """A whole percentage with a Polish message for text that is not a number."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(NOT_A_NUMBER) from exc


class ActionForm(CrmForm):
    """A button that posts (move a stage, complete a task): only the CSRF token."""


class ProductForm(CrmForm):
    """A product or service (produkt / usługa)."""

    code = StringField("Kod (symbol)", [Length(max=40, message="Najwyżej 40 znaków.")])
    name = StringField("Nazwa", [InputRequired(REQUIRED), Length(max=200, message="Najwyżej 200 znaków.")])
    unit = StringField(
        "Jednostka",
        [InputRequired(REQUIRED), Length(max=20, message="Najwyżej 20 znaków.")],
        description="np. szt., godz., usł.",
    )
    net_price = AmountField("Cena netto (zł)", [InputRequired("Podaj cenę netto.")])
    vat_rate = OptionalSelect(
        "Stawka VAT", [DataRequired("Wybierz stawkę VAT.")], choices=enum_choices(VatRate, empty=True)
    )
    description = TextAreaField("Opis")
    active = BooleanField("Aktywny (dostępny w ofertach)", default=True)

    def values(self) -> dict:
        """Return the model values the form carries."""
        return {
            "code": clean(self.code),
            "name": clean(self.name),
            "unit": clean(self.unit),
            "net_price": self.net_price.data,
            "vat_rate": VatRate(self.vat_rate.data),
            "description": clean(self.description),
            "active": bool(self.active.data),
        }


def enum_select(label: str, enum, message: str, description: str = "") -> OptionalSelect:
    """Return an optional select of an enum whose value off the list is refused with ``message``."""
    return OptionalSelect(
        label,
        [AnyOf(["", *(m.value for m in enum)], message=message)],
        choices=[SelectChoice("", "— nie określono —"), *enum_choices(enum)],
        validate_choice=False,
        description=description,
    )


class PipelineForm(CrmForm):
    """A sales pipeline (lejek): for which customers, which products and which form of sale.

    A form without the customer type, form of sale or product line (an old client, a script) keeps what the
    pipeline has: WTForms leaves a field's object data alone when the request does not carry it.
    """

    name = StringField("Nazwa lejka", [InputRequired(REQUIRED), Length(max=120, message="Najwyżej 120 znaków.")])
    customer_type = enum_select(
        "Typ klienta", CustomerType, "Wybierz typ klienta z listy.", "Dla jakich klientów jest ten lejek."
    )
    sale_form = enum_select(
        "Forma sprzedaży", SaleForm, "Wybierz formę sprzedaży z listy.", "W jaki sposób sprzedajemy w tym lejku."
    )
    product_line = StringField(
        "Produkt / linia produktów lub usług",
        [Length(max=200, message="Najwyżej 200 znaków.")],
        description="np. usługi zarządzane IT, ubezpieczenia komunikacyjne",
    )
    description = TextAreaField("Opis (dla kogo i czego jest lejek)")

    def values(self) -> dict:
        """Return the model values the form carries."""
        return {
            "name": clean(self.name),
            "customer_type": CustomerType(self.customer_type.data) if self.customer_type.data else None,
            "sale_form": SaleForm(self.sale_form.data) if self.sale_form.data else None,
            "product_line": clean(self.product_line),
            "description": clean(self.description),
        }


class StageForm(CrmForm):
    """A stage of a pipeline (etap)."""

    name = StringField("Nazwa etapu", [InputRequired(REQUIRED), Length(max=120, message="Najwyżej 120 znaków.")])
    probability = PercentField("Domyślne prawdopodobieństwo (%)", [InputRequired("Podaj prawdopodobieństwo."), PERCENT])
    required_activities = SelectMultipleField(
        "Działania wymagane do przejścia dalej",
        choices=enum_choices(ActivityType),
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )


LOSS_HELP = "Wymagany, gdy szansa jest przegrana."
CURRENCY_INVALID = "Wybierz walutę z listy."


class OpportunityForm(CrmForm):
    """A sales opportunity (szansa sprzedaży); status fields appear when editing."""

    name = StringField("Nazwa szansy", [InputRequired(REQUIRED), Length(max=200, message="Najwyżej 200 znaków.")])
    account_id = IdSelect("Firma (kontrahent)", [DataRequired("Wskaż firmę, której dotyczy szansa.")])
    contact_id = IdSelect("Osoba kontaktowa")
    value = AmountField("Wartość netto", [InputRequired("Podaj wartość szansy.")])
    # left out of a request, the currency stays as it was (PLN for a new opportunity); any other code is refused
    currency = SelectField(
        "Waluta",
        [AnyOf([c.value for c in Currency], message=CURRENCY_INVALID)],
        choices=enum_choices(Currency),
        default=Currency.PLN.value,
        validate_choice=False,
        description="Kwoty w różnych walutach nie są przeliczane ani sumowane razem.",
    )
    stage_id = IdSelect(
        "Etap",
        [DataRequired("Wybierz etap.")],
        description="Etapy są pogrupowane według lejków; przy nazwie lejka podano typ klienta i formę sprzedaży.",
    )
    probability = PercentField(
        "Prawdopodobieństwo (%) – ręcznie",
        [Optional(), PERCENT],
        description="Zostaw puste, aby stosować domyślne prawdopodobieństwo etapu.",
    )
    expected_close = DateField("Przewidywana data zamknięcia", [Optional()], format="%Y-%m-%d")
    owner_id = IdSelect("Opiekun", [DataRequired("Wskaż opiekuna szansy.")])
    status = OptionalSelect("Status", choices=enum_choices(OpportunityStatus))
    loss_reason = OptionalSelect("Powód utraty", choices=enum_choices(LossReason, empty=True), description=LOSS_HELP)
    loss_note = TextAreaField("Uwagi do powodu utraty")


class MoveForm(CrmForm):
    """Move one opportunity (kanban board): a stage, won or lost with a reason."""

    target = OptionalSelect("Przenieś do", [DataRequired("Wybierz, dokąd przenieść szansę.")])
    loss_reason = OptionalSelect("Powód utraty", choices=enum_choices(LossReason, empty=True))
    loss_note = StringField("Uwagi")


class BulkForm(CrmForm):
    """Change several opportunities at once: stage, owner or status (all or nothing)."""

    ids = SelectMultipleField("Zaznaczone szanse", coerce=int)
    stage_id = IdSelect("Nowy etap")
    owner_id = IdSelect("Nowy opiekun")
    status = OptionalSelect("Nowy status", choices=enum_choices(OpportunityStatus, empty=True))
    loss_reason = OptionalSelect("Powód utraty", choices=enum_choices(LossReason, empty=True), description=LOSS_HELP)
    loss_note = StringField("Uwagi do powodu utraty")
