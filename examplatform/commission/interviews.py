"""The structured interview: the session's plan of questions, each candidate's interview, members' own notes.

The interview screen is where the I criteria are scored: it writes the same ``CriterionScore`` rows as the
score sheet (through ``scoring.score``), so blindness, freezing and versions apply unchanged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from examplatform.audit.services import record
from examplatform.auth.models import Role, User
from examplatform.commission import scoring as S
from examplatform.commission.composition import commission_of
from examplatform.commission.interview import InterviewBank, InterviewQuestion, interview_bank
from examplatform.commission.models import Interview, InterviewNote, InterviewPlan, PlannedQuestion, ScoreSheet
from examplatform.core.errors import Conflict, DomainError, PermissionDenied
from examplatform.extensions import db
from examplatform.qualification.loader import Qualification
from examplatform.sessions.models import ValidationSession

MAX_PER_CRITERION = 2
NOTE_MAX = 5000


class PlanLocked(Conflict):
    """The plan may not change once an interview of the session has started (the refusal is audited)."""


@dataclass(frozen=True)
class Planned:
    """A planned question as it was fixed in the plan (read from the stored copy, never from the bank)."""

    id: int
    position: int
    criterion: str
    question_id: str
    version: int
    content_hash: str
    question: str
    context: str
    elements: tuple[str, ...]
    threshold: int
    follow_ups: tuple[str, ...]
    red_flags: tuple[str, ...]


def interview_criteria(qualification: Qualification) -> list[str]:
    """The criteria verified by interview (method I), in the qualification's order."""
    return [c.code for c in qualification.criteria_by_method("I")]


def current_bank(qualification: Qualification) -> InterviewBank:
    """The interview bank configured for this installation (INTERVIEW_BANK_FILE), re-read when it changes."""
    return interview_bank(current_app.config["INTERVIEW_BANK_FILE"], frozenset(interview_criteria(qualification)))


def usable_questions(bank: InterviewBank, qualification: Qualification) -> dict[str, list[InterviewQuestion]]:
    """Questions that may be planned (not retired), per I criterion, in bank order."""
    result: dict[str, list[InterviewQuestion]] = {code: [] for code in interview_criteria(qualification)}
    for question in bank.questions:
        if question.status != "retired" and question.criterion in result:
            result[question.criterion].append(question)
    return result


def default_choice(session: ValidationSession, bank: InterviewBank, qualification: Qualification) -> list[str]:
    """One question per I criterion, derived deterministically from the session code."""
    chosen = []
    for code, questions in usable_questions(bank, qualification).items():
        if questions:
            digest = hashlib.sha256(f"{session.code}:{code}".encode()).hexdigest()
            chosen.append(questions[int(digest, 16) % len(questions)].id)
    return chosen


def _snapshot(question: InterviewQuestion) -> tuple[str, str]:
    data = {
        "id": question.id,
        "version": question.version,
        "criterion": question.criterion,
        "question": question.question,
        "context": question.context,
        "elements": list(question.elements),
        "threshold": question.threshold,
        "follow_ups": list(question.follow_ups),
        "red_flags": list(question.red_flags),
    }
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text, hashlib.sha256(text.encode()).hexdigest()


def _find_plan(session: ValidationSession) -> InterviewPlan | None:
    return db.session.scalar(select(InterviewPlan).where(InterviewPlan.session_id == session.id))


def _fill(plan: InterviewPlan, chosen: list[str], bank: InterviewBank, qualification: Qualification) -> list[str]:
    """Replace the plan's questions with ``chosen`` in criterion order; return the problems found instead."""
    usable = usable_questions(bank, qualification)
    by_id = {q.id: q for questions in usable.values() for q in questions}
    problems = [
        _("Pytanie %(id)s nie istnieje w banku lub jest wycofane.", id=qid) for qid in chosen if qid not in by_id
    ]
    for code in usable:
        count = sum(1 for qid in chosen if qid in by_id and by_id[qid].criterion == code)
        if not 1 <= count <= MAX_PER_CRITERION:
            problems.append(
                _(
                    "Kryterium %(code)s: wybierz od 1 do %(max)d pytań (wybrano %(n)d).",
                    code=code,
                    max=MAX_PER_CRITERION,
                    n=count,
                )
            )
    if problems:
        return problems
    plan.questions.clear()
    db.session.flush()
    position = 0
    for code, questions in usable.items():
        for question in questions:  # bank order within a criterion: the order is fixed, not the clicking order
            if question.id in chosen:
                position += 1
                text, digest = _snapshot(question)
                plan.questions.append(
                    PlannedQuestion(
                        position=position,
                        criterion=code,
                        question_id=question.id,
                        question_version=question.version,
                        content_hash=digest,
                        snapshot=text,
                    )
                )
    plan.bank_version = bank.version
    return []


