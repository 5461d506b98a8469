"""The life of an attempt: start, answers, deadline, operator actions, submission."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import select, update

from examplatform.audit.services import canonical_json, record
from examplatform.auth.models import User
from examplatform.bank.items import Item, ItemStatus, ItemType
from examplatform.bank.models import ItemVersion
from examplatform.core.errors import Conflict, DomainError, NotFound
from examplatform.extensions import db
from examplatform.sessions.models import Enrolment
from examplatform.theory.models import (
    Answer,
    Attempt,
    AttemptStatus,
    FinishReason,
    FormItem,
    JournalEntry,
    PartialCredit,
    TestForm,
)
from examplatform.theory.scoring import Result, score_answers

# Saves that were in flight when the clock ran out are still accepted for this long.
GRACE = timedelta(seconds=20)
OPEN = (AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED)


class AttemptClosed(Conflict):
    """The attempt no longer accepts answers."""


def locked(attempt_id: int, *, candidate_id: int | None = None) -> Attempt:
    """Load an attempt for change, holding its lock until the commit, and read it afresh.

    PostgreSQL: a row lock (SELECT … FOR UPDATE). SQLite: a no-op UPDATE as the transaction's first
    statement takes the database write lock before anything is read, so concurrent requests for the same
    attempt (a double-clicked submit, racing saves) run one after another on fresh data. With
    ``candidate_id`` only that candidate's own attempt is found (anybody else's is "not found").
    """
    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Attempt).where(Attempt.id == attempt_id).values(last_seq=Attempt.last_seq))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, (Attempt, Answer)):
            session.expire(obj)
    query = select(Attempt).where(Attempt.id == attempt_id)
    if candidate_id is not None:
        query = query.where(
            Attempt.form_id.in_(
                select(TestForm.id).join(Enrolment).where(Enrolment.candidate_id == candidate_id).scalar_subquery()
            )
        )
    attempt = session.scalar(query.with_for_update(of=Attempt).execution_options(populate_existing=True))
    if attempt is None:
        raise NotFound(_("Nie ma takiego podejścia do testu."))
    return attempt


def time_limit_seconds(attempt: Attempt) -> int:
    return int(attempt.form.snapshot["time_limit_minutes"] * 60)


def allowed_seconds(attempt: Attempt) -> int:
    """The whole time the candidate may work: limit × accommodation + extensions + credits."""
    return (
        round(time_limit_seconds(attempt) * attempt.time_multiplier)
        + attempt.extension_seconds
        + attempt.credited_seconds
    )


def _recompute_deadline(attempt: Attempt) -> None:
    attempt.deadline_at = attempt.started_at + timedelta(seconds=allowed_seconds(attempt) + attempt.paused_seconds)


def remaining_seconds(attempt: Attempt, now: datetime) -> int:
    """Seconds left by the server's clock (frozen while paused)."""
    if attempt.status is AttemptStatus.READY:
        return allowed_seconds(attempt)
    if attempt.status is AttemptStatus.SUBMITTED or attempt.deadline_at is None:
        return 0
    reference = attempt.paused_at if attempt.status is AttemptStatus.PAUSED else now
    return max(0, int((attempt.deadline_at - reference).total_seconds()))


def start(attempt: Attempt, *, actor: User, now: datetime, ip: str = "") -> Attempt:
    """Start the clock (the operator has authorised the candidate)."""
    if attempt.status is not AttemptStatus.READY:
        raise Conflict(_("Test został już rozpoczęty."))
    attempt.status, attempt.started_at, attempt.last_heartbeat_at = AttemptStatus.IN_PROGRESS, now, now
    _recompute_deadline(attempt)
    record(
        "theory.attempt_started",
        actor=actor,
        now=now,
        object_type="attempt",
        object_id=attempt.id,
        ip=ip,
        details={"form": attempt.form.code, "deadline_at": attempt.deadline_at.isoformat()},
    )
    return attempt


def _finish(attempt: Attempt, *, at: datetime, reason: FinishReason) -> None:
    attempt.status, attempt.submitted_at, attempt.finish_reason = AttemptStatus.SUBMITTED, at, reason
    attempt.paused_at = None
    attempt.receipt = receipt_of(attempt)


def past_deadline(attempt: Attempt, now: datetime) -> bool:
    """Whether a running attempt's time, plus the grace for in-flight saves, is over."""
    return (
        attempt.status is AttemptStatus.IN_PROGRESS and bool(attempt.deadline_at) and now > attempt.deadline_at + GRACE
    )


