"""Forms for offer templates and offers with line items from the catalogue."""

from __future__ import annotations

from decimal import Decimal

from wtforms import DateField, FieldList, Form, FormField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from simulator.crm import validators as v
from simulator.crm.forms.fields import REQUIRED, AmountField, CrmForm, IdSelect, clean
from simulator.crm.services.offers import ItemInput

ITEM_ROWS = 6
MAX_BODY = 20_000


class OfferTemplateForm(CrmForm):
    """An offer template (szablon oferty): name, subject and body with tags."""

    name = StringField("Nazwa szablonu", [InputRequired(REQUIRED), Length(max=200, message="Najwyżej 200 znaków.")])
    subject = StringField(
        "Temat wiadomości",
        [InputRequired(REQUIRED), Length(max=300, message="Najwyżej 300 znaków.")],
        description="Może zawierać znaczniki, np. {{ oferta.numer }}.",
    )
    body = TextAreaField(
        "Treść oferty",
        [InputRequired(REQUIRED), Length(max=MAX_BODY, message=f"Najwyżej {MAX_BODY} znaków.")],
        description="Zwykły tekst ze znacznikami z listy obok; {{ pozycje }} wstawia tabelę pozycji.",
    )


class QuantityField(StringField):
    """A quantity typed the Polish way ("2,5"); ``data`` is a Decimal or None."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip()
        if not raw:
            return
        value = v.typed_decimal(raw, (), "Ilość musi być liczbą, np. 2 albo 2,5.")
        if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -2 or value >= 1_000_000:
            raise ValueError("Podaj ilość większą od zera, z najwyżej dwoma miejscami po przecinku.")
        self.data = value.quantize(Decimal("0.01"))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data:f}".replace(".", ",") if self.data is not None else ""


class ItemForm(Form):
    """One line of an offer: product, quantity and an optional net price (default: the catalogue's)."""

    product_id = IdSelect("Produkt / usługa")
    quantity = QuantityField("Ilość")
    net_price = AmountField("Cena netto (zł)", description="Puste = cena z katalogu.")


class OfferForm(CrmForm):
    """A new offer for an opportunity (oferta)."""

    template_id = IdSelect("Szablon oferty")
    opportunity_id = IdSelect("Szansa sprzedaży")
    contact_id = IdSelect("Osoba kontaktowa (odbiorca)")
    valid_until = DateField("Ważna do", [InputRequired("Podaj termin ważności.")], format="%Y-%m-%d")
    items = FieldList(FormField(ItemForm), min_entries=ITEM_ROWS, max_entries=ITEM_ROWS)

    def item_inputs(self) -> list[ItemInput]:
        """Return the filled line items (rows without a product are skipped)."""
        found = []
        for entry in self.items:
            product_id = entry.form.product_id.value()
            if product_id is None:
                continue
            quantity = entry.form.quantity.data or Decimal("1")
            found.append(ItemInput(product_id, quantity, entry.form.net_price.data))
        return found

    def values(self) -> dict:
        """Return the service arguments the form carries."""
        return {
            "template_id": self.template_id.value(),
            "opportunity_id": self.opportunity_id.value(),
            "contact_id": self.contact_id.value(),
            "valid_until": self.valid_until.data,
            "items": self.item_inputs(),
        }


def template_values(form: OfferTemplateForm) -> tuple[str, str, str]:
    """Return (name, subject, body) of a template form."""
    return clean(form.name), clean(form.subject), (form.body.data or "").replace("\r\n", "\n").strip()
