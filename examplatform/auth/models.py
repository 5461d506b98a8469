"""Users and the roles they hold in institutions."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examplatform.core.clock import utcnow
from examplatform.core.db import str_enum
from examplatform.extensions import db

if TYPE_CHECKING:
    from examplatform.institutions.models import Institution


class Role(StrEnum):
    """A role a person holds, in one institution (or platform-wide for the platform admin)."""

    CANDIDATE = "candidate"
    OPERATOR = "operator"
    COMMISSION_MEMBER = "commission_member"
    INSTITUTION_ADMIN = "institution_admin"
    APPEALS_PANEL = "appeals_panel"
    QA_AUDITOR = "qa_auditor"
    PLATFORM_ADMIN = "platform_admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.CANDIDATE: _l("Kandydat"),
    Role.OPERATOR: _l("Operator systemu egzaminacyjnego"),
    Role.COMMISSION_MEMBER: _l("Członek komisji walidacyjnej"),
    Role.INSTITUTION_ADMIN: _l("Administrator instytucji"),
    Role.APPEALS_PANEL: _l("Członek zespołu odwoławczego"),
    Role.QA_AUDITOR: _l("Audytor zewnętrzny (tylko odczyt)"),
    Role.PLATFORM_ADMIN: _l("Administrator platformy"),
}

STAFF_ROLES = (Role.OPERATOR, Role.COMMISSION_MEMBER, Role.INSTITUTION_ADMIN, Role.APPEALS_PANEL, Role.QA_AUDITOR)


def _new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(db.Model):
    """A person with a login (kandydat, pracownik instytucji, audytor)."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Rotated on password change or reset: every other session of the user is logged out.
    session_token: Mapped[str] = mapped_column(String(64), default=_new_session_token)
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="RoleAssignment.user_id"
    )

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        self.session_token = _new_session_token()

    def has_role(self, *roles: Role, institution_id: int | None = None) -> bool:
        """Tell whether the user holds any of ``roles`` (in ``institution_id`` if given)."""
        return any(
            a.role in roles and (institution_id is None or a.institution_id == institution_id) for a in self.roles
        )

    @property
    def role_set(self) -> set[Role]:
        return {Role(a.role) for a in self.roles}

    def institutions_for(self, *roles: Role) -> set[int]:
        """Return the ids of institutions in which the user holds any of ``roles``."""
        return {a.institution_id for a in self.roles if a.role in roles and a.institution_id is not None}

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class RoleAssignment(db.Model):
    """A role held by a user in an institution (institution is empty for platform-wide roles)."""

    __table_args__ = (UniqueConstraint("user_id", "role", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id", ondelete="CASCADE"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    institution: Mapped[Institution | None] = relationship()


class PasswordResetToken(db.Model):
    """A one-time password reset token; only its SHA-256 digest is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
