"""Commission forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)

from examplatform.core.forms import max_length, required

DECLARATION_TEXT = _l(
    "Oświadczam, że nie przygotowywałem/-am do uzyskania kwalifikacji żadnego z kandydatów tej sesji, poza "
    "wskazanymi poniżej, i nie pozostaję z nimi w relacji, która mogłaby podważyć moją bezstronność."
)


class AppointForm(FlaskForm):
    user_id = SelectField(_l("Członek komisji"), validators=[required()])
    chair = BooleanField(_l("Przewodniczący komisji"))
    submit = SubmitField(_l("Powołaj do komisji"))


class DeclarationForm(FlaskForm):
    related = SelectMultipleField(_l("Kandydaci, z którymi mam związek lub których przygotowywałem/-am"))
    confirm = BooleanField(DECLARATION_TEXT, validators=[required()])
    submit = SubmitField(_l("Złóż oświadczenie"))


class RosterForm(FlaskForm):
    file = FileField(
        _l("Lista szkoleń (CSV: trener_email; kandydat_email; szkolenie; od; do)"),
        validators=[FileRequired(message=_l("Wybierz plik."))],
    )
    submit = SubmitField(_l("Wczytaj listę szkoleń"))


class AgreeForm(FlaskForm):
    criterion = StringField(validators=[required(), max_length(12)])
    met = SelectField(
        _l("Uzgodniona ocena"), choices=[SelectChoice("1", _l("spełnia")), SelectChoice("0", _l("nie spełnia"))]
    )
    reason = StringField(_l("Uzasadnienie"), validators=[required(), max_length(2000)])
    submit = SubmitField(_l("Zapisz uzgodnienie"))


class DecisionForm(FlaskForm):
    justification = TextAreaField(_l("Uzasadnienie decyzji"), validators=[max_length(10000)], render_kw={"rows": 6})
    submit = SubmitField(_l("Zapisz projekt decyzji"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Potwierdzam decyzję"))
