"""Results for staff, their release to candidates, and the evidence pack of an attempt (for appeals)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from itertools import pairwise

from flask_babel import gettext as _
from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.audit.services import record
from examplatform.auth.models import User
from examplatform.core.errors import Conflict
from examplatform.extensions import db
from examplatform.sessions.models import Enrolment, ValidationSession
from examplatform.theory import attempts as A
from examplatform.theory.formgen import reproduce
from examplatform.theory.models import Attempt, AttemptStatus, JournalEntry, TestForm
from examplatform.theory.scoring import Result

SILENCE = timedelta(seconds=60)  # no save for this long while the test ran: listed in the evidence


def session_attempts(session: ValidationSession) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt)
            .join(TestForm)
            .join(Enrolment)
            .where(Enrolment.session_id == session.id)
            .order_by(Attempt.id)
        )
    )


def session_results(session: ValidationSession, now: datetime) -> list[tuple[Attempt, Result | None]]:
    """Every candidate's attempt with its result once submitted (deadlines enforced first)."""
    rows = []
    for attempt in session_attempts(session):
        A.enforce_deadline(attempt, now)
        rows.append((attempt, A.result_of(attempt) if attempt.status is AttemptStatus.SUBMITTED else None))
    return rows


def release(session: ValidationSession, *, actor: User, now: datetime) -> int:
    """Release the results of every submitted attempt of the session to its candidate."""
    released = 0
    for attempt in session_attempts(session):
        A.enforce_deadline(attempt, now)
        if attempt.status is AttemptStatus.SUBMITTED and attempt.released_at is None:
            attempt.released_at, attempt.released_by_id = now, actor.id
            released += 1
    if not released:
        raise Conflict(_("Nie ma przesłanych testów z nieudostępnionym wynikiem."))
    record(
        "theory.results_released",
        actor=actor,
        now=now,
        institution_id=session.institution_id,
        object_type="session",
        object_id=session.code,
        details={"released": released},
    )
    return released


def _journal(attempt: Attempt) -> list[JournalEntry]:
    return list(
        db.session.scalars(
            select(JournalEntry)
            .where(JournalEntry.attempt_id == attempt.id)
            .order_by(JournalEntry.received_at, JournalEntry.seq)
        )
    )


def _silences(attempt: Attempt, journal: list[JournalEntry]) -> list[dict]:
    if attempt.started_at is None:
        return []
    moments = [attempt.started_at, *(e.received_at for e in journal), attempt.submitted_at or attempt.started_at]
    return [
        {"from": a.isoformat(), "to": b.isoformat(), "seconds": int((b - a).total_seconds())}
        for a, b in pairwise(moments)
        if b - a > SILENCE
    ]


def evidence(attempt: Attempt) -> dict:
    """Everything needed to re-check the attempt: form, seed, versions, journal, operator actions, scoring."""
    form = attempt.form
    journal = _journal(attempt)
    entries = list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "attempt", AuditEntry.object_id == str(attempt.id))
            .order_by(AuditEntry.seq)
        )
    )
    actions = [a for a in entries if a.action != "theory.connection_gap"]
    gaps = [json.loads(a.details) for a in entries if a.action == "theory.connection_gap"]
    result = A.result_of(attempt) if attempt.status is AttemptStatus.SUBMITTED else None
    receipt_ok = attempt.receipt == A.receipt_of(attempt) if attempt.receipt else None
    return {
        "candidate": {"name": form.enrolment.candidate.full_name, "email": form.enrolment.candidate.email},
        "session": form.enrolment.session.code,
        "form": {
            "code": form.code,
            "seed": form.seed,
            "settings": form.snapshot,
            "created_at": form.created_at.isoformat(),
            "reproduces_from_seed": reproduce(form),
        },
        "items": [
            {
                "position": fi.position,
                "item": fi.item_version.item_key,
                "version": fi.item_version.version,
                "version_id": fi.item_version_id,
                "content_sha256": fi.item_version.content_hash,
                "shown_order": fi.order,
            }
            for fi in form.items
        ],
        "attempt": {
            "status": str(attempt.status),
            "started_at": _iso(attempt.started_at),
            "deadline_at": _iso(attempt.deadline_at),
            "submitted_at": _iso(attempt.submitted_at),
            "finish_reason": str(attempt.finish_reason or ""),
            "time_multiplier": attempt.time_multiplier,
            "extension_seconds": attempt.extension_seconds,
            "credited_seconds": attempt.credited_seconds,
            "paused_seconds": attempt.paused_seconds,
            "checked_in_at": _iso(attempt.checked_in_at),
            "identity_document": attempt.identity_note,
            "authorised_at": _iso(attempt.authorised_at),
            "receipt": attempt.receipt,
            "receipt_verified": receipt_ok,
            "released_at": _iso(attempt.released_at),
        },
        "journal": [
            {
                "seq": e.seq,
                "position": e.position,
                "value": json.loads(e.value),
                "flagged": e.flagged,
                "received_at": e.received_at.isoformat(),
                "client_at": e.client_at,
                "applied": e.applied,
            }
            for e in journal
        ],
        "silences": _silences(attempt, journal),
        "connection_gaps": gaps,
        "operator_actions": [
            {
                "seq": a.seq,
                "at": a.occurred_at.isoformat(),
                "action": a.action,
                "by": a.actor_label,
                "reason": a.reason,
                "details": json.loads(a.details),
            }
            for a in actions
        ],
        "result": None
        if result is None
        else {
            "score": result.score,
            "maximum": result.maximum,
            "percent": result.percent,
            "pass_percent": result.pass_percent,
            "passed": result.passed,
            "items": result.items,
            "criteria": {k: {"score": v.score, "maximum": v.maximum} for k, v in sorted(result.criteria.items())},
            "outcomes": {k: {"score": v.score, "maximum": v.maximum} for k, v in sorted(result.outcomes.items())},
        },
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
