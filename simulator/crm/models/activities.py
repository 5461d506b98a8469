"""Activities and tasks (działania i zadania)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simulator.crm.base import Base, UTCDateTime, enum_column
from simulator.crm.enums import ActivityStatus, ActivityType, Priority
from simulator.crm.models.accounts import Account, Contact
from simulator.crm.models.sales import Opportunity, Stage
from simulator.crm.models.system import CrmUser


class Activity(Base):
    """A call, meeting, e-mail or task, optionally linked to a company, person, opportunity and stage."""

    __tablename__ = "activity"
    __table_args__ = (CheckConstraint("percent_complete BETWEEN 0 AND 100", name="percent_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[ActivityType] = mapped_column(enum_column(ActivityType))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date] = mapped_column(index=True)
    due_time: Mapped[time | None]
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL)
    status: Mapped[ActivityStatus] = mapped_column(enum_column(ActivityStatus), default=ActivityStatus.NOT_STARTED)
    percent_complete: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[int] = mapped_column(ForeignKey("crm_user.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunity.id"), index=True)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id"))
    completed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    owner: Mapped[CrmUser] = relationship()
    account: Mapped[Account | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    opportunity: Mapped[Opportunity | None] = relationship()
    stage: Mapped[Stage | None] = relationship()

    @property
    def is_done(self) -> bool:
        return self.status == ActivityStatus.DONE

    def __str__(self) -> str:
        return self.subject
