"""The platform side of the practical part: the session's scenario and each candidate's CRM instance."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examplatform.core.clock import utcnow
from examplatform.core.db import str_enum
from examplatform.extensions import db
from simulator.api import MOUNT_POINT

if TYPE_CHECKING:
    from examplatform.sessions.models import Enrolment, ValidationSession


class PracticalSetup(db.Model):
    """Which scenario a session's candidates work on, and for how long."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("validation_session.id", ondelete="CASCADE"), unique=True)
    scenario: Mapped[str] = mapped_column(String(64))
    time_limit_minutes: Mapped[int] = mapped_column(default=120)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    session: Mapped[ValidationSession] = relationship()


class PracticalStatus(StrEnum):
    PROVISIONED = "provisioned"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"

    @property
    def label(self) -> str:
        return str(
            {
                "provisioned": _l("przygotowana"),
                "in_progress": _l("w toku"),
                "finished": _l("zakończona"),
            }[self.value]
        )


class PracticalFinish(StrEnum):
    CANDIDATE = "candidate"
    DEADLINE = "deadline"
    OPERATOR = "operator"

    @property
    def label(self) -> str:
        return str(
            {
                "candidate": _l("zakończona przez kandydata"),
                "deadline": _l("upłynął czas"),
                "operator": _l("zakończona przez operatora"),
            }[self.value]
        )


class PracticalAttempt(db.Model):
    """One candidate's sandboxed CRM instance in a session, its clock, and the frozen check results.

    The capability tokens open the instance (the candidate's for work, the viewer's read-only for the
    commission); they are shown only to that candidate and to the session's staff.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), unique=True)
    scenario: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(BigInteger)
    instance_id: Mapped[str] = mapped_column(String(64), unique=True)
    token: Mapped[str] = mapped_column(String(128))
    viewer_token: Mapped[str] = mapped_column(String(128))
    status: Mapped[PracticalStatus] = mapped_column(
        str_enum(PracticalStatus, 16), default=PracticalStatus.PROVISIONED, index=True
    )
    provisioned_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    extension_seconds: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]
    finish_reason: Mapped[PracticalFinish | None] = mapped_column(str_enum(PracticalFinish, 16))
    evaluation: Mapped[str | None] = mapped_column(Text)  # JSON: the check results at the freeze
    evaluated_at: Mapped[datetime | None]

    enrolment: Mapped[Enrolment] = relationship()

    @property
    def url_path(self) -> str:
        return f"{MOUNT_POINT}/i/{self.token}/"

    @property
    def viewer_url_path(self) -> str:
        return f"{MOUNT_POINT}/i/{self.viewer_token}/"

    @property
    def results(self) -> dict[str, Any] | None:
        return json.loads(self.evaluation) if self.evaluation else None
