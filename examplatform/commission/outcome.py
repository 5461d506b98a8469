"""What a candidate sees of the commission's decision: the result, per-criterion outcome, appeal route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from examplatform.auth.models import User
from examplatform.commission import scoring as S
from examplatform.commission.models import Decision, ScoreSheet
from examplatform.core.errors import NotFound
from examplatform.extensions import db
from examplatform.qualification.loader import Qualification


@dataclass(frozen=True)
class CriterionOutcome:
    code: str
    text: str
    methods: tuple[str, ...]
    met: bool | None  # None: verified by the test only (shown with the test result instead)


def decision_for_candidate(candidate: User, decision_id: int) -> Decision:
    """Return the candidate's own locked decision; anything else (another's, a draft) is not found."""
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.locked_at is None:
        raise NotFound(_("Nie ma takiej decyzji."))
    sheet = db.session.get(ScoreSheet, decision.sheet_id)
    if sheet.enrolment.candidate_id != candidate.id:
        raise NotFound(_("Nie ma takiej decyzji."))
    return decision


def locked_decisions_of(candidate: User) -> dict[int, Decision]:
    """The candidate's locked decisions by enrolment id (drafts are never shown to the candidate)."""
    from examplatform.sessions.models import Enrolment

    rows = db.session.execute(
        select(ScoreSheet.enrolment_id, Decision)
        .join(Decision, Decision.sheet_id == ScoreSheet.id)
        .join(Enrolment, Enrolment.id == ScoreSheet.enrolment_id)
        .where(Enrolment.candidate_id == candidate.id, Decision.locked_at.is_not(None))
    )
    return {row.enrolment_id: row.Decision for row in rows}


def criterion_outcomes(sheet: ScoreSheet, qualification: Qualification, locale: str) -> list[CriterionOutcome]:
    """The commission's outcome per criterion (agreed or unanimous), without who scored what."""
    finals = S.final_scores(sheet, qualification)
    return [CriterionOutcome(c.code, c.text.in_(locale), c.methods, finals.get(c.code)) for c in qualification.criteria]


def appeal_deadline(decision: Decision) -> date:
    return S.appeal_deadline(decision.locked_at)
