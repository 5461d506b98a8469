"""Forms for segments: the segment with its conditions, and adding a member to a static list."""

from __future__ import annotations

from wtforms import Form, FormField, StringField, TextAreaField
from wtforms.fields import FieldList
from wtforms.validators import InputRequired, Length

from simulator.crm.forms.fields import REQUIRED, CrmForm, IdSelect, OptionalSelect, clean, enum_choices, options
from simulator.crm.models.segments import SegmentEntity, SegmentKind
from simulator.crm.services.segments import MAX_CONDITIONS, OPS, RULE_FIELDS


class ConditionForm(Form):
    """One condition of a rule-based segment (no CSRF of its own: it lives inside the segment form).

    Its fields never fail validation themselves (the service checks conditions and names the broken one),
    so the segment form's errors stay flat.
    """

    class Meta:
        locales = ("pl_PL", "pl")

    field = OptionalSelect(
        "Pole", choices=options([("", "— brak warunku —"), *((k, f.label) for k, f in RULE_FIELDS.items())])
    )
    op = OptionalSelect("Operator", choices=options([("", "— operator —"), *OPS.items()]))
    value = StringField("Wartość")


class SegmentForm(CrmForm):
    """A segment (segment klientów): a static list or a saved filter."""

    name = StringField("Nazwa segmentu", [InputRequired(REQUIRED), Length(max=120, message="Najwyżej 120 znaków.")])
    description = TextAreaField("Opis (cel sprzedażowy, produkt, kampania)")
    kind = OptionalSelect("Rodzaj", choices=enum_choices(SegmentKind))
    entity = OptionalSelect("Kogo grupuje", choices=enum_choices(SegmentEntity))
    conditions = FieldList(FormField(ConditionForm), min_entries=MAX_CONDITIONS, max_entries=MAX_CONDITIONS)

    def values(self) -> dict:
        """Return the segment values the form carries (empty condition rows dropped)."""
        return {
            "name": clean(self.name),
            "description": clean(self.description),
            "kind": self.kind.data or SegmentKind.STATIC.value,
            "entity": self.entity.data or SegmentEntity.ACCOUNT.value,
            "conditions": [
                {"field": row.field.data, "op": row.op.data, "value": row.value.data or ""}
                for row in self.conditions
                if row.field.data
            ],
        }


class MemberForm(CrmForm):
    """Add a company or person to a static list."""

    record_id = IdSelect("Dodaj do listy")
