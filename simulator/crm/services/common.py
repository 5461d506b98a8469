"""What every CRM service shares: the acting context, domain errors, change snapshots and the log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from simulator import actionlog
from simulator.actionlog import Actor
from simulator.crm.models import ActionLogEntry


@dataclass
class Ctx:
    """Who acts, on which instance session, at which real time and on which (frozen) business date."""

    session: Session
    actor: Actor
    now: datetime
    business_date: date
    me_id: int | None = None


@dataclass
class CrmError(Exception):
    """A refused change; ``message`` and ``field_errors`` are Polish and shown to the user."""

    message: str
    field_errors: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def snapshot(obj: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Return the column values of a model object (JSON-safe through the log's serialiser)."""
    names = fields or [c.key for c in inspect(obj).mapper.column_attrs]
    return {name: getattr(obj, name) for name in names}


def apply_changes(obj: Any, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Set the given attributes; return (before, after) of the ones that really changed."""
    before, after = {}, {}
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            before[name], after[name] = old, value
            setattr(obj, name, value)
    return before, after


def record(
    ctx: Ctx,
    action: str,
    *,
    entity_type: str = "",
    entity_id: int | None = None,
    account_id: int | None = None,
    summary: str = "",
    before: Mapping | None = None,
    after: Mapping | None = None,
    details: Mapping | None = None,
) -> ActionLogEntry:
    """Append one entry to the instance's action log in the current transaction and flush it."""
    session = ctx.session
    last = session.execute(
        select(ActionLogEntry.seq, ActionLogEntry.entry_hash).order_by(ActionLogEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq + 1, last.entry_hash) if last else (1, actionlog.GENESIS_HASH)
    row = actionlog.new_row(
        seq,
        prev,
        actor=ctx.actor,
        action=action,
        now=ctx.now,
        entity_type=entity_type,
        entity_id=entity_id,
        account_id=account_id,
        summary=summary,
        before=before,
        after=after,
        details=details,
    )
    row["occurred_at"] = datetime.fromisoformat(row["occurred_at"])
    entry = ActionLogEntry(**row)
    session.add(entry)
    session.flush()
    return entry


def get_or_404(ctx: Ctx, model: type, record_id: int):
    """Return a record of this instance or raise ``NotFoundError``."""
    obj = ctx.session.get(model, record_id)
    if obj is None:
        raise NotFoundError(model.__name__)
    return obj


class NotFoundError(LookupError):
    """A record id that does not exist in this instance."""


@dataclass
class AccessDenied(Exception):
    """An action or a view the acting CRM user's role does not allow; ``message`` is Polish and shown (403)."""

    message: str
    entity_type: str = ""
    entity_id: int | None = None
    account_id: int | None = None

    def __str__(self) -> str:
        return self.message