def enforce_deadline(attempt: Attempt, now: datetime) -> bool:
    """Submit an attempt whose time (plus grace) is over, with the deadline as its finish time."""
    if past_deadline(attempt, now):
        _finish(attempt, at=attempt.deadline_at, reason=FinishReason.DEADLINE)
        record(
            "theory.attempt_expired",
            actor=None,
            now=now,
            object_type="attempt",
            object_id=attempt.id,
            details={"deadline_at": attempt.deadline_at.isoformat(), "receipt": attempt.receipt},
        )
        return True
    return False


def sweep(now: datetime) -> int:
    """Submit every attempt whose deadline has passed (run periodically by `flask theory sweep`)."""
    expired = 0
    for attempt in db.session.scalars(
        select(Attempt).where(Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at < now - GRACE)
    ):
        expired += enforce_deadline(attempt, now)
    return expired


def _validate_value(item: Item, value):
    """Return ``value`` if it is a well-formed answer to ``item``, else raise DomainError."""
    bad = DomainError(_("Niepoprawna odpowiedź do tego zadania."))
    if value is None:
        return None
    t = item.type
    options = {c.id for c in item.options}
    if t is ItemType.SINGLE:
        if not isinstance(value, str) or value not in options:
            raise bad
        return value
    if t is ItemType.TRUEFALSE:
        if not isinstance(value, bool):
            raise bad
        return value
    if t in (ItemType.MULTIPLE, ItemType.ORDERING):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad
        if len(set(value)) != len(value) or not set(value) <= options:
            raise bad
        return sorted(value) if t is ItemType.MULTIPLE else value
    premises, responses = {c.id for c in item.premises}, {c.id for c in item.responses}
    if not isinstance(value, dict) or not set(value) <= premises:
        raise bad
    if not all(v is None or isinstance(v, str) for v in value.values()):
        raise bad
    pairs = {k: v for k, v in value.items() if v is not None}
    if not set(pairs.values()) <= responses:
        raise bad
    return pairs


@dataclass(frozen=True)
class SaveAck:
    seq: int
    applied: bool
    duplicate: bool
    saved_at: datetime


@lru_cache(maxsize=2048)
def item_from_content(content: str, status: ItemStatus, origin: str) -> Item:
    """Parse a stored item version once per process (a version on a form never changes)."""
    return ItemVersion(content=content, status=status, origin=origin).to_item()


def _form_item(attempt: Attempt, position: int) -> Item:
    """The item at ``position`` of the attempt's form, read with one query."""
    row = db.session.execute(
        select(ItemVersion.content, ItemVersion.status, ItemVersion.origin)
        .join(FormItem, FormItem.item_version_id == ItemVersion.id)
        .where(FormItem.form_id == attempt.form_id, FormItem.position == position)
    ).one_or_none()
    if row is None:
        raise DomainError(_("Na formularzu nie ma zadania nr %(n)d.", n=position))
    return item_from_content(row.content, row.status, row.origin)


def save_answer(
    attempt: Attempt, *, seq: int, position: int, value, flagged: bool, now: datetime, client_at: str = ""
) -> SaveAck:
    """Journal one answer change; committed by the caller before it is acknowledged.

    The caller holds the attempt's lock (:func:`locked`), so saves of one attempt run one at a time.
    Retries with the same sequence number are harmless; a change that arrives after a newer change to the
    same item is journalled but does not overwrite it. ``last_seq`` is the highest journalled number, so
    only a number at or below it can be a retry and only then is the journal read.
    """
    if seq <= attempt.last_seq:
        existing = db.session.scalar(
            select(JournalEntry).where(JournalEntry.attempt_id == attempt.id, JournalEntry.seq == seq)
        )
        if existing is not None:
            if existing.position != position or json.loads(existing.value) != value:
                raise Conflict(_("Numer kolejny %(seq)d został już użyty dla innej odpowiedzi.", seq=seq))
            return SaveAck(seq, existing.applied, True, existing.received_at)
    enforce_deadline(attempt, now)
    if attempt.status is AttemptStatus.READY:
        raise AttemptClosed(_("Test jeszcze się nie rozpoczął."))
    in_grace = attempt.status is AttemptStatus.PAUSED and attempt.paused_at and now <= attempt.paused_at + GRACE
    if attempt.status is not AttemptStatus.IN_PROGRESS and not in_grace:
        raise AttemptClosed(_("Test jest wstrzymany albo zakończony: odpowiedź nie została przyjęta."))
    if seq < 1:
        raise DomainError(_("Niepoprawny numer kolejny."))
    value = _validate_value(_form_item(attempt, position), value)
    current = db.session.scalar(select(Answer).where(Answer.attempt_id == attempt.id, Answer.position == position))
    applied = current is None or current.seq < seq
    encoded = json.dumps(value, ensure_ascii=False)
    db.session.add(
        JournalEntry(
            attempt_id=attempt.id,
            seq=seq,
            position=position,
            value=encoded,
            flagged=flagged,
            received_at=now,
            client_at=client_at[:40],
            applied=applied,
        )
    )
    if applied:
        if current is None:
            answer = Answer(position=position, value=encoded, flagged=flagged, seq=seq, saved_at=now)
            if "answers" in attempt.__dict__:  # already loaded in this session: keep the collection true
                attempt.answers.append(answer)
            else:
                answer.attempt_id = attempt.id
                db.session.add(answer)
        else:
            current.value, current.flagged, current.seq, current.saved_at = encoded, flagged, seq, now
    touch(attempt, now)
    attempt.last_seq, attempt.last_save_at = max(attempt.last_seq, seq), now
    return SaveAck(seq, applied, False, now)


