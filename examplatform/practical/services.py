"""The practical part of a session: scenario, one CRM instance per candidate, the server's clock, the freeze.

The platform reaches the simulator only through ``simulator.api``. The clock lives here: the deadline is
set when the operator starts the part, enforced on every request and by ``flask practical sweep``; at the
end the instance is frozen (read-only) and its check results are stored as evidence for the commission.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from examplatform.audit.services import record
from examplatform.auth.models import User
from examplatform.core.errors import Conflict, DomainError, NotFound
from examplatform.extensions import db
from examplatform.practical.models import PracticalAttempt, PracticalFinish, PracticalSetup, PracticalStatus
from examplatform.sessions.models import Enrolment, ValidationSession
from simulator import api

MIN_MINUTES, MAX_MINUTES = 15, 480
EXTENSION_MAX_MINUTES = 120


def exam_scenarios() -> list[api.ScenarioSummary]:
    """Scenarios a session may use (practice scenarios are for the public practice mode only)."""
    return [s for s in api.scenarios() if s.kind == "exam"]


def setup_of(session: ValidationSession) -> PracticalSetup | None:
    return db.session.scalar(select(PracticalSetup).where(PracticalSetup.session_id == session.id))


def attempts_of_session(session: ValidationSession) -> list[PracticalAttempt]:
    return list(
        db.session.scalars(
            select(PracticalAttempt)
            .join(Enrolment)
            .where(Enrolment.session_id == session.id)
            .order_by(PracticalAttempt.id)
        )
    )


def configure(session: ValidationSession, *, scenario: str, minutes: int, actor: User, now: datetime) -> PracticalSetup:
    """Choose the session's scenario and time limit (the scenario is fixed once instances exist)."""
    if scenario not in {s.id for s in exam_scenarios()}:
        raise DomainError(_("Wybierz scenariusz egzaminacyjny z listy."))
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise DomainError(_("Czas na część praktyczną: od %(lo)d do %(hi)d minut.", lo=MIN_MINUTES, hi=MAX_MINUTES))
    setup = setup_of(session)
    if setup is not None and setup.scenario != scenario and attempts_of_session(session):
        raise Conflict(_("Instancje kandydatów już istnieją: scenariusza nie można zmienić."))
    if setup is None:
        setup = PracticalSetup(session_id=session.id, scenario=scenario)
        db.session.add(setup)
    before = {"scenario": setup.scenario, "minutes": setup.time_limit_minutes}
    setup.scenario, setup.time_limit_minutes = scenario, minutes
    setup.updated_at, setup.updated_by_id = now, actor.id
    record(
        "practical.configured",
        actor=actor,
        now=now,
        institution_id=session.institution_id,
        object_type="session",
        object_id=session.code,
        details={"before": before, "after": {"scenario": scenario, "minutes": minutes}},
    )
    return setup


def provision_session(session: ValidationSession, *, actor: User, now: datetime) -> int:
    """Create a CRM instance for every enrolled candidate who has none yet; return how many were created."""
    setup = setup_of(session)
    if setup is None:
        raise Conflict(_("Najpierw wybierz scenariusz części praktycznej."))
    have = {a.enrolment_id for a in attempts_of_session(session)}
    made: list[str] = []
    try:
        for enrolment in session.enrolments:
            if enrolment.id not in have:
                made.append(_provision_one(session, setup, enrolment, now))
    except (api.ContentError, api.SimulatorError) as exc:
        # all or nothing: the instances made in this call go with the attempts the caller rolls back
        for instance_id in made:
            api.destroy(instance_id)
        problems = exc.errors[:3] if isinstance(exc, api.ContentError) else [exc]
        raise Conflict(
            _(
                "Nie udało się przygotować instancji CRM (scenariusz „%(scenario)s”): %(problem)s. "
                "Nie utworzono żadnej instancji; popraw scenariusz albo wybierz inny i spróbuj ponownie.",
                scenario=setup.scenario,
                problem="; ".join(str(p) for p in problems),
            )
        ) from exc
    created = len(made)
    record(
        "practical.provisioned",
        actor=actor,
        now=now,
        institution_id=session.institution_id,
        object_type="session",
        object_id=session.code,
        details={"scenario": setup.scenario, "created": created},
    )
    return created


