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
    # The session PIN candidates type to start; only its hash is kept, the operator sees it once per rotation.
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    pin_set_at: Mapped[datetime | None]

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


class Irregularity(db.Model):
    """An irregularity noted during the session (nieprawidłowość), for the protocol and appeals."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("validation_session.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(2000))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)

    candidate: Mapped[User | None] = relationship(foreign_keys=[candidate_id])
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])
