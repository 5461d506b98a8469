"""Operator console actions, one candidate or many, each audited with its reason."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _

from examplatform.audit.services import record
from examplatform.auth.models import User
from examplatform.core.errors import DomainError
from examplatform.extensions import db
from examplatform.sessions.models import Irregularity, ValidationSession
from examplatform.theory import attempts as A
from examplatform.theory import console, paper, workstation
from examplatform.theory.models import Attempt


def apply(
    action: str,
    attempt: Attempt,
    *,
    actor: User,
    now: datetime,
    reason: str = "",
    note: str = "",
    minutes: int | None = None,
    multiplier: Decimal | None = None,
    seconds: int | None = None,
) -> None:
    """Carry out one console action on one attempt."""
    if action == "check_in":
        console.check_in(attempt, actor=actor, now=now, note=note)
    elif action == "authorise":
        console.authorise(attempt, actor=actor, now=now)
    elif action == "pause":
        A.pause(attempt, actor=actor, now=now, reason=reason)
    elif action == "resume":
        A.resume(attempt, actor=actor, now=now, reason=reason)
    elif action == "extend":
        A.extend(attempt, minutes=int(minutes or 0), actor=actor, now=now, reason=reason)
    elif action == "accommodate":
        A.accommodate(attempt, multiplier=float(multiplier or 0), actor=actor, now=now, reason=reason)
    elif action == "credit":
        A.credit(attempt, seconds=int(seconds or 0), actor=actor, now=now, reason=reason)
    elif action == "allow_move":
        workstation.allow_move(attempt, actor=actor, now=now, reason=reason)
    elif action == "to_paper":
        paper.move_to_paper(attempt, actor=actor, now=now, reason=reason)
    elif action == "terminate":
        A.terminate(attempt, actor=actor, now=now, reason=reason)
    else:
        raise DomainError(_("Nieznane działanie."))


def apply_bulk(action: str, session: ValidationSession, attempt_ids: list[int], **kwargs) -> tuple[int, list[str]]:
    """Apply an action to each selected attempt; each succeeds or fails on its own (savepoint per candidate)."""
    done, problems = 0, []
    for attempt_id in attempt_ids:
        attempt = console.attempt_in_session(session, attempt_id)
        name = attempt.form.enrolment.candidate.full_name
        try:
            with db.session.begin_nested():
                apply(action, A.locked(attempt.id), **kwargs)
        except DomainError as exc:
            problems.append(f"{name}: {exc.message}")
        else:
            done += 1
    return done, problems


def report_irregularity(
    session: ValidationSession, *, actor: User, now: datetime, description: str, candidate_id: int | None
) -> Irregularity:
    """Note an irregularity for the session protocol."""
    if not description.strip():
        raise DomainError(_("Opisz nieprawidłowość."))
    enrolled = {e.candidate_id for e in session.enrolments}
    if candidate_id is not None and candidate_id not in enrolled:
        raise DomainError(_("Ten kandydat nie jest zapisany na tę sesję."))
    entry = Irregularity(
        session_id=session.id,
        candidate_id=candidate_id,
        reported_by_id=actor.id,
        description=description.strip(),
        reported_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    record(
        "session.irregularity",
        actor=actor,
        now=now,
        institution_id=session.institution_id,
        object_type="session",
        object_id=session.code,
        reason=description.strip(),
        details={"candidate_id": candidate_id},
    )
    return entry
