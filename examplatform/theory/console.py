"""What the exam operator does around the attempts: PIN, check-in, authorisation, the live roster."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from examplatform.audit.services import record
from examplatform.auth.models import Role, User
from examplatform.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from examplatform.extensions import db
from examplatform.sessions.models import Enrolment, ValidationSession
from examplatform.theory import attempts as A
from examplatform.theory.models import Attempt, AttemptStatus, TestForm

OFFLINE_AFTER_SECONDS = 60  # no save or heartbeat stored for this long: shown as offline


def session_for_operator(user: User, session_id: int) -> ValidationSession:
    """Return a session the user may operate (operator or admin of its institution)."""
    session = db.session.get(ValidationSession, session_id)
    if session is None:
        raise NotFound(_("Nie ma takiej sesji."))
    if not (
        user.has_role(Role.PLATFORM_ADMIN)
        or user.has_role(Role.OPERATOR, Role.INSTITUTION_ADMIN, institution_id=session.institution_id)
    ):
        raise PermissionDenied(_("Nie obsługujesz tej sesji."))
    return session


def attempt_in_session(session: ValidationSession, attempt_id: int) -> Attempt:
    attempt = db.session.scalar(
        select(Attempt)
        .join(TestForm)
        .join(Enrolment)
        .where(Attempt.id == attempt_id, Enrolment.session_id == session.id)
    )
    if attempt is None:
        raise NotFound(_("W tej sesji nie ma takiego kandydata."))
    return attempt


PIN_SCHEME = "hmac-sha256$"


def pin_digest(session: ValidationSession, pin: str) -> str:
    """The stored form of a session PIN: an HMAC keyed by the application's secret key.

    A slow password hash would not protect a 6-digit PIN (a million guesses) and costs ~100 ms of CPU on
    every start, when a whole room starts at once; an HMAC under a key kept outside the database cannot be
    brute-forced from a copy of the database at all. Guessing online is limited per candidate.
    """
    key = hashlib.sha256(b"session-pin:" + str(current_app.secret_key).encode()).digest()
    message = f"{session.id}:{pin}".encode()
    return PIN_SCHEME + hmac.new(key, message, hashlib.sha256).hexdigest()


def pin_matches(session: ValidationSession, pin: str) -> bool:
    stored = session.pin_hash or ""
    return stored.startswith(PIN_SCHEME) and hmac.compare_digest(stored, pin_digest(session, pin))


def rotate_pin(session: ValidationSession, *, actor: User, now: datetime) -> str:
    """Set a new 6-digit session PIN and return it (shown once; only its HMAC is stored)."""
    pin = f"{secrets.randbelow(10**6):06d}"
    if session.id is None:
        db.session.flush()
    session.pin_hash, session.pin_set_at = pin_digest(session, pin), now
    record(
        "theory.pin_rotated",
        actor=actor,
        now=now,
        institution_id=session.institution_id,
        object_type="session",
        object_id=session.code,
    )
    return pin


def check_in(attempt: Attempt, *, actor: User, now: datetime, note: str) -> None:
    """Record that the operator checked the candidate's identity document."""
    if not note.strip():
        raise DomainError(_("Wpisz, jaki dokument tożsamości sprawdzono (np. dowód osobisty)."))
    attempt.checked_in_at, attempt.checked_in_by_id, attempt.identity_note = now, actor.id, note.strip()[:200]
    record(
        "theory.checked_in",
        actor=actor,
        now=now,
        object_type="attempt",
        object_id=attempt.id,
        details={"document": attempt.identity_note},
    )


def authorise(attempt: Attempt, *, actor: User, now: datetime) -> None:
    """Let a checked-in candidate start."""
    if attempt.checked_in_at is None:
        raise Conflict(_("Najpierw potwierdź tożsamość kandydata."))
    if attempt.status is not AttemptStatus.READY:
        raise Conflict(_("Ten kandydat już rozpoczął test."))
    attempt.authorised_at, attempt.authorised_by_id = now, actor.id
    record("theory.authorised", actor=actor, now=now, object_type="attempt", object_id=attempt.id)


def candidate_start(attempt: Attempt, *, candidate: User, pin: str, now: datetime, ip: str) -> None:
    """Start the candidate's test after the operator's authorisation, with the session PIN."""
    session = attempt.form.enrolment.session
    if attempt.status is not AttemptStatus.READY:
        return  # already started: opening the test again is harmless
    if attempt.authorised_at is None:
        raise Conflict(_("Operator nie zezwolił jeszcze na rozpoczęcie testu. Zgłoś się do operatora."))
    if not pin_matches(session, pin.strip()):
        record("theory.wrong_pin", actor=candidate, now=now, object_type="attempt", object_id=attempt.id, ip=ip)
        raise DomainError(_("Niepoprawny PIN sesji. Sprawdź PIN podany przez operatora."))
    A.start(attempt, actor=candidate, now=now, ip=ip)


@dataclass(frozen=True)
class RosterRow:
    attempt: Attempt
    candidate: User
    state: str  # not_started, in_progress, paused, offline, submitted
    answered: int
    remaining: int
    gap: int


def roster(session: ValidationSession, now: datetime) -> list[RosterRow]:
    """Return every candidate of the session with live status (deadlines enforced on the way)."""
    rows = []
    attempts = db.session.scalars(
        select(Attempt)
        .join(TestForm)
        .join(Enrolment)
        .where(Enrolment.session_id == session.id)
        .options(selectinload(Attempt.answers), selectinload(Attempt.form).selectinload(TestForm.enrolment))
    )
    for attempt in attempts:
        A.enforce_deadline(attempt, now)
        gap = A.heartbeat_gap(attempt, now)
        state = {
            AttemptStatus.READY: "not_started",
            AttemptStatus.IN_PROGRESS: "in_progress",
            AttemptStatus.PAUSED: "paused",
            AttemptStatus.SUBMITTED: "submitted",
        }[attempt.status]
        if state == "in_progress" and gap > OFFLINE_AFTER_SECONDS:
            state = "offline"
        rows.append(
            RosterRow(
                attempt,
                attempt.form.enrolment.candidate,
                state,
                len(attempt.answers),
                A.remaining_seconds(attempt, now),
                gap,
            )
        )
    return sorted(rows, key=lambda r: r.candidate.full_name)