def _provision_one(session: ValidationSession, setup: PracticalSetup, enrolment: Enrolment, now: datetime) -> str:
    """Create one candidate's instance and its attempt (not committed); return the instance id."""
    seed = secrets.randbelow(2**31)
    info = api.provision(setup.scenario, f"{session.code}/{enrolment.id}", seed)
    db.session.add(
        PracticalAttempt(
            enrolment_id=enrolment.id,
            scenario=info.scenario,
            seed=seed,
            instance_id=info.instance_id,
            token=info.token,
            viewer_token=info.viewer_token,
            provisioned_at=now,
        )
    )
    return info.instance_id


def start(attempt: PracticalAttempt, *, actor: User, now: datetime) -> None:
    """Start the candidate's clock (the operator starts the practical part)."""
    if attempt.status is not PracticalStatus.PROVISIONED:
        raise Conflict(_("Część praktyczna tego kandydata już się rozpoczęła."))
    setup = setup_of(attempt.enrolment.session)
    attempt.status, attempt.started_at = PracticalStatus.IN_PROGRESS, now
    attempt.deadline_at = now + timedelta(minutes=setup.time_limit_minutes)
    api.set_deadline(attempt.instance_id, attempt.deadline_at)  # the simulator stops writes on its own too
    record(
        "practical.started",
        actor=actor,
        now=now,
        object_type="practical_attempt",
        object_id=attempt.id,
        details={"instance": attempt.instance_id, "deadline_at": attempt.deadline_at.isoformat()},
    )


def extend(attempt: PracticalAttempt, *, minutes: int, actor: User, now: datetime, reason: str) -> None:
    enforce_deadline(attempt, now)
    if attempt.status is not PracticalStatus.IN_PROGRESS:
        raise Conflict(_("Przedłużyć można tylko trwającą część praktyczną."))
    if not 1 <= minutes <= EXTENSION_MAX_MINUTES:
        raise DomainError(_("Przedłużenie: od 1 do %(n)d minut.", n=EXTENSION_MAX_MINUTES))
    if not reason.strip():
        raise DomainError(_("Podaj powód działania operatora."))
    attempt.extension_seconds += minutes * 60
    attempt.deadline_at += timedelta(minutes=minutes)
    api.set_deadline(attempt.instance_id, attempt.deadline_at)
    record(
        "practical.extended",
        actor=actor,
        now=now,
        object_type="practical_attempt",
        object_id=attempt.id,
        reason=reason.strip(),
        details={"minutes": minutes, "deadline_at": attempt.deadline_at.isoformat()},
    )


def reset_instance(attempt: PracticalAttempt, *, actor: User, now: datetime, reason: str) -> None:
    """Bring the candidate's instance back to its start state (e.g. after a technical failure) before the
    practical part ends; the clock goes on. The instance's log keeps everything and names the operator."""
    enforce_deadline(attempt, now)
    if attempt.status not in (PracticalStatus.PROVISIONED, PracticalStatus.IN_PROGRESS):
        raise Conflict(_("Stan początkowy można przywrócić tylko przed zakończeniem części praktycznej."))
    if not reason.strip():
        raise DomainError(_("Podaj powód działania operatora."))
    try:
        api.reset(attempt.instance_id, actor=actor.email, reason=reason.strip())
    except api.SimulatorError as exc:
        raise Conflict(str(exc)) from exc
    record(
        "practical.reset",
        actor=actor,
        now=now,
        object_type="practical_attempt",
        object_id=attempt.id,
        reason=reason.strip(),
        details={"instance": attempt.instance_id, "status": str(attempt.status)},
    )


def remaining_seconds(attempt: PracticalAttempt, now: datetime) -> int:
    if attempt.status is not PracticalStatus.IN_PROGRESS or attempt.deadline_at is None:
        return 0
    return max(0, int((attempt.deadline_at - now).total_seconds()))


