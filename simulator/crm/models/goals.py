"""SMART sales goals (cele sprzedażowe) and task templates of pipeline stages (harmonogram zadań)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simulator.crm.base import Base, LabelledEnum, Money, UTCDateTime, enum_column
from simulator.crm.enums import ActivityType, Priority
from simulator.crm.models.sales import Pipeline, Stage
from simulator.crm.models.system import CrmUser


class GoalMetric(LabelledEnum):
    """What a goal measures; every metric is computed from the instance's data."""

    WON_VALUE = "wartosc_wygranych", "wartość wygranych szans w PLN (zł)"
    WON_COUNT = "liczba_wygranych", "liczba wygranych szans"
    NEW_CUSTOMERS = "nowi_klienci", "liczba nowych klientów (pierwsza wygrana szansa firmy)"
    MEETINGS = "spotkania", "liczba odbytych spotkań"
    CALLS = "telefony", "liczba wykonanych telefonów"

    @property
    def is_money(self) -> bool:
        return self is GoalMetric.WON_VALUE


class SalesGoal(Base):
    """A SMART sales goal: metric, target, period, owner and baseline; progress is computed, never typed."""

    __tablename__ = "sales_goal"
    __table_args__ = (
        CheckConstraint("target > 0", name="target_positive"),
        CheckConstraint("period_from <= period_to", name="period_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[GoalMetric] = mapped_column(enum_column(GoalMetric))
    target: Mapped[Decimal] = mapped_column(Money)
    baseline: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    period_from: Mapped[date]
    period_to: Mapped[date]
    owner_id: Mapped[int] = mapped_column(ForeignKey("crm_user.id"))
    pipeline_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline.id"))
    relevance: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    owner: Mapped[CrmUser] = relationship()
    pipeline: Mapped[Pipeline | None] = relationship()

    def __str__(self) -> str:
        return self.name


class TaskTemplate(Base):
    """A task created automatically when an opportunity enters a stage, due N days after entry."""

    __tablename__ = "task_template"
    __table_args__ = (CheckConstraint("offset_days BETWEEN 0 AND 365", name="offset_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"), index=True)
    type: Mapped[ActivityType] = mapped_column(enum_column(ActivityType))
    subject: Mapped[str] = mapped_column(String(200))
    offset_days: Mapped[int] = mapped_column(Integer)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    stage: Mapped[Stage] = relationship()
