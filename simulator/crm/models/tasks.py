"""Answers the candidate typed in the task panel (odpowiedzi do zadań), one row per task and answer field."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from simulator.crm.base import Base, UTCDateTime


class TaskAnswer(Base):
    """The current value of one answer field of one scenario task; every change is in the action log."""

    __tablename__ = "task_answer"
    __table_args__ = (UniqueConstraint("task_key", "answer_key", name="one_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_key: Mapped[str] = mapped_column(String(64))
    answer_key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
