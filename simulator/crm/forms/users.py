"""Forms for CRM users and the field permissions of roles."""

from __future__ import annotations

from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import InputRequired, Length

from simulator.crm import validators as v
from simulator.crm.forms.fields import CrmForm, IdSelect, normalised, options
from simulator.crm.models.roles import PROTECTED_FIELDS


class RoleFieldsForm(CrmForm):
    """Which personal fields a role may see."""

    fields = SelectMultipleField(
        "Widoczne pola danych osobowych",
        choices=options(PROTECTED_FIELDS.items()),
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )


class UserRoleForm(CrmForm):
    """Give a user a role."""

    role_id = IdSelect("Rola")


class UserForm(CrmForm):
    """A new CRM user."""

    full_name = StringField(
        "Imię i nazwisko", [InputRequired("Podaj imię i nazwisko."), Length(max=120, message="Najwyżej 120 znaków.")]
    )
    email = StringField("E-mail", [normalised(v.normalise_email)])
    role_id = IdSelect("Rola")
