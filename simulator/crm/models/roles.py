"""CRM roles (role użytkowników) with their field-level permissions on personal data."""

from __future__ import annotations

import json

from sqlalchemy import Boolean, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from simulator.crm.base import Base
from simulator.crm.enums import LegalForm

# personal fields of a person whose visibility a role controls, with their Polish labels
PROTECTED_FIELDS = {"pesel": "PESEL", "birth_date": "data urodzenia", "email": "e-mail", "phone": "telefon"}
# the protected fields every company holds: a sole trader's PESEL is its owner's (the same permission as a person's)
ACCOUNT_PROTECTED_FIELDS = ("pesel",)
# a sole trader's (JDG) company e-mail and phone identify its owner too: personal data, under the permissions of a
# person's e-mail and phone; of any other legal form they are plain company data
SOLE_TRADER_PROTECTED_FIELDS = ("pesel", "email", "phone")
MANAGE_USERS_LABEL = "administrowanie użytkownikami i rolami"


def account_protected_fields(legal_form: LegalForm | str | None) -> tuple[str, ...]:
    """Return the protected fields of a company of this legal form (as it is now: a change of form changes them)."""
    return SOLE_TRADER_PROTECTED_FIELDS if legal_form == LegalForm.JDG else ACCOUNT_PROTECTED_FIELDS


class CrmRole(Base):
    """A role of CRM users (np. Handlowiec, Administrator CRM) and its permissions.

    ``visible_fields``: the protected personal fields the role may see; ``manage_users``: whether it administers
    users and roles (adds users, gives them roles, sets which fields a role sees, previews as another user).
    """

    __tablename__ = "crm_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    visible_fields: Mapped[str] = mapped_column(Text, default="[]")
    manage_users: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def fields(self) -> set[str]:
        """Return the protected fields this role may see."""
        return {f for f in json.loads(self.visible_fields or "[]") if f in PROTECTED_FIELDS}

    @fields.setter
    def fields(self, names) -> None:
        self.visible_fields = json.dumps([f for f in PROTECTED_FIELDS if f in set(names)])

    def can_see(self, field: str) -> bool:
        """Return whether users of this role may see a protected field (other fields are always visible)."""
        return field not in PROTECTED_FIELDS or field in self.fields

    def __str__(self) -> str:
        return self.name