def finish(
    attempt: PracticalAttempt, *, reason: PracticalFinish, actor: User | None, now: datetime, note: str = ""
) -> None:
    """End the work: freeze the instance (read-only from now on) and store the check results."""
    if attempt.status is PracticalStatus.FINISHED:
        raise Conflict(_("Część praktyczna jest już zakończona."))
    if reason is PracticalFinish.OPERATOR and not note.strip():
        raise DomainError(_("Podaj powód działania operatora."))
    at = min(now, attempt.deadline_at) if reason is PracticalFinish.DEADLINE and attempt.deadline_at else now
    api.freeze(attempt.instance_id)
    attempt.status, attempt.finished_at, attempt.finish_reason = PracticalStatus.FINISHED, at, reason
    record(
        "practical.finished",
        actor=actor,
        now=now,
        object_type="practical_attempt",
        object_id=attempt.id,
        reason=note.strip(),
        details={"instance": attempt.instance_id, "finish": str(reason), "finished_at": at.isoformat()},
    )
    evaluate(attempt, actor=actor, now=now)


def evaluate(attempt: PracticalAttempt, *, actor: User | None, now: datetime) -> dict:
    """Run every check on the (frozen) instance and keep the result as the commission's evidence.

    The simulator's evaluation writes nothing to the instance; who evaluated, and when, is recorded here.
    """
    result = api.evaluate(attempt.instance_id).as_dict()
    result["log_seal"] = api.seal_log(attempt.instance_id).as_dict()
    attempt.evaluation, attempt.evaluated_at = json.dumps(result, ensure_ascii=False), now
    record(
        "practical.evaluated",
        actor=actor,
        now=now,
        object_type="practical_attempt",
        object_id=attempt.id,
        details={
            "instance": attempt.instance_id,
            "points": result["points"],
            "max_points": result["max_points"],
            "critical_failures": result["critical_failures"],
            "log_seal": result["log_seal"],
        },
    )
    return result


def log_integrity(attempt: PracticalAttempt, log: list[dict[str, Any]]) -> dict[str, Any]:
    """Compare the instance's log as it is now with the seal kept when the attempt was evaluated.

    ``state``: ``intact`` (the chain verifies and still holds the sealed entries unchanged; read-only visits
    after the seal may add entries), ``broken`` (an entry no longer matches the chain: ``at`` is the first),
    ``rewritten`` (the chain verifies but the sealed entries are gone or differ: cut or rebuilt), or
    ``unsealed`` (not evaluated yet: only the chain itself is checked, ``broken`` if it fails). ``log`` is the
    log as ``api.timeline`` gave it to the page.
    """
    now = api.seal_log(attempt.instance_id)
    seal = (attempt.results or {}).get("log_seal")
    found = {"entries": now.entries, "seal": seal, "at": now.broken_at}
    if not now.intact:
        return {**found, "state": "broken"}
    if seal is None:
        return {**found, "state": "unsealed"}
    count = seal["entries"]
    if len(log) < count or (count and log[count - 1]["entry_hash"] != seal["head"]):
        return {**found, "state": "rewritten"}
    return {**found, "state": "intact"}


def evidence_by_criterion(attempt: PracticalAttempt | None) -> dict[str, list[dict]]:
    """The stored check results per criterion code, for the score sheet (empty before the freeze)."""
    results = attempt.results if attempt is not None else None
    if not results:
        return {}
    evidence: dict[str, list[dict]] = {}
    for task in results["tasks"]:
        for check in task["checks"]:
            row = {
                "task": task["key"],
                "title": task["title"],
                "passed": check["passed"],
                "points": check["points"],
                "max_points": check["max_points"],
                "critical": check["critical"],
                "message": check["commission_message"],
                "detail": check["detail"],
                "events": check["event_seqs"],
            }
            for code in check["criteria"]:
                evidence.setdefault(code, []).append(row)
    return evidence


def observation_by_criterion(attempt: PracticalAttempt | None) -> dict[str, list[api.ObservationItem]]:
    """What the commission observes and scores by hand, under each criterion of the task it belongs to (from the
    instance's scenario, so it is there from the start of the practical part, before any evaluation)."""
    if attempt is None:
        return {}
    try:
        items = api.observation_items(attempt.instance_id)
    except api.SimulatorError:  # the instance was destroyed: only the stored evidence is left
        return {}
    found: dict[str, list[api.ObservationItem]] = {}
    for item in items:
        for code in item.criteria:
            found.setdefault(code, []).append(item)
    return found


def attempt_of_enrolment(enrolment: Enrolment) -> PracticalAttempt | None:
    return db.session.scalar(select(PracticalAttempt).where(PracticalAttempt.enrolment_id == enrolment.id))


