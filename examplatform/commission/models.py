"""Commissions, conflicts of interest, score sheets with versioned blind scores, and decisions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examplatform.core.clock import utcnow
from examplatform.core.db import str_enum
from examplatform.extensions import db

if TYPE_CHECKING:
    from examplatform.auth.models import User
    from examplatform.sessions.models import Enrolment, ValidationSession


class Commission(db.Model):
    """The commission of one validation session (at least two eligible members, one of them the chair)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("validation_session.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[ValidationSession] = relationship()
    members: Mapped[list[CommissionMember]] = relationship(
        back_populates="commission", cascade="all, delete-orphan", order_by="CommissionMember.id"
    )


class CommissionMember(db.Model):
    """A member of a session's commission, with the eligibility found when appointed."""

    __table_args__ = (UniqueConstraint("commission_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commission_id: Mapped[int] = mapped_column(ForeignKey("commission.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    is_chair: Mapped[bool] = mapped_column(default=False)
    eligibility: Mapped[str] = mapped_column(Text)  # the reason shown when appointed
    appointed_at: Mapped[datetime]
    appointed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    commission: Mapped[Commission] = relationship(back_populates="members")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class TrainingRecord(db.Model):
    """Who trained whom for this qualification (a source of conflicts of interest)."""

    __table_args__ = (UniqueConstraint("institution_id", "trainer_email", "candidate_email", "course"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id", ondelete="CASCADE"), index=True)
    trainer_email: Mapped[str] = mapped_column(String(254), index=True)
    candidate_email: Mapped[str] = mapped_column(String(254), index=True)
    course: Mapped[str] = mapped_column(String(200))
    date_from: Mapped[date]
    date_to: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(40), default="manual")  # manual / csv:<file name>
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Declaration(db.Model):
    """A member's declaration of impartiality for one session, naming any candidates they are related to."""

    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("validation_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    statement: Mapped[str] = mapped_column(Text)
    related_candidate_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of user ids
    confirmed_at: Mapped[datetime]


class MeasureKind(StrEnum):
    REFUSED = "refused"  # the member tried to score a candidate they may not verify
    REPLACED = "replaced"  # another eligible member takes over that candidate


class ConflictMeasure(db.Model):
    """What was done about a conflict of interest (refusal, replacement) — evidence for an auditor."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("validation_session.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    kind: Mapped[MeasureKind] = mapped_column(str_enum(MeasureKind, 16))
    reason: Mapped[str] = mapped_column(Text)
    replacement_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class ScoreSheet(db.Model):
    """A candidate's score sheet (karta oceny) in a session."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrolment: Mapped[Enrolment] = relationship()


class CriterionScore(db.Model):
    """One member's score of one criterion; once the member has submitted, a change is a new version."""

    __table_args__ = (UniqueConstraint("sheet_id", "member_id", "criterion", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheet.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    criterion: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(default=1)
    met: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # why a submitted score was changed
    created_at: Mapped[datetime]


class MemberSubmission(db.Model):
    """The moment a member submitted their independent scores of a sheet (they are frozen from then on)."""

    __table_args__ = (UniqueConstraint("sheet_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheet.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    submitted_at: Mapped[datetime]


class AgreedScore(db.Model):
    """The commission's agreed score of a criterion on which the members differed, with the reason."""

    __table_args__ = (UniqueConstraint("sheet_id", "criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheet.id", ondelete="CASCADE"), index=True)
    criterion: Mapped[str] = mapped_column(String(12))
    met: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text)
    agreed_at: Mapped[datetime]
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class Decision(db.Model):
    """The commission's decision on a candidate, locked once every member has confirmed it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheet.id", ondelete="CASCADE"), unique=True)
    positive: Mapped[bool]
    justification: Mapped[str] = mapped_column(Text, default="")
    drafted_at: Mapped[datetime]
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    locked_at: Mapped[datetime | None]
    # the in-app message that announced the locked decision to the candidate
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id", ondelete="SET NULL"))

    confirmations: Mapped[list[DecisionConfirmation]] = relationship(cascade="all, delete-orphan")


class DecisionConfirmation(db.Model):
    """A member's own confirmation of the decision (each with their own login)."""

    __table_args__ = (UniqueConstraint("decision_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    confirmed_at: Mapped[datetime]


class InterviewPlan(db.Model):
    """The session's structured-interview plan (plan rozmowy): the same questions in the same order for all."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("validation_session.id", ondelete="CASCADE"), unique=True)
    bank_version: Mapped[int]
    is_default: Mapped[bool] = mapped_column(default=True)  # derived from the session, not chosen by anyone
    chosen_at: Mapped[datetime]
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    locked_at: Mapped[datetime | None]  # set when the first interview of the session starts

    questions: Mapped[list[PlannedQuestion]] = relationship(
        cascade="all, delete-orphan", order_by="PlannedQuestion.position"
    )


class PlannedQuestion(db.Model):
    """A question of the plan as a copy of the exact text used, so a later edit of the bank changes nothing."""

    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("interview_plan.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    criterion: Mapped[str] = mapped_column(String(12))
    question_id: Mapped[str] = mapped_column(String(40))
    question_version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the snapshot below
    snapshot: Mapped[str] = mapped_column(Text)  # JSON: question, context, elements, threshold, follow-ups, red flags


class Interview(db.Model):
    """The structured interview (rozmowa z komisją) of one candidate: when it started and finished."""

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheet.id", ondelete="CASCADE"), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("interview_plan.id", ondelete="RESTRICT"))
    started_at: Mapped[datetime]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    finished_at: Mapped[datetime | None]
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class InterviewNote(db.Model):
    """One member's own note on one planned question for one candidate (blind until all have submitted)."""

    __table_args__ = (UniqueConstraint("interview_id", "member_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interview.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    question_id: Mapped[int] = mapped_column(ForeignKey("planned_question.id", ondelete="RESTRICT"))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]
