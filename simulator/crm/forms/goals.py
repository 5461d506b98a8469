"""Forms for SMART goals, stage task templates and the calendar."""

from __future__ import annotations

from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from simulator.crm.enums import ActivityType, Priority
from simulator.crm.forms.fields import AmountField, CrmForm, IdSelect, OptionalSelect, clean, enum_choices
from simulator.crm.models.goals import GoalMetric


class GoalForm(CrmForm):
    """A sales goal (cel sprzedażowy); the SMART rules are checked by the service."""

    name = StringField("Nazwa celu", [Length(max=200, message="Najwyżej 200 znaków.")])
    metric = OptionalSelect("Miara (skąd liczony postęp)", choices=enum_choices(GoalMetric, empty=True))
    target = AmountField("Wartość docelowa")
    baseline = AmountField("Punkt odniesienia (wynik poprzedniego okresu)")
    period_from = DateField("Okres od", [Optional()], format="%Y-%m-%d")
    period_to = DateField("Okres do (termin)", [Optional()], format="%Y-%m-%d")
    owner_id = IdSelect("Osoba odpowiedzialna")
    pipeline_id = IdSelect("Lejek (opcjonalnie)", description="Liczy tylko szanse z tego lejka.")
    relevance = TextAreaField("Dlaczego ten cel jest istotny (związek z celami firmy)")

    def values(self) -> dict:
        """Return the goal values the form carries."""
        return {
            "name": clean(self.name),
            "metric": self.metric.data or None,
            "target": self.target.data,
            "baseline": self.baseline.data,
            "period_from": self.period_from.data,
            "period_to": self.period_to.data,
            "owner_id": self.owner_id.value(),
            "pipeline_id": self.pipeline_id.value(),
            "relevance": clean(self.relevance),
        }


class TaskTemplateForm(CrmForm):
    """A task template of a stage (zadanie w harmonogramie etapu)."""

    stage_id = IdSelect("Etap")
    type = OptionalSelect("Rodzaj", choices=enum_choices(ActivityType))
    subject = StringField(
        "Temat zadania", [InputRequired("Podaj temat zadania."), Length(max=200, message="Najwyżej 200 znaków.")]
    )
    offset_days = IntegerField(
        "Termin: dni od wejścia na etap",
        [InputRequired("Podaj liczbę dni."), NumberRange(0, 365, message="Podaj liczbę od 0 do 365.")],
    )
    priority = OptionalSelect("Priorytet", choices=enum_choices(Priority))
    description = TextAreaField("Opis")

    def values(self) -> dict:
        """Return the template values the form carries."""
        return {
            "type": self.type.data or ActivityType.TASK.value,
            "subject": clean(self.subject),
            "offset_days": self.offset_days.data,
            "priority": self.priority.data or Priority.NORMAL.value,
            "description": clean(self.description),
        }