# A silence this long between the browser's heartbeats or saves is recorded as a connection gap.
GAP_RECORDED_AFTER = timedelta(seconds=60)


# A heartbeat writes the attempt only when the stored last contact is at least this old; a silence is
# measured from that stored time, so this must stay well below GAP_RECORDED_AFTER.
HEARTBEAT_PERSIST_AFTER = timedelta(seconds=25)


def heartbeat_needs_write(attempt: Attempt, now: datetime) -> bool:
    """Whether a heartbeat must write: deadline to enforce, or a last contact old enough to update."""
    if past_deadline(attempt, now):
        return True
    if attempt.status not in OPEN:
        return False
    last = attempt.last_heartbeat_at
    return last is None or now - last >= HEARTBEAT_PERSIST_AFTER


def touch(attempt: Attempt, now: datetime) -> None:
    """Note that the candidate's browser was heard from; a long silence before it becomes evidence."""
    last = attempt.last_heartbeat_at
    if last is not None and attempt.status is AttemptStatus.IN_PROGRESS and now - last > GAP_RECORDED_AFTER:
        record(
            "theory.connection_gap",
            actor=None,
            now=now,
            object_type="attempt",
            object_id=attempt.id,
            details={"from": last.isoformat(), "to": now.isoformat(), "seconds": int((now - last).total_seconds())},
        )
    attempt.last_heartbeat_at = now


def answers_of(attempt: Attempt) -> dict[int, object]:
    return {a.position: json.loads(a.value) for a in attempt.answers}


