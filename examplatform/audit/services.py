"""Append to and verify the audit log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, text

from examplatform.audit.models import GENESIS_HASH, AuditEntry
from examplatform.extensions import db

if TYPE_CHECKING:
    from examplatform.auth.models import User

_LOCK_KEY = 13881  # advisory lock serialising appends on PostgreSQL


def canonical_json(value: Any) -> str:
    """Serialise ``value`` deterministically (sorted keys, no spaces, UTF-8 kept)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _payload(entry) -> str:
    return canonical_json(
        {
            "seq": entry.seq,
            "occurred_at": entry.occurred_at.isoformat(timespec="microseconds"),
            "actor_id": entry.actor_id,
            "actor_label": entry.actor_label,
            "institution_id": entry.institution_id,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "reason": entry.reason,
            "details": entry.details,
            "ip": entry.ip,
        }
    )


def compute_hash(entry) -> str:
    """Return the SHA-256 over the previous hash and the entry's canonical content."""
    return hashlib.sha256(f"{entry.prev_hash}|{_payload(entry)}".encode()).hexdigest()


def record(
    action: str,
    *,
    actor: User | None,
    now: datetime,
    institution_id: int | None = None,
    object_type: str = "",
    object_id: object = "",
    reason: str = "",
    details: dict | None = None,
    ip: str = "",
    actor_label: str | None = None,
) -> AuditEntry:
    """Append an entry to the chain and flush it (the caller commits)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    entry = AuditEntry(
        seq=(last.seq + 1) if last else 1,
        occurred_at=now.astimezone(UTC),
        actor_id=actor.id if actor is not None else None,
        actor_label=(actor_label if actor_label is not None else (actor.email if actor is not None else ""))[:300],
        institution_id=institution_id,
        action=action,
        object_type=object_type[:60],
        object_id=str(object_id)[:60] if object_id not in (None, "") else "",
        reason=reason or "",
        details=canonical_json(details or {}),
        ip=ip or "",
        prev_hash=last.entry_hash if last else GENESIS_HASH,
    )
    entry.entry_hash = compute_hash(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Verification:
    """The outcome of checking the whole chain."""

    ok: bool
    checked: int
    head_hash: str
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str = ""


def _entries(batch: int = 1000) -> Iterator:
    """Yield the stored rows in chain order, read afresh from the table (never from the identity map)."""
    table, last_seq = AuditEntry.__table__, 0
    while True:
        rows = db.session.execute(select(table).where(table.c.seq > last_seq).order_by(table.c.seq).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last_seq = rows[-1].seq


def verify_chain() -> Verification:
    """Recompute every hash; report the first entry that was altered, removed or inserted."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for entry in _entries():
        if entry.seq != expected_seq:
            return Verification(
                False,
                checked,
                prev_hash,
                expected_seq,
                None,
                f"brak wpisu nr {expected_seq} (następny zachowany to nr {entry.seq}): wpis usunięto",
            )
        if entry.prev_hash != prev_hash:
            return Verification(
                False,
                checked,
                prev_hash,
                entry.seq,
                entry.id,
                f"wpis nr {entry.seq} nie wskazuje na skrót poprzedniego wpisu: łańcuch przerwany",
            )
        if compute_hash(entry) != entry.entry_hash:
            return Verification(
                False,
                checked,
                prev_hash,
                entry.seq,
                entry.id,
                f"wpis nr {entry.seq} (id {entry.id}) został zmieniony: skrót się nie zgadza",
            )
        prev_hash, expected_seq, checked = entry.entry_hash, expected_seq + 1, checked + 1
    return Verification(True, checked, prev_hash)


def entry_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def apply_changes(
    obj: Any,
    values: dict[str, Any],
    *,
    action: str,
    actor: User | None,
    now: datetime,
    reason: str,
    institution_id: int | None,
    object_type: str,
) -> dict[str, dict[str, Any]]:
    """Set the given fields on ``obj`` and audit each changed one with its before and after (nothing if none)."""
    changes = {
        name: {"before": _plain(getattr(obj, name)), "after": _plain(value)}
        for name, value in values.items()
        if getattr(obj, name) != value
    }
    for name in changes:
        setattr(obj, name, values[name])
    if changes:
        db.session.flush()
        record(
            action,
            actor=actor,
            now=now,
            institution_id=institution_id,
            object_type=object_type,
            object_id=obj.id,
            reason=reason,
            details=changes,
        )
    return changes
