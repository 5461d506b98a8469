"""Forms for activities and the activity list filter."""

from __future__ import annotations

from wtforms import DateField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from simulator.crm.enums import ActivityStatus, ActivityType, Priority
from simulator.crm.forms.fields import REQUIRED, CrmForm, IdSelect, OptionalSelect, clean, enum_choices, options
from simulator.crm.forms.sales import PERCENT, PercentField


class ActivityForm(CrmForm):
    """A call, meeting, e-mail or task (działanie / zadanie)."""

    type = OptionalSelect("Rodzaj", [DataRequired("Wybierz rodzaj działania.")], choices=enum_choices(ActivityType))
    subject = StringField("Temat", [InputRequired(REQUIRED), Length(max=200, message="Najwyżej 200 znaków.")])
    description = TextAreaField("Opis")
    due_date = DateField("Termin (dzień)", [InputRequired("Podaj termin.")], format="%Y-%m-%d")
    due_time = TimeField("Godzina", [Optional()], format="%H:%M")
    priority = OptionalSelect("Priorytet", [DataRequired("Wybierz priorytet.")], choices=enum_choices(Priority))
    status = OptionalSelect("Status", [DataRequired("Wybierz status.")], choices=enum_choices(ActivityStatus))
    percent_complete = PercentField("Stopień wykonania (%)", [InputRequired("Podaj stopień wykonania."), PERCENT])
    owner_id = IdSelect("Osoba odpowiedzialna", [DataRequired("Wskaż osobę odpowiedzialną.")])
    account_id = IdSelect("Firma")
    contact_id = IdSelect("Osoba kontaktowa")
    opportunity_id = IdSelect("Szansa sprzedaży")
    stage_id = IdSelect("Etap lejka", description="Etap szansy, którego dotyczy działanie.")

    def values(self) -> dict:
        """Return the model values the form carries."""
        return {
            "type": ActivityType(self.type.data),
            "subject": clean(self.subject),
            "description": clean(self.description),
            "due_date": self.due_date.data,
            "due_time": self.due_time.data,
            "priority": Priority(self.priority.data),
            "status": ActivityStatus(self.status.data),
            "percent_complete": self.percent_complete.data,
            "owner_id": self.owner_id.value(),
            "account_id": self.account_id.value(),
            "contact_id": self.contact_id.value(),
            "opportunity_id": self.opportunity_id.value(),
            "stage_id": self.stage_id.value(),
        }


ALL = SelectChoice("", "— wszystkie —")


class ActivityFilterForm(CrmForm):
    """Filters of the activity list (sent with GET, so without a CSRF token)."""

    class Meta:
        csrf = False

    date_from = DateField("Termin od", [Optional()], format="%Y-%m-%d")
    date_to = DateField("Termin do", [Optional()], format="%Y-%m-%d")
    owner_id = IdSelect("Osoba odpowiedzialna")
    priority = OptionalSelect("Priorytet", choices=[ALL, *enum_choices(Priority)])
    status = OptionalSelect(
        "Status", choices=options([("", "— wszystkie —"), ("open", "do zrobienia"), *ActivityStatus.choices()])
    )
    type = OptionalSelect("Rodzaj", choices=[ALL, *enum_choices(ActivityType)])

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("Data „do” nie może być wcześniejsza niż data „od”.")
