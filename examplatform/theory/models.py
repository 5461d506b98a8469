"""Blueprints, per-candidate forms, attempts and the answer journal."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examplatform.core.clock import utcnow
from examplatform.core.db import str_enum
from examplatform.extensions import db

if TYPE_CHECKING:
    from examplatform.bank.models import ItemVersion
    from examplatform.sessions.models import Enrolment


class PartialCredit(StrEnum):
    PER_ITEM = "per_item"  # honour each multiple-choice item's own setting
    NONE = "none"  # every item all-or-nothing


class TestBlueprint(db.Model):
    """The plan of the test for one institution and qualification version (plan testu)."""

    __tablename__ = "test_blueprint"
    __test__ = False  # not a pytest test class
    __table_args__ = (UniqueConstraint("institution_id", "qualification_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id", ondelete="CASCADE"))
    qualification_version: Mapped[int]
    items_per_criterion: Mapped[str] = mapped_column(Text)  # JSON {criterion code: number of items}
    time_limit_minutes: Mapped[int] = mapped_column(default=60)
    pass_percent: Mapped[int] = mapped_column(default=70)
    shuffle_items: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    partial_credit: Mapped[PartialCredit] = mapped_column(str_enum(PartialCredit, 16), default=PartialCredit.PER_ITEM)
    answer_review_allowed: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def allocation(self) -> dict[str, int]:
        return json.loads(self.items_per_criterion)

    @property
    def total_items(self) -> int:
        return sum(self.allocation.values())


class TestForm(db.Model):
    """A candidate's own form of the test (formularz testu), fixed when the session is prepared."""

    __tablename__ = "test_form"
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), unique=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    settings: Mapped[str] = mapped_column(Text)  # JSON snapshot of the blueprint used
    # JSON: the ranked pools the seed chose from (for reproducing the form; loaded on demand)
    selection_trace: Mapped[str] = mapped_column(Text, deferred=True)
    # JSON: the items exactly as the candidate's page shows them (no keys), fixed with the form; loaded on demand
    public_items: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrolment: Mapped[Enrolment] = relationship()
    items: Mapped[list[FormItem]] = relationship(
        back_populates="form", cascade="all, delete-orphan", order_by="FormItem.position"
    )
    attempt: Mapped[Attempt | None] = relationship(back_populates="form", uselist=False)

    @property
    def snapshot(self) -> dict:
        return json.loads(self.settings)


class FormItem(db.Model):
    """One item on a form, at its position, with the order its options are shown in."""

    __table_args__ = (UniqueConstraint("form_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("test_form.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_version.id", ondelete="RESTRICT"))
    option_order: Mapped[str] = mapped_column(Text)  # JSON list of ids, or {"premises": [...], "responses": [...]}

    form: Mapped[TestForm] = relationship(back_populates="items")
    item_version: Mapped[ItemVersion] = relationship()

    @property
    def order(self):
        return json.loads(self.option_order)


class AttemptStatus(StrEnum):
    READY = "ready"  # form prepared, not started
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    SUBMITTED = "submitted"


class FinishReason(StrEnum):
    CANDIDATE = "candidate"
    DEADLINE = "deadline"
    TERMINATED = "terminated"


class DeliveryMode(StrEnum):
    SCREEN = "screen"
    PAPER = "paper"


class Attempt(db.Model):
    """A candidate's sitting of the test; the server's clock decides its deadline."""

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("test_form.id", ondelete="CASCADE"), unique=True)
    status: Mapped[AttemptStatus] = mapped_column(str_enum(AttemptStatus, 16), default=AttemptStatus.READY, index=True)
    mode: Mapped[DeliveryMode] = mapped_column(str_enum(DeliveryMode, 8), default=DeliveryMode.SCREEN)
    time_multiplier: Mapped[float] = mapped_column(default=1.0)  # accommodation (dostosowanie), e.g. 1.5
    extension_seconds: Mapped[int] = mapped_column(default=0)
    credited_seconds: Mapped[int] = mapped_column(default=0)  # time returned after an outage, granted by the operator
    paused_seconds: Mapped[int] = mapped_column(default=0)  # closed pauses
    started_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    finish_reason: Mapped[FinishReason | None] = mapped_column(str_enum(FinishReason, 16))
    receipt: Mapped[str | None] = mapped_column(String(64))
    checked_in_at: Mapped[datetime | None]  # identity document checked by the operator
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    identity_note: Mapped[str] = mapped_column(String(200), default="")
    authorised_at: Mapped[datetime | None]  # the operator let this candidate start
    authorised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    workstation_hash: Mapped[str | None] = mapped_column(String(64))  # the browser the test is bound to
    move_allowed_at: Mapped[datetime | None]  # the operator allowed continuing on another workstation
    released_at: Mapped[datetime | None]  # result released to the candidate by the institution
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    last_seq: Mapped[int] = mapped_column(default=0)
    last_save_at: Mapped[datetime | None]
    last_heartbeat_at: Mapped[datetime | None]

    form: Mapped[TestForm] = relationship(back_populates="attempt")
    answers: Mapped[list[Answer]] = relationship(cascade="all, delete-orphan", order_by="Answer.position")


class Answer(db.Model):
    """The current answer to one position (the newest by sequence number wins)."""

    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    value: Mapped[str] = mapped_column(Text)  # JSON; "null" = cleared
    flagged: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int]
    saved_at: Mapped[datetime]


class JournalEntry(db.Model):
    """Every answer change as received, in the candidate's sequence (dziennik odpowiedzi); append-only."""

    __tablename__ = "answer_journal"
    __table_args__ = (UniqueConstraint("attempt_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    position: Mapped[int]
    value: Mapped[str] = mapped_column(Text)
    flagged: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime]
    client_at: Mapped[str] = mapped_column(String(40), default="")
    applied: Mapped[bool] = mapped_column(default=True)  # False: arrived after a newer change to the same item


class PaperEntry(db.Model):
    """One of the two independent keyings of a paper answer sheet (wprowadzenie odpowiedzi z arkusza)."""

    __table_args__ = (UniqueConstraint("attempt_id", "entry_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), index=True)
    entry_no: Mapped[int]  # 1 or 2
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    raw: Mapped[str] = mapped_column(Text)  # JSON {position: what was keyed from the sheet}
    entered_at: Mapped[datetime]