def plan_of(
    session: ValidationSession, *, bank: InterviewBank, qualification: Qualification, now: datetime
) -> InterviewPlan:
    """Return the session's plan, creating the default one (derived from the session) on first use."""
    plan = _find_plan(session)
    if plan is None:
        plan = InterviewPlan(session_id=session.id, bank_version=bank.version, is_default=True, chosen_at=now)
        db.session.add(plan)
        problems = _fill(plan, default_choice(session, bank, qualification), bank, qualification)
        if problems:
            raise DomainError("; ".join(problems))
        db.session.flush()
    return plan


def may_set_plan(session: ValidationSession, user: User) -> bool:
    """The chair of the session's commission or an admin of its institution fixes the plan."""
    if user.has_role(Role.PLATFORM_ADMIN):
        return True
    if user.has_role(Role.INSTITUTION_ADMIN, institution_id=session.institution_id):
        return True
    return any(m.user_id == user.id and m.is_chair for m in commission_of(session).members)


def set_plan(
    session: ValidationSession,
    chosen: list[str],
    *,
    actor: User,
    now: datetime,
    bank: InterviewBank,
    qualification: Qualification,
) -> InterviewPlan:
    """Fix the questions of the session's plan; refused (and audited) once an interview has started."""
    if not may_set_plan(session, actor):
        raise PermissionDenied(_("Plan rozmowy ustala przewodniczący komisji lub administrator instytucji."))
    plan = plan_of(session, bank=bank, qualification=qualification, now=now)
    if plan.locked_at is not None:
        record(
            "commission.interview_plan_change_refused",
            actor=actor,
            now=now,
            institution_id=session.institution_id,
            object_type="session",
            object_id=session.id,
            details={"requested": sorted(chosen)},
        )
        db.session.flush()
        raise PlanLocked(
            _(
                "Plan rozmowy jest zablokowany od %(time)s: rozmowy w tej sesji już się rozpoczęły, a każdy kandydat "
                "musi otrzymać te same pytania w tej samej kolejności.",
                time=plan.locked_at.strftime("%d.%m.%Y %H:%M UTC"),
            )
        )
    problems = _fill(plan, list(dict.fromkeys(chosen)), bank, qualification)
    if problems:
        raise DomainError(" ".join(problems))
    plan.is_default, plan.chosen_at, plan.chosen_by_id = False, now, actor.id
    db.session.flush()
    record(
        "commission.interview_plan_set",
        actor=actor,
        now=now,
        institution_id=session.institution_id,
        object_type="session",
        object_id=session.id,
        details={"questions": [(q.question_id, q.question_version, q.content_hash[:12]) for q in plan.questions]},
    )
    return plan


def planned(plan: InterviewPlan) -> list[Planned]:
    """The plan's questions in order, read from the stored copies."""
    result = []
    for row in plan.questions:
        data = json.loads(row.snapshot)
        result.append(
            Planned(
                row.id,
                row.position,
                row.criterion,
                row.question_id,
                row.question_version,
                row.content_hash,
                data["question"],
                data["context"],
                tuple(data["elements"]),
                data["threshold"],
                tuple(data["follow_ups"]),
                tuple(data["red_flags"]),
            )
        )
    return result


def interview_of(sheet: ScoreSheet) -> Interview | None:
    return db.session.scalar(select(Interview).where(Interview.sheet_id == sheet.id))