def receipt_of(attempt: Attempt) -> str:
    """Hash the submitted answer set (the candidate's receipt)."""
    payload = {
        "form": attempt.form.code,
        "attempt": attempt.id,
        "answers": [
            [a.position, json.loads(a.value), a.seq] for a in sorted(attempt.answers, key=lambda a: a.position)
        ],
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def submit(attempt: Attempt, *, actor: User, now: datetime, ip: str = "") -> tuple[str, bool]:
    """Submit exactly once; a repeated submit returns the same receipt. Returns (receipt, newly submitted)."""
    enforce_deadline(attempt, now)
    if attempt.status is AttemptStatus.SUBMITTED:
        return attempt.receipt, False
    if attempt.status is AttemptStatus.READY:
        raise AttemptClosed(_("Test jeszcze się nie rozpoczął."))
    _finish(attempt, at=min(now, attempt.deadline_at) if attempt.deadline_at else now, reason=FinishReason.CANDIDATE)
    record(
        "theory.attempt_submitted",
        actor=actor,
        now=now,
        object_type="attempt",
        object_id=attempt.id,
        ip=ip,
        details={"receipt": attempt.receipt, "answered": len(attempt.answers), "last_seq": attempt.last_seq},
    )
    return attempt.receipt, True


def _operator_action(attempt: Attempt, action: str, *, actor: User, now: datetime, reason: str, details: dict) -> None:
    if not reason.strip():
        raise DomainError(_("Podaj powód działania operatora."))
    record(
        f"theory.operator.{action}",
        actor=actor,
        now=now,
        object_type="attempt",
        object_id=attempt.id,
        reason=reason.strip(),
        details={**details, "deadline_at": attempt.deadline_at.isoformat() if attempt.deadline_at else None},
    )


def pause(attempt: Attempt, *, actor: User, now: datetime, reason: str) -> None:
    """Stop the candidate's clock."""
    enforce_deadline(attempt, now)
    if attempt.status is not AttemptStatus.IN_PROGRESS:
        raise Conflict(_("Wstrzymać można tylko trwający test."))
    attempt.status, attempt.paused_at = AttemptStatus.PAUSED, now
    _operator_action(attempt, "paused", actor=actor, now=now, reason=reason, details={})


def resume(attempt: Attempt, *, actor: User, now: datetime, reason: str) -> None:
    """Restart the clock; the paused time is added to the deadline."""
    if attempt.status is not AttemptStatus.PAUSED:
        raise Conflict(_("Wznowić można tylko wstrzymany test."))
    paused_for = int((now - attempt.paused_at).total_seconds())
    attempt.paused_seconds += paused_for
    attempt.status, attempt.paused_at = AttemptStatus.IN_PROGRESS, None
    _recompute_deadline(attempt)
    _operator_action(attempt, "resumed", actor=actor, now=now, reason=reason, details={"paused_seconds": paused_for})


def _adjustable(attempt: Attempt, now: datetime) -> None:
    enforce_deadline(attempt, now)
    if attempt.status is AttemptStatus.SUBMITTED:
        raise AttemptClosed(_("Test jest już zakończony."))


def extend(attempt: Attempt, *, minutes: int, actor: User, now: datetime, reason: str) -> None:
    """Add minutes to the candidate's time."""
    _adjustable(attempt, now)
    if not 1 <= minutes <= 120:
        raise DomainError(_("Przedłużenie: od 1 do 120 minut."))
    attempt.extension_seconds += minutes * 60
    if attempt.started_at:
        _recompute_deadline(attempt)
    _operator_action(attempt, "extended", actor=actor, now=now, reason=reason, details={"minutes": minutes})


def accommodate(attempt: Attempt, *, multiplier: float, actor: User, now: datetime, reason: str) -> None:
    """Set the accommodation multiplier of the time limit (before or during the test)."""
    _adjustable(attempt, now)
    if not 1.0 <= multiplier <= 3.0:
        raise DomainError(_("Mnożnik czasu musi wynosić od 1,0 do 3,0."))
    before = attempt.time_multiplier
    attempt.time_multiplier = multiplier
    if attempt.started_at:
        _recompute_deadline(attempt)
    _operator_action(
        attempt, "accommodated", actor=actor, now=now, reason=reason, details={"before": before, "after": multiplier}
    )


def credit(attempt: Attempt, *, seconds: int, actor: User, now: datetime, reason: str) -> None:
    """Return time lost to an outage (proposed from the heartbeat gap, granted by the operator)."""
    _adjustable(attempt, now)
    if not 1 <= seconds <= 3 * 3600:
        raise DomainError(_("Zwrot czasu: od 1 sekundy do 3 godzin."))
    attempt.credited_seconds += seconds
    if attempt.started_at:
        _recompute_deadline(attempt)
    _operator_action(attempt, "credited", actor=actor, now=now, reason=reason, details={"seconds": seconds})


def terminate(attempt: Attempt, *, actor: User, now: datetime, reason: str) -> str:
    """End the attempt now on the operator's decision (answers so far are kept and scored)."""
    _adjustable(attempt, now)
    if not reason.strip():
        raise DomainError(_("Podaj powód działania operatora."))
    if attempt.status is AttemptStatus.READY:
        attempt.started_at = attempt.started_at or now
    _finish(attempt, at=now, reason=FinishReason.TERMINATED)
    _operator_action(attempt, "terminated", actor=actor, now=now, reason=reason, details={"receipt": attempt.receipt})
    return attempt.receipt


def heartbeat_gap(attempt: Attempt, now: datetime) -> int:
    """Seconds since the candidate's browser was last heard from (the operator's proposed credit)."""
    if attempt.last_heartbeat_at is None:
        return 0
    return max(0, int((now - attempt.last_heartbeat_at).total_seconds()))


def result_of(attempt: Attempt) -> Result:
    """Score the attempt with the settings frozen on its form."""
    settings = attempt.form.snapshot
    items = [(fi.position, fi.item_version.to_item()) for fi in attempt.form.items]
    return score_answers(
        items,
        answers_of(attempt),
        policy=PartialCredit(settings["partial_credit"]),
        pass_percent=settings["pass_percent"],
    )
