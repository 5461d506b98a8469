"""Validation sessions and enrolments."""

from __future__ import annotations

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
    from examplatform.auth.models import User
    from examplatform.institutions.models import Institution, ValidationCentre


class TheoryMode(StrEnum):
    SCREEN = "screen"
    PAPER = "paper"

    @property
    def label(self) -> str:
        return str(
            _l("na ekranie, pod nadzorem operatora")
            if self is TheoryMode.SCREEN
            else _l("na papierze, pod nadzorem komisji")
        )


class SessionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str({"planned": _l("zaplanowana"), "in_progress": _l("w toku"), "closed": _l("zamknięta")}[self.value])


class ValidationSession(db.Model):
    """A validation session (sesja walidacyjna) at a centre on a given day."""

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id", ondelete="CASCADE"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("validation_centre.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    starts_at: Mapped[datetime]
    theory_mode: Mapped[TheoryMode] = mapped_column(str_enum(TheoryMode, 16), default=TheoryMode.SCREEN)
    status: Mapped[SessionStatus] = mapped_column(str_enum(SessionStatus, 16), default=SessionStatus.PLANNED)
    qualification_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    institution: Mapped[Institution] = relationship()
    centre: Mapped[ValidationCentre] = relationship()
    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="session", cascade="all, delete-orphan")


class Enrolment(db.Model):
    """A candidate's place in a validation session."""

    __table_args__ = (UniqueConstraint("session_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("validation_session.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[ValidationSession] = relationship(back_populates="enrolments")
    candidate: Mapped[User] = relationship()