def start(
    sheet: ScoreSheet, member: User, *, now: datetime, bank: InterviewBank, qualification: Qualification
) -> Interview:
    """Start the candidate's interview; the first start in a session locks the session's plan."""
    S._guard_member(sheet, member, qualification=qualification, now=now)
    if interview_of(sheet) is not None:
        raise Conflict(_("Rozmowa z tym kandydatem została już rozpoczęta."))
    session = sheet.enrolment.session
    plan = plan_of(session, bank=bank, qualification=qualification, now=now)
    if plan.locked_at is None:
        plan.locked_at = now
        record(
            "commission.interview_plan_locked",
            actor=member,
            now=now,
            institution_id=session.institution_id,
            object_type="session",
            object_id=session.id,
            details={"questions": [(q.question_id, q.question_version, q.content_hash[:12]) for q in plan.questions]},
        )
    interview = Interview(sheet_id=sheet.id, plan_id=plan.id, started_at=now, started_by_id=member.id)
    db.session.add(interview)
    db.session.flush()
    record(
        "commission.interview_started",
        actor=member,
        now=now,
        institution_id=session.institution_id,
        object_type="sheet",
        object_id=sheet.id,
    )
    return interview


def finish(sheet: ScoreSheet, member: User, *, now: datetime, qualification: Qualification) -> Interview:
    """Record the end of the candidate's interview."""
    S._guard_member(sheet, member, qualification=qualification, now=now)
    interview = interview_of(sheet)
    if interview is None:
        raise DomainError(_("Rozmowa nie została jeszcze rozpoczęta."))
    if interview.finished_at is not None:
        raise Conflict(_("Rozmowa została już zakończona."))
    interview.finished_at, interview.finished_by_id = now, member.id
    db.session.flush()
    record(
        "commission.interview_finished",
        actor=member,
        now=now,
        institution_id=sheet.enrolment.session.institution_id,
        object_type="sheet",
        object_id=sheet.id,
        details={"minutes": round((now - interview.started_at).total_seconds() / 60, 1)},
    )
    return interview


def save_notes(
    sheet: ScoreSheet, member: User, notes: dict[int, str], *, now: datetime, qualification: Qualification
) -> list[str]:
    """Save the member's own notes per planned question; return problems for notes that were not saved."""
    S._guard_member(sheet, member, qualification=qualification, now=now)
    interview = interview_of(sheet)
    if interview is None:
        raise DomainError(_("Najpierw rozpocznij rozmowę."))
    if member.id in S.submissions(sheet):
        raise Conflict(_("Oceny tego kandydata zostały już przesłane; notatki z rozmowy są zamknięte."))
    plan = db.session.get(InterviewPlan, interview.plan_id)
    positions = {q.id: q.position for q in plan.questions}
    existing = {
        n.question_id: n
        for n in db.session.scalars(
            select(InterviewNote).where(
                InterviewNote.interview_id == interview.id, InterviewNote.member_id == member.id
            )
        )
    }
    problems = []
    for question_id, raw in notes.items():
        if question_id not in positions:
            continue
        text = raw.strip()
        if len(text) > NOTE_MAX:
            problems.append(
                _(
                    "Notatka do pytania %(n)d jest za długa (%(len)d znaków, najwyżej %(max)d); nie zapisano jej.",
                    n=positions[question_id],
                    len=len(text),
                    max=NOTE_MAX,
                )
            )
            continue
        note = existing.get(question_id)
        if note is None:
            if text:
                db.session.add(
                    InterviewNote(
                        interview_id=interview.id,
                        member_id=member.id,
                        question_id=question_id,
                        text=text,
                        updated_at=now,
                    )
                )
        elif note.text != text:
            note.text, note.updated_at = text, now
    db.session.flush()
    return problems


def visible_notes(sheet: ScoreSheet, viewer: User) -> dict[int, dict[int, str]]:
    """Notes the viewer may read, per member and planned question: their own; everyone's once all submitted."""
    interview = interview_of(sheet)
    if interview is None:
        return {}
    query = select(InterviewNote).where(InterviewNote.interview_id == interview.id)
    if not S.all_submitted(sheet):
        if viewer.id not in {u.id for u in S.scorers(sheet)}:
            return {}
        query = query.where(InterviewNote.member_id == viewer.id)
    result: dict[int, dict[int, str]] = {}
    for note in db.session.scalars(query):
        result.setdefault(note.member_id, {})[note.question_id] = note.text
    return result


def interview_scoring(sheet: ScoreSheet, qualification: Qualification) -> list[tuple[User, int, int, bool]]:
    """Per scorer: I criteria scored, I criteria in all, whether they submitted (for the protocol; no notes)."""
    codes = set(interview_criteria(qualification))
    done = S.submissions(sheet)
    result = []
    for user in S.scorers(sheet):
        scored = codes & set(S._latest(sheet, user.id))
        result.append((user, len(scored), len(codes), user.id in done))
    return result
