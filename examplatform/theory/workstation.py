"""Bind an attempt to the workstation (browser) it started on; moving needs the operator's consent."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_babel import gettext as _

from examplatform.audit.services import record
from examplatform.auth.models import User
from examplatform.core.errors import Conflict, DomainError
from examplatform.theory.models import Attempt


class WorkstationMismatch(Conflict):
    """The attempt is bound to another browser and no move has been allowed."""


def cookie_name(attempt: Attempt) -> str:
    return f"exam_ws_{attempt.id}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bind(attempt: Attempt) -> str:
    """Give the attempt a fresh workstation token; return it (it goes into an HttpOnly cookie)."""
    token = secrets.token_urlsafe(24)
    attempt.workstation_hash = _digest(token)
    return token


def matches(attempt: Attempt, token: str | None) -> bool:
    """Whether the request's token is the attempt's bound workstation (nothing to write)."""
    return bool(token and attempt.workstation_hash and secrets.compare_digest(_digest(token), attempt.workstation_hash))


def check(attempt: Attempt, token: str | None, *, actor: User, now: datetime, ip: str = "") -> str | None:
    """Accept the request's workstation; return a new token when the attempt moves here with consent."""
    if attempt.workstation_hash is None:
        return bind(attempt)
    if matches(attempt, token):
        return None
    if attempt.move_allowed_at is not None:
        new = bind(attempt)
        attempt.move_allowed_at = None
        record("theory.workstation_moved", actor=actor, now=now, object_type="attempt", object_id=attempt.id, ip=ip)
        return new
    record("theory.workstation_refused", actor=actor, now=now, object_type="attempt", object_id=attempt.id, ip=ip)
    raise WorkstationMismatch(
        _("Ten test jest otwarty na innym stanowisku. Poproś operatora o zgodę na kontynuowanie na tym komputerze.")
    )


def allow_move(attempt: Attempt, *, actor: User, now: datetime, reason: str) -> None:
    """Let the candidate continue on another workstation (the next one to open the test takes it over)."""
    if not reason.strip():
        raise DomainError(_("Podaj powód działania operatora."))
    attempt.move_allowed_at = now
    record(
        "theory.operator.move_allowed",
        actor=actor,
        now=now,
        object_type="attempt",
        object_id=attempt.id,
        reason=reason.strip(),
    )