def enforce_deadline(attempt: PracticalAttempt, now: datetime) -> bool:
    """Finish an attempt whose time is over (on any request, and by the sweeper)."""
    if attempt.status is PracticalStatus.IN_PROGRESS and attempt.deadline_at and now >= attempt.deadline_at:
        finish(attempt, reason=PracticalFinish.DEADLINE, actor=None, now=now)
        return True
    return False


def sweep(now: datetime) -> int:
    finished = 0
    for attempt in db.session.scalars(
        select(PracticalAttempt).where(
            PracticalAttempt.status == PracticalStatus.IN_PROGRESS, PracticalAttempt.deadline_at <= now
        )
    ):
        finished += enforce_deadline(attempt, now)
    return finished


def attempt_for_candidate(user: User, attempt_id: int) -> PracticalAttempt:
    attempt = db.session.scalar(
        select(PracticalAttempt)
        .join(Enrolment)
        .where(PracticalAttempt.id == attempt_id, Enrolment.candidate_id == user.id)
    )
    if attempt is None:
        raise NotFound(_("Nie ma takiej części praktycznej."))
    return attempt


def attempts_of_candidate(user: User) -> list[PracticalAttempt]:
    return list(
        db.session.scalars(
            select(PracticalAttempt)
            .join(Enrolment)
            .where(Enrolment.candidate_id == user.id)
            .order_by(PracticalAttempt.id)
        )
    )


def attempt_in_session(session: ValidationSession, attempt_id: int) -> PracticalAttempt:
    attempt = db.session.scalar(
        select(PracticalAttempt)
        .join(Enrolment)
        .where(PracticalAttempt.id == attempt_id, Enrolment.session_id == session.id)
    )
    if attempt is None:
        raise NotFound(_("W tej sesji nie ma takiego kandydata."))
    return attempt


def progress(attempt: PracticalAttempt, *, limit: int = 5) -> dict:
    """Live figures for the observation screen: tasks whose checks all pass so far (a read-only evaluation
    of the live instance), points, the candidate's actions and the latest ones."""
    own = [e for e in api.timeline(attempt.instance_id) if e["actor_kind"] == "candidate"]
    result = api.evaluate(attempt.instance_id)
    return {
        "tasks_done": sum(1 for t in result.tasks if t.checks and t.passed),
        "tasks_total": len(result.tasks),
        "points": round(result.points, 2),
        "max_points": round(result.max_points, 2),
        "actions": len(own),
        "last_at": own[-1]["occurred_at"] if own else None,
        "latest": [describe(e) for e in own[-limit:]][::-1],
    }


def changes(before: dict, after: dict) -> list[dict]:
    """Field-by-field what an action changed (for replaying the log): name, value before, value after."""
    names = [*before, *(k for k in after if k not in before)]
    return [
        {"field": name, "before": before.get(name), "after": after.get(name)}
        for name in names
        if before.get(name) != after.get(name)
    ]


def describe(event: dict) -> dict:
    """The parts of an action-log entry the commission's screens show (no hashes)."""
    return {
        "seq": event["seq"],
        "at": event["occurred_at"],
        "actor_kind": event["actor_kind"],
        "actor": event["actor_label"],
        "action": event["action"],
        "entity": f"{event['entity_type']} {event['entity_id'] or ''}".strip(),
        "summary": event["summary"],
        "changes": changes(event["before"] or {}, event["after"] or {}),
    }


def replay(events: list[dict], step: int) -> list[dict]:
    """The records as the log shows them after entry ``step``: every field each entry set, folded in order.

    For the commission's replay of a candidate's work: one row per record touched so far (first touch first),
    with the values its fields had after that step, the step that last changed it, and whether it was deleted.
    Fields no entry touched are not known from the log and are not shown.
    """
    records: dict[tuple[str, int], dict] = {}
    for event in events:
        if event["seq"] > step:
            break
        if not event["entity_type"] or event["entity_id"] is None:
            continue
        key = (event["entity_type"], event["entity_id"])
        state = records.setdefault(
            key, {"entity": f"{key[0]} {key[1]}", "fields": {}, "first": event["seq"], "deleted": False}
        )
        state["fields"].update(event["after"] or {})
        state["last"], state["last_action"] = event["seq"], event["action"]
        state["deleted"] = event["action"].endswith(".deleted")
    return list(records.values())
