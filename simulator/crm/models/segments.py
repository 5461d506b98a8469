"""Customer segments (segmenty): static lists and rule-based saved filters."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simulator.crm.base import Base, LabelledEnum, UTCDateTime, enum_column
from simulator.crm.models.accounts import Account, Contact
from simulator.crm.models.system import CrmUser


class SegmentKind(LabelledEnum):
    """How a segment's members are chosen."""

    STATIC = "statyczny", "lista statyczna (członkowie dodawani ręcznie)"
    RULES = "regulowy", "segment regułowy (zapisany filtr, członkowie liczeni na bieżąco)"


class SegmentEntity(LabelledEnum):
    """What a segment groups."""

    ACCOUNT = "firma", "firmy"
    CONTACT = "osoba", "osoby kontaktowe"


class Segment(Base):
    """A customer segment: a static list or a saved filter (all conditions must hold)."""

    __tablename__ = "segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[SegmentKind] = mapped_column(enum_column(SegmentKind))
    entity: Mapped[SegmentEntity] = mapped_column(enum_column(SegmentEntity))
    rules: Mapped[str] = mapped_column(Text, default="[]")
    owner_id: Mapped[int] = mapped_column(ForeignKey("crm_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    owner: Mapped[CrmUser] = relationship()
    members: Mapped[list[SegmentMember]] = relationship(
        back_populates="segment", cascade="all, delete-orphan", order_by="SegmentMember.id"
    )

    @property
    def conditions(self) -> list[dict[str, str]]:
        """Return the saved conditions as dicts with field, op and value."""
        return json.loads(self.rules or "[]")

    @conditions.setter
    def conditions(self, items: list[dict[str, str]]) -> None:
        self.rules = json.dumps(items, ensure_ascii=False)

    def __str__(self) -> str:
        return self.name


class SegmentMember(Base):
    """A company or person added by hand to a static list."""

    __tablename__ = "segment_member"
    __table_args__ = (UniqueConstraint("segment_id", "account_id", "contact_id", name="one_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segment.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    segment: Mapped[Segment] = relationship(back_populates="members")
    account: Mapped[Account | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
