"""Blind independent scoring of every criterion, agreed scores, and the commission's decision."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from examplatform.audit.services import record
from examplatform.auth.models import User
from examplatform.commission.agreement import Agreement, cohen_kappa
from examplatform.commission.composition import commission_of, conflict_reason, record_measure, replacements
from examplatform.commission.models import (
    AgreedScore,
    CriterionScore,
    Decision,
    DecisionConfirmation,
    Declaration,
    MeasureKind,
    MemberSubmission,
    ScoreSheet,
)
from examplatform.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from examplatform.extensions import db
from examplatform.notifications.services import queue_message
from examplatform.qualification.loader import Qualification
from examplatform.sessions.models import Enrolment, ValidationSession

APPEAL_DAYS = 14  # the institution's appeal deadline after the decision is announced
LOCAL_TIME = ZoneInfo("Europe/Warsaw")  # deadlines are calendar days where the institution works


def appeal_deadline(announced_at: datetime) -> date:
    """The last day for an appeal: APPEAL_DAYS calendar days after the announcement, in Polish local time."""
    return (announced_at.astimezone(LOCAL_TIME) + timedelta(days=APPEAL_DAYS)).date()


def scored_criteria(qualification: Qualification) -> list[str]:
    """Criteria the commission scores: those verified by simulation (S) or interview (I)."""
    return [c.code for c in qualification.criteria if {"S", "I"} & set(c.methods)]


def sheet_for(enrolment: Enrolment) -> ScoreSheet:
    sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.enrolment_id == enrolment.id))
    if sheet is None:
        sheet = ScoreSheet(enrolment=enrolment)
        db.session.add(sheet)
        db.session.flush()
    return sheet


def sheet_in_session(session: ValidationSession, sheet_id: int) -> ScoreSheet:
    sheet = db.session.get(ScoreSheet, sheet_id)
    if sheet is None or sheet.enrolment.session_id != session.id:
        raise NotFound(_("W tej sesji nie ma takiej karty oceny."))
    return sheet


def scorers(sheet: ScoreSheet) -> list[User]:
    """Members who score this candidate: the commission without anyone in conflict with the candidate."""
    session, candidate = sheet.enrolment.session, sheet.enrolment.candidate
    return [m.user for m in commission_of(session).members if conflict_reason(session, m.user, candidate) is None]


def submissions(sheet: ScoreSheet) -> dict[int, datetime]:
    return {
        s.member_id: s.submitted_at
        for s in db.session.scalars(select(MemberSubmission).where(MemberSubmission.sheet_id == sheet.id))
    }


def _latest(sheet: ScoreSheet, member_id: int) -> dict[str, CriterionScore]:
    latest: dict[str, CriterionScore] = {}
    for score in db.session.scalars(
        select(CriterionScore)
        .where(CriterionScore.sheet_id == sheet.id, CriterionScore.member_id == member_id)
        .order_by(CriterionScore.version)
    ):
        latest[score.criterion] = score
    return latest


def _guard_member(sheet: ScoreSheet, member: User, *, qualification: Qualification, now: datetime) -> None:
    session, candidate = sheet.enrolment.session, sheet.enrolment.candidate
    if not any(m.user_id == member.id for m in commission_of(session).members):
        raise PermissionDenied(_("Nie jesteś członkiem komisji tej sesji."))
    if (
        db.session.scalar(
            select(Declaration).where(Declaration.session_id == session.id, Declaration.user_id == member.id)
        )
        is None
    ):
        raise DomainError(_("Przed oceną złóż oświadczenie o bezstronności dla tej sesji."))
    reason = conflict_reason(session, member, candidate)
    if reason is not None:
        names = ", ".join(u.full_name for u in replacements(session, candidate, qualification, now)[:3]) or _("brak")
        record_measure(
            session, candidate=candidate, member=member, kind=MeasureKind.REFUSED, reason=reason, actor=member, now=now
        )
        db.session.commit()  # the refusal is evidence even though the request fails
        raise PermissionDenied(
            _(
                "%(reason)s Ocenę musi wykonać inna osoba. Proponowane zastępstwo: %(names)s.",
                reason=reason,
                names=names,
            )
        )
    if decision_of(sheet) is not None and decision_of(sheet).locked_at is not None:
        raise Conflict(_("Decyzja jest zatwierdzona; oceny nie można już zmieniać."))


def score(
    sheet: ScoreSheet,
    member: User,
    criterion: str,
    *,
    met: bool,
    comment: str,
    now: datetime,
    qualification: Qualification,
    reason: str = "",
) -> CriterionScore:
    """Record the member's own score of a criterion; after submission a change is a new version with a reason."""
    _guard_member(sheet, member, qualification=qualification, now=now)
    if criterion not in scored_criteria(qualification):
        raise DomainError(
            _("Kryterium %(code)s nie jest oceniane przez komisję (metoda T: wynik testu).", code=criterion)
        )
    if not met and not comment.strip():
        raise DomainError(_("Przy ocenie „nie spełnia” komentarz jest wymagany (%(code)s).", code=criterion))
    current = _latest(sheet, member.id).get(criterion)
    if member.id in submissions(sheet):
        if not reason.strip():
            raise DomainError(_("Oceny są już przesłane: zmiana wymaga podania powodu."))
        entry = CriterionScore(
            sheet_id=sheet.id,
            member_id=member.id,
            criterion=criterion,
            version=(current.version + 1) if current else 1,
            met=met,
            comment=comment.strip(),
            reason=reason.strip(),
            created_at=now,
        )
        db.session.add(entry)
        record(
            "commission.score_revised",
            actor=member,
            now=now,
            object_type="sheet",
            object_id=sheet.id,
            reason=reason.strip(),
            details={"criterion": criterion, "met": met, "version": entry.version},
        )
    elif current is not None:
        current.met, current.comment, current.created_at = met, comment.strip(), now  # still a private draft
        entry = current
    else:
        entry = CriterionScore(
            sheet_id=sheet.id,
            member_id=member.id,
            criterion=criterion,
            version=1,
            met=met,
            comment=comment.strip(),
            created_at=now,
        )
        db.session.add(entry)
    db.session.flush()
    return entry


