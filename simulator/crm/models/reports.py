"""Saved report definitions (zapisane raporty)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simulator.crm.base import Base, UTCDateTime
from simulator.crm.models.system import CrmUser


class SavedReport(Base):
    """A named report definition (source, columns, filters, grouping …) kept as JSON."""

    __tablename__ = "saved_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("crm_user.id"))
    definition: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    owner: Mapped[CrmUser] = relationship()

    def __str__(self) -> str:
        return self.name
