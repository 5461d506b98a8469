"""Forms of the item bank screens."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField, TextAreaField

from examplatform.bank.models import ReviewVerdict
from examplatform.core.forms import max_length, required

VERDICT_LABELS = {
    ReviewVerdict.APPROVED: _l("Zatwierdź do użycia w testach"),
    ReviewVerdict.CHANGES_REQUESTED: _l("Zwróć do poprawy (wróci do szkiców)"),
    ReviewVerdict.RETIRED: _l("Wycofaj z użycia"),
    ReviewVerdict.REOPENED: _l("Przywróć wycofane zadanie do szkiców"),
}


class ReviewForm(FlaskForm):
    verdict = SelectField(_l("Decyzja"), validators=[required()])
    comment = TextAreaField(_l("Uzasadnienie / uwagi recenzenta"), validators=[max_length(2000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Zapisz recenzję"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.verdict.choices = [SelectChoice(v.value, str(label)) for v, label in VERDICT_LABELS.items()]


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Szukaj w treści lub identyfikatorze"), validators=[max_length(200)])
    criterion = SelectField(_l("Kryterium"))
    status = SelectField(_l("Status"))
    type = SelectField(_l("Typ"))
