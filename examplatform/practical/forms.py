"""Forms of the practical part: the session's scenario and time, operator actions with a reason."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, NumberRange

from examplatform.core.forms import input_required, max_length, reason_field_validators, required
from examplatform.practical.services import EXTENSION_MAX_MINUTES, MAX_MINUTES, MIN_MINUTES


class SetupForm(FlaskForm):
    scenario = SelectField(_l("Scenariusz egzaminacyjny"), validators=[required()])
    minutes = IntegerField(
        _l("Czas na część praktyczną (minuty)"),
        default=120,
        validators=[
            input_required(),
            NumberRange(
                min=MIN_MINUTES,
                max=MAX_MINUTES,
                message=_l("Od %(lo)d do %(hi)d minut.", lo=MIN_MINUTES, hi=MAX_MINUTES),
            ),
        ],
    )
    submit = SubmitField(_l("Zapisz"))


class ExtendForm(FlaskForm):
    minutes = IntegerField(
        _l("Minuty"),
        validators=[
            input_required(),
            NumberRange(min=1, max=EXTENSION_MAX_MINUTES, message=_l("Od 1 do %(n)d.", n=EXTENSION_MAX_MINUTES)),
        ],
    )
    reason = StringField(_l("Powód (do dziennika)"), validators=reason_field_validators())
    submit = SubmitField(_l("Przedłuż"))


class FinishForm(FlaskForm):
    reason = StringField(_l("Powód (do dziennika)"), validators=reason_field_validators())
    submit = SubmitField(_l("Zakończ"))


class ResetForm(FlaskForm):
    """Bring a candidate's instance back to its start state (after a technical failure): a reason and an
    explicit confirmation, because the candidate's changes in the CRM are gone (the log keeps them)."""

    reason = StringField(_l("Powód (do dziennika)"), validators=reason_field_validators())
    confirm = BooleanField(
        _l("Potwierdzam: zmiany kandydata w CRM zostaną usunięte"),
        validators=[DataRequired(_l("Zaznacz potwierdzenie – zmiany kandydata w CRM zostaną usunięte."))],
    )
    submit = SubmitField(_l("Przywróć stan początkowy"))


class ConfirmForm(FlaskForm):
    """A button with CSRF protection only (provision, start, the candidate's finish)."""

    note = StringField(validators=[max_length(200)])
    submit = SubmitField(_l("Potwierdź"))
