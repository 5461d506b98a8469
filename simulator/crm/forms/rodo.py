"""Forms for RODO: consents, data-subject requests and their completion."""

from __future__ import annotations

from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from simulator.crm.forms.fields import CrmForm, IdSelect, OptionalSelect, clean, enum_choices
from simulator.crm.models.rodo import ConsentChannel, RequestKind


class ConsentForm(CrmForm):
    """A consent given by a person (zgoda)."""

    purpose_id = IdSelect("Cel przetwarzania", [DataRequired("Wybierz cel przetwarzania.")])
    channel = OptionalSelect(
        "Kanał", [DataRequired("Wybierz kanał.")], choices=enum_choices(ConsentChannel, empty=True)
    )
    source = StringField(
        "Źródło zgody",
        [InputRequired("Podaj źródło zgody."), Length(max=200, message="Najwyżej 200 znaków.")],
        description="np. formularz WWW, rozmowa telefoniczna (nagrana), formularz na targach",
    )


class WithdrawForm(CrmForm):
    """Withdraw a consent in one click; the source is optional."""

    source = StringField("Sposób wycofania", [Length(max=200, message="Najwyżej 200 znaków.")])


class RequestForm(CrmForm):
    """A data-subject request (żądanie osoby)."""

    contact_id = IdSelect("Osoba", [DataRequired("Wskaż osobę, której dotyczy żądanie.")])
    kind = OptionalSelect(
        "Rodzaj żądania", [DataRequired("Wybierz rodzaj żądania.")], choices=enum_choices(RequestKind, empty=True)
    )
    received_on = DateField(
        "Data wpływu", [Optional()], format="%Y-%m-%d", description="Puste = dzisiejsza data biznesowa."
    )
    channel = StringField(
        "Kanał wpływu", [Length(max=100, message="Najwyżej 100 znaków.")], description="np. e-mail, list, osobiście"
    )
    details = TextAreaField("Treść żądania")

    def values(self) -> dict:
        """Return the request values the form carries."""
        return {
            "kind": self.kind.data,
            "received_on": self.received_on.data,
            "channel": clean(self.channel),
            "details": clean(self.details),
        }


class CompleteRequestForm(CrmForm):
    """Close a request with a note on how it was handled."""

    resolution = TextAreaField("Sposób realizacji", [InputRequired("Opisz, jak zrealizowano żądanie.")])