def submit(sheet: ScoreSheet, member: User, *, now: datetime, qualification: Qualification) -> MemberSubmission:
    """Submit (freeze) the member's independent scores: every S and I criterion must be scored."""
    _guard_member(sheet, member, qualification=qualification, now=now)
    if member.id in submissions(sheet):
        raise Conflict(_("Oceny tego kandydata zostały już przesłane."))
    missing = [c for c in scored_criteria(qualification) if c not in _latest(sheet, member.id)]
    if missing:
        raise DomainError(_("Brak oceny kryteriów: %(list)s.", list=", ".join(missing)))
    submission = MemberSubmission(sheet_id=sheet.id, member_id=member.id, submitted_at=now)
    db.session.add(submission)
    db.session.flush()
    record(
        "commission.scores_submitted",
        actor=member,
        now=now,
        object_type="sheet",
        object_id=sheet.id,
        details={"criteria": len(_latest(sheet, member.id))},
    )
    return submission


def all_submitted(sheet: ScoreSheet) -> bool:
    done = submissions(sheet)
    people = scorers(sheet)
    return len(people) >= 2 and all(u.id in done for u in people)


def visible_scores(sheet: ScoreSheet, viewer: User) -> dict[int, dict[str, CriterionScore]]:
    """Scores the viewer may see: their own always; the others' only after every scorer has submitted."""
    if all_submitted(sheet):
        return {u.id: _latest(sheet, u.id) for u in scorers(sheet)}
    return {viewer.id: _latest(sheet, viewer.id)}


def independent_scores(sheet: ScoreSheet) -> dict[int, dict[str, bool]]:
    """Each scorer's scores as submitted (before any revision or agreement) — for agreement statistics."""
    result = {}
    for member_id, submitted_at in submissions(sheet).items():
        scores: dict[str, bool] = {}
        for entry in db.session.scalars(
            select(CriterionScore)
            .where(
                CriterionScore.sheet_id == sheet.id,
                CriterionScore.member_id == member_id,
                CriterionScore.created_at <= submitted_at,
            )
            .order_by(CriterionScore.version)
        ):
            scores[entry.criterion] = entry.met
        result[member_id] = scores
    return result


