"""The audit entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from examplatform.extensions import db

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    """One audit record; each carries the hash of the one before it."""

    __table_args__ = (Index("ix_audit_entry_institution_seq", "institution_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[int | None]  # no foreign key: the log outlives the accounts it names
    actor_label: Mapped[str] = mapped_column(String(300), default="")
    institution_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(60), default="")
    object_id: Mapped[str] = mapped_column(String(60), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, hashed as stored
    ip: Mapped[str] = mapped_column(String(45), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AppendOnlyViolation(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation("audit entries are append-only")
