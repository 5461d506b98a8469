"""Login and password forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import EqualTo

from examplatform.core.forms import email, max_length, required


def _new_password_fields():
    """Return fresh 'new password' and 'repeat' fields (created here, so they follow earlier fields)."""
    return (
        PasswordField(_l("Nowe hasło"), validators=[required(), max_length(128)]),
        PasswordField(
            _l("Powtórz nowe hasło"),
            validators=[required(), EqualTo("new_password", message=_l("Hasła nie są takie same."))],
        ),
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Adres e-mail"), validators=[required(), email(), max_length(254)])
    password = PasswordField(_l("Hasło"), validators=[required(), max_length(128)])
    remember = BooleanField(_l("Zapamiętaj mnie na tym komputerze"))
    submit = SubmitField(_l("Zaloguj się"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Obecne hasło"), validators=[required(), max_length(128)])
    new_password, confirm = _new_password_fields()
    submit = SubmitField(_l("Zmień hasło"))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Adres e-mail konta"), validators=[required(), email(), max_length(254)])
    submit = SubmitField(_l("Wyślij link do ustawienia hasła"))


class ResetPasswordForm(FlaskForm):
    new_password, confirm = _new_password_fields()
    submit = SubmitField(_l("Ustaw nowe hasło"))