def disagreements(sheet: ScoreSheet) -> list[str]:
    """Criteria on which the scorers' current scores differ (only once all have submitted)."""
    if not all_submitted(sheet):
        return []
    latest = [_latest(sheet, u.id) for u in scorers(sheet)]
    return sorted(c for c in latest[0] if len({scores[c].met for scores in latest if c in scores}) > 1)


def agree(sheet: ScoreSheet, criterion: str, *, met: bool, reason: str, actor: User, now: datetime) -> AgreedScore:
    """Resolve a disagreement with an agreed score and its reason, kept beside the original scores."""
    if actor.id not in {u.id for u in scorers(sheet)}:
        raise PermissionDenied(_("Uzgadniać mogą tylko oceniający tego kandydata."))
    if criterion not in disagreements(sheet):
        raise DomainError(_("W kryterium %(code)s nie ma rozbieżności do uzgodnienia.", code=criterion))
    if not reason.strip():
        raise DomainError(_("Podaj uzasadnienie uzgodnionej oceny."))
    if db.session.scalar(
        select(AgreedScore).where(AgreedScore.sheet_id == sheet.id, AgreedScore.criterion == criterion)
    ):
        raise Conflict(_("Ocena kryterium %(code)s została już uzgodniona.", code=criterion))
    agreed = AgreedScore(
        sheet_id=sheet.id, criterion=criterion, met=met, reason=reason.strip(), agreed_at=now, agreed_by_id=actor.id
    )
    db.session.add(agreed)
    db.session.flush()
    record(
        "commission.score_agreed",
        actor=actor,
        now=now,
        object_type="sheet",
        object_id=sheet.id,
        reason=reason.strip(),
        details={"criterion": criterion, "met": met},
    )
    return agreed


def final_scores(sheet: ScoreSheet, qualification: Qualification) -> dict[str, bool | None]:
    """The commission's score per criterion: agreed, or unanimous; None while still open."""
    agreed = {
        a.criterion: a.met for a in db.session.scalars(select(AgreedScore).where(AgreedScore.sheet_id == sheet.id))
    }
    latest = [_latest(sheet, u.id) for u in scorers(sheet)] if all_submitted(sheet) else []
    result: dict[str, bool | None] = {}
    for code in scored_criteria(qualification):
        values = {scores[code].met for scores in latest if code in scores}
        result[code] = agreed.get(code, values.pop() if len(values) == 1 else None)
    return result


def decision_of(sheet: ScoreSheet) -> Decision | None:
    return db.session.scalar(select(Decision).where(Decision.sheet_id == sheet.id))


def proposed_outcome(
    sheet: ScoreSheet, qualification: Qualification, test_passed: bool | None
) -> tuple[bool, list[str], str]:
    """Apply the qualification's decision rule; return (positive, unmet criteria, a pre-filled justification)."""
    finals = final_scores(sheet, qualification)
    methods = set(qualification.decision.require_all_criteria_met_for_methods)
    required = [c.code for c in qualification.criteria if methods & set(c.methods) and c.code in finals]
    unmet = [code for code in required if finals[code] is not True]
    test_ok = test_passed is True or not qualification.decision.require_test_passed
    positive = test_ok and not unmet
    lines = []
    if not test_ok:
        lines.append(_("Test teoretyczny nie został zaliczony."))
    for code in unmet:
        lines.append(f"{code} {qualification.criterion(code).text.pl}: " + _("kryterium niespełnione."))
    return positive, unmet, "\n".join(lines)


