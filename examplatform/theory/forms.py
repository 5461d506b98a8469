"""Forms of the candidate's and the operator's test screens."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import Regexp

from examplatform.core.forms import required


class StartForm(FlaskForm):
    pin = StringField(
        _l("PIN sesji (od operatora)"),
        validators=[required(), Regexp(r"^\s*\d{6}\s*$", message=_l("PIN to 6 cyfr."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 8},
    )
    submit = SubmitField(_l("Rozpocznij test"))
