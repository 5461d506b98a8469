"""Queue messages in the outbox."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from examplatform.extensions import db
from examplatform.notifications.models import OutboxMessage

log = logging.getLogger(__name__)


def queue_message(
    *, to_email: str, kind: str, subject: str, body: str, now: datetime, user_id: int | None = None
) -> OutboxMessage:
    """Put a message in the outbox and log it (the development delivery channel)."""
    message = OutboxMessage(user_id=user_id, to_email=to_email, kind=kind, subject=subject, body=body, created_at=now)
    db.session.add(message)
    db.session.flush()
    log.info("outbox message %s to %s: %s\n%s", message.id, to_email, subject, body)
    return message


def latest_messages(limit: int = 20, to_email: str | None = None) -> list[OutboxMessage]:
    """Return the newest messages, optionally only those sent to ``to_email``."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if to_email:
        query = query.where(OutboxMessage.to_email == to_email.lower())
    return list(db.session.scalars(query))


def messages_for(user_id: int, limit: int = 100) -> list[OutboxMessage]:
    """Return the messages addressed to one user, newest first."""
    query = select(OutboxMessage).where(OutboxMessage.user_id == user_id).order_by(OutboxMessage.id.desc()).limit(limit)
    return list(db.session.scalars(query))
