"""Item versions as stored for use in test forms, and their reviews."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examplatform.bank.items import Item, ItemStatus, ItemType
from examplatform.core.clock import utcnow
from examplatform.core.db import str_enum
from examplatform.extensions import db

if TYPE_CHECKING:
    from examplatform.auth.models import User


class ItemVersion(db.Model):
    """One version of a test item; once it has been placed on a candidate's form it never changes."""

    __table_args__ = (UniqueConstraint("item_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_key: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[int]
    criterion: Mapped[str] = mapped_column(String(12), index=True)
    type: Mapped[ItemType] = mapped_column(str_enum(ItemType, 16))
    status: Mapped[ItemStatus] = mapped_column(str_enum(ItemStatus, 16), index=True)
    difficulty: Mapped[float]
    stem: Mapped[str] = mapped_column(Text)  # copied out of content for search
    content: Mapped[str] = mapped_column(Text)  # canonical JSON of Item.content()
    content_hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_used_at: Mapped[datetime | None]
    exposure_count: Mapped[int] = mapped_column(default=0)

    reviews: Mapped[list[ItemReview]] = relationship(
        back_populates="item_version", cascade="all, delete-orphan", order_by="ItemReview.created_at"
    )

    def to_item(self) -> Item:
        return Item.from_content(json.loads(self.content), status=self.status, origin=self.origin)

    @property
    def is_used(self) -> bool:
        return self.first_used_at is not None


class ReviewVerdict(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    RETIRED = "retired"
    REOPENED = "reopened"


class ItemReview(db.Model):
    """A reviewer's decision on an item version, with a comment (recenzja zadania)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_version.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    verdict: Mapped[ReviewVerdict] = mapped_column(str_enum(ReviewVerdict, 24))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item_version: Mapped[ItemVersion] = relationship(back_populates="reviews")
    reviewer: Mapped[User | None] = relationship()
