"""Operator console forms: one action per candidate or for a selection, always with a reason."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, IntegerField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import NumberRange, Optional

from examplatform.core.forms import max_length, required

ACTIONS = {
    "check_in": _l("Potwierdź tożsamość"),
    "authorise": _l("Zezwól na start"),
    "pause": _l("Wstrzymaj"),
    "resume": _l("Wznów"),
    "extend": _l("Przedłuż"),
    "accommodate": _l("Dostosuj czas (mnożnik)"),
    "credit": _l("Zwróć utracony czas"),
    "allow_move": _l("Zezwól na zmianę stanowiska"),
    "to_paper": _l("Przenieś na test papierowy"),
    "terminate": _l("Zakończ test"),
}
NEEDS_REASON = {"pause", "resume", "extend", "accommodate", "credit", "allow_move", "to_paper", "terminate"}


class ActionForm(FlaskForm):
    action = SelectField(_l("Działanie"), validators=[required()])
    attempt_ids = HiddenField()
    reason = StringField(_l("Powód (do dziennika)"), validators=[max_length(500)])
    note = StringField(_l("Sprawdzony dokument tożsamości"), validators=[max_length(200)])
    minutes = IntegerField(
        _l("Minuty"), validators=[Optional(), NumberRange(min=1, max=120, message=_l("Od 1 do 120."))]
    )
    multiplier = DecimalField(
        _l("Mnożnik czasu"), places=2, validators=[Optional(), NumberRange(min=1, max=3, message=_l("Od 1,0 do 3,0."))]
    )
    seconds = IntegerField(
        _l("Sekundy"), validators=[Optional(), NumberRange(min=1, max=10800, message=_l("Od 1 do 10800."))]
    )
    submit = SubmitField(_l("Wykonaj"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [SelectChoice(k, str(v)) for k, v in ACTIONS.items()]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        needed = {"extend": self.minutes, "accommodate": self.multiplier, "credit": self.seconds}
        field = needed.get(self.action.data)
        if field is not None and field.data is None:
            field.errors = [*field.errors, str(_l("To pole jest wymagane."))]
            ok = False
        if self.action.data in NEEDS_REASON and not (self.reason.data or "").strip():
            self.reason.errors = [*self.reason.errors, str(_l("Podaj powód działania."))]
            ok = False
        if self.action.data == "check_in" and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, str(_l("Wpisz, jaki dokument sprawdzono."))]
            ok = False
        return ok


class IrregularityForm(FlaskForm):
    candidate_id = SelectField(_l("Kandydat (opcjonalnie)"))
    description = StringField(_l("Opis nieprawidłowości"), validators=[required(), max_length(2000)])
    submit = SubmitField(_l("Zapisz w protokole"))


class SimpleForm(FlaskForm):
    """A button that only needs the CSRF token (prepare forms, rotate PIN)."""

    submit = SubmitField(_l("Wykonaj"))


def paper_entry_form_class(positions: list[int]) -> type[FlaskForm]:
    """One short text field per item of the sheet, as keyed from paper."""

    class PaperEntryForm(FlaskForm):
        submit = SubmitField(_l("Zapisz wprowadzenie"))

    for position in positions:
        setattr(PaperEntryForm, f"p_{position}", StringField(str(position), validators=[max_length(12)]))
    return PaperEntryForm


def paper_resolution_form_class(positions: list[int]) -> type[FlaskForm]:
    """The agreed reading of every position on which the two keyings differ."""

    class PaperResolutionForm(FlaskForm):
        submit = SubmitField(_l("Zatwierdź odpowiedzi z arkusza"))

    for position in positions:
        setattr(PaperResolutionForm, f"r_{position}", StringField(str(position), validators=[max_length(12)]))
    return PaperResolutionForm