def draft_decision(
    sheet: ScoreSheet,
    *,
    actor: User,
    now: datetime,
    qualification: Qualification,
    test_passed: bool | None,
    justification: str,
) -> Decision:
    """Write (or rewrite, before anyone confirms) the decision; a negative one needs a justification."""
    if actor.id not in {u.id for u in scorers(sheet)}:
        raise PermissionDenied(_("Decyzję przygotowują oceniający tego kandydata."))
    existing = decision_of(sheet)
    if existing is not None and existing.locked_at is not None:
        raise Conflict(_("Decyzja jest zatwierdzona i nie może być zmieniona."))
    if not all_submitted(sheet):
        raise DomainError(_("Decyzję można przygotować, gdy wszyscy oceniający prześlą oceny."))
    if disagreements(sheet) and any(v is None for v in final_scores(sheet, qualification).values()):
        raise DomainError(_("Najpierw uzgodnij rozbieżne oceny."))
    positive, unmet, _suggested = proposed_outcome(sheet, qualification, test_passed)
    if not positive and not justification.strip():
        raise DomainError(_("Decyzja negatywna wymaga pisemnego uzasadnienia wskazującego niespełnione kryteria."))
    decision = decision_of(sheet)
    if decision is not None and decision.locked_at is not None:
        raise Conflict(_("Decyzja jest zatwierdzona i nie może być zmieniona."))
    if decision is None:
        decision = Decision(
            sheet_id=sheet.id,
            positive=positive,
            justification=justification.strip(),
            drafted_at=now,
            drafted_by_id=actor.id,
        )
        db.session.add(decision)
    else:
        decision.positive, decision.justification, decision.drafted_at = positive, justification.strip(), now
        decision.drafted_by_id = actor.id
        decision.confirmations.clear()  # a changed text must be confirmed again by everyone
    db.session.flush()
    record(
        "commission.decision_drafted",
        actor=actor,
        now=now,
        object_type="sheet",
        object_id=sheet.id,
        details={"positive": positive, "unmet": unmet},
    )
    return decision


def confirm(sheet: ScoreSheet, member: User, *, now: datetime) -> Decision:
    """Confirm the decision with one's own login; when every scorer has confirmed, it is locked and announced."""
    decision = decision_of(sheet)
    if decision is None:
        raise DomainError(_("Nie ma jeszcze decyzji do potwierdzenia."))
    if member.id not in {u.id for u in scorers(sheet)}:
        raise PermissionDenied(_("Decyzję potwierdzają oceniający tego kandydata."))
    if decision.locked_at is not None or any(c.member_id == member.id for c in decision.confirmations):
        raise Conflict(_("Ta decyzja została już przez Ciebie potwierdzona."))
    decision.confirmations.append(DecisionConfirmation(member_id=member.id, confirmed_at=now))
    record("commission.decision_confirmed", actor=member, now=now, object_type="sheet", object_id=sheet.id)
    if {c.member_id for c in decision.confirmations} >= {u.id for u in scorers(sheet)}:
        decision.locked_at = now
        _announce(sheet, decision, now)
    db.session.flush()
    return decision


def _announce(sheet: ScoreSheet, decision: Decision, now: datetime) -> None:
    candidate = sheet.enrolment.candidate
    deadline = appeal_deadline(now).strftime("%d.%m.%Y")
    body = (
        _("Komisja walidacyjna podjęła decyzję: wynik pozytywny.")
        if decision.positive
        else _(
            "Komisja walidacyjna podjęła decyzję: wynik negatywny.\nUzasadnienie:\n%(text)s",
            text=decision.justification,
        )
    )
    body += "\n\n" + _(
        "Od decyzji przysługuje odwołanie do instytucji certyfikującej w terminie do %(date)s "
        "(%(days)d dni). Odwołanie rozpatruje niezależny zespół odwoławczy.",
        date=deadline,
        days=APPEAL_DAYS,
    )
    decision.message_id = queue_message(
        to_email=candidate.email,
        user_id=candidate.id,
        kind="commission_decision",
        subject=_("Decyzja komisji walidacyjnej"),
        body=body,
        now=now,
    ).id
    record(
        "commission.decision_locked",
        actor=None,
        now=now,
        object_type="sheet",
        object_id=sheet.id,
        details={"positive": decision.positive},
    )


def agreement_statistics(session: ValidationSession) -> dict[tuple[int, int], Agreement]:
    """Raw agreement and Cohen's kappa per member pair on the independent scores of the session."""
    pairs: dict[tuple[int, int], list[tuple[bool, bool]]] = defaultdict(list)
    for enrolment in session.enrolments:
        sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.enrolment_id == enrolment.id))
        if sheet is None:
            continue
        independent = independent_scores(sheet)
        for a, b in combinations(sorted(independent), 2):
            for criterion in sorted(set(independent[a]) & set(independent[b])):
                pairs[(a, b)].append((independent[a][criterion], independent[b][criterion]))
    return {pair: cohen_kappa(values) for pair, values in pairs.items()}
