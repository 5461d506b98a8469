"""Form helpers: validators with Polish messages, shared by every domain's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import validators


def required() -> validators.DataRequired:
    return validators.DataRequired(message=_l("To pole jest wymagane."))


def input_required() -> validators.InputRequired:
    return validators.InputRequired(message=_l("To pole jest wymagane."))


def max_length(limit: int) -> validators.Length:
    return validators.Length(max=limit, message=_l("Najwyżej %(max)d znaków.", max=limit))


def length(minimum: int, maximum: int) -> validators.Length:
    return validators.Length(
        min=minimum, max=maximum, message=_l("Od %(min)d do %(max)d znaków.", min=minimum, max=maximum)
    )


def email() -> validators.Email:
    return validators.Email(message=_l("Podaj poprawny adres e-mail."))


def reason_field_validators() -> list:
    """Validators for the 'reason' every audited change carries."""
    return [required(), length(5, 500)]
