"""Blind independent scoring, frozen originals, disagreements, a justified joint decision, kappa."""

import pytest
from sklearn.metrics import cohen_kappa_score
from sqlalchemy import select

from examplatform.commission import composition as C
from examplatform.commission import scoring as S
from examplatform.commission.agreement import cohen_kappa
from examplatform.commission.models import CriterionScore
from examplatform.core.errors import Conflict, DomainError, PermissionDenied
from examplatform.extensions import db
from examplatform.notifications.models import OutboxMessage


@pytest.fixture
def sheet(panel, q, factories):
    session = panel["session"]
    for who in ("a", "b"):
        C.appoint(session, panel[who], actor=panel["admin"], now=factories.now, qualification=q, chair=who == "a")
        C.declare(
            session, panel[who], now=factories.now, related_candidate_ids=[], statement="Oświadczam bezstronność."
        )
    return S.sheet_for(session.enrolments[0])


def _score_all(sheet, member, q, now, *, unmet=()):
    for code in S.scored_criteria(q):
        met = code not in unmet
        S.score(sheet, member, code, met=met, comment="" if met else "Nie wykonano zadania.", now=now, qualification=q)


def test_t_criteria_are_not_scored_by_the_commission(sheet, panel, q, factories):
    with pytest.raises(DomainError, match="metoda T"):
        S.score(sheet, panel["a"], "1.3.2", met=True, comment="", now=factories.now, qualification=q)
    assert (
        "1.3.2" not in S.scored_criteria(q) and "2.3.5" in S.scored_criteria(q) and len(S.scored_criteria(q)) == 34
    )  # 29 S + 2.3.5 (I) + four T+I criteria


def test_not_met_needs_a_comment_and_submission_needs_every_criterion(sheet, panel, q, factories):
    with pytest.raises(DomainError, match="komentarz jest wymagany"):
        S.score(sheet, panel["a"], "1.2.2", met=False, comment=" ", now=factories.now, qualification=q)
    S.score(sheet, panel["a"], "1.2.2", met=True, comment="", now=factories.now, qualification=q)
    with pytest.raises(DomainError, match="Brak oceny kryteriów"):
        S.submit(sheet, panel["a"], now=factories.now, qualification=q)


def test_blind_until_both_submit(sheet, panel, q, factories):
    _score_all(sheet, panel["a"], q, factories.now, unmet=("2.2.2",))
    S.submit(sheet, panel["a"], now=factories.now, qualification=q)
    assert set(S.visible_scores(sheet, panel["b"])) == {panel["b"].id}  # B sees nothing of A's
    _score_all(sheet, panel["b"], q, factories.now)
    assert set(S.visible_scores(sheet, panel["b"])) == {panel["b"].id}
    S.submit(sheet, panel["b"], now=factories.now, qualification=q)
    assert set(S.visible_scores(sheet, panel["b"])) == {panel["a"].id, panel["b"].id}
    assert S.disagreements(sheet) == ["2.2.2"]


def test_submitted_scores_are_frozen_changes_are_new_versions(sheet, panel, q, factories):
    _score_all(sheet, panel["a"], q, factories.now)
    S.submit(sheet, panel["a"], now=factories.now, qualification=q)
    with pytest.raises(DomainError, match="powodu"):
        S.score(
            sheet, panel["a"], "2.4.6", met=False, comment="Brak powodu utraty.", now=factories.now, qualification=q
        )
    S.score(
        sheet,
        panel["a"],
        "2.4.6",
        met=False,
        comment="Brak powodu utraty.",
        now=factories.now,
        qualification=q,
        reason="ponowne obejrzenie nagrania zdarzeń",
    )
    versions = db.session.scalars(select(CriterionScore).where(CriterionScore.criterion == "2.4.6")).all()
    assert [(v.version, v.met) for v in versions] == [(1, True), (2, False)]
    with pytest.raises(Conflict):
        S.submit(sheet, panel["a"], now=factories.now, qualification=q)


def test_disagreement_resolved_then_negative_decision_needs_justification_and_both_confirm(sheet, panel, q, factories):
    now = factories.now
    _score_all(sheet, panel["a"], q, now, unmet=("2.2.2",))
    _score_all(sheet, panel["b"], q, now)
    S.submit(sheet, panel["a"], now=now, qualification=q)
    S.submit(sheet, panel["b"], now=now, qualification=q)
    with pytest.raises(DomainError, match="uzgodnij"):
        S.draft_decision(sheet, actor=panel["a"], now=now, qualification=q, test_passed=True, justification="")
    S.agree(sheet, "2.2.2", met=False, reason="W szablonie brak znacznika nazwy firmy.", actor=panel["b"], now=now)
    positive, unmet, suggested = S.proposed_outcome(sheet, q, test_passed=True)
    assert not positive and unmet == ["2.2.2"] and "2.2.2" in suggested
    with pytest.raises(DomainError, match="uzasadnienia"):
        S.draft_decision(sheet, actor=panel["a"], now=now, qualification=q, test_passed=True, justification="  ")
    S.draft_decision(sheet, actor=panel["a"], now=now, qualification=q, test_passed=True, justification=suggested)
    S.confirm(sheet, panel["a"], now=now)
    with pytest.raises(Conflict, match="już przez Ciebie"):
        S.confirm(sheet, panel["a"], now=now)
    decision = S.confirm(sheet, panel["b"], now=now)
    assert decision.locked_at is not None and not decision.positive
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "commission_decision")).one()
    assert "wynik negatywny" in message.body and "2.2.2" in message.body and "odwołanie" in message.body
    with pytest.raises(Conflict):
        S.score(sheet, panel["b"], "2.2.2", met=True, comment="", now=now, qualification=q, reason="zmiana")
    with pytest.raises(Conflict):
        S.draft_decision(sheet, actor=panel["a"], now=now, qualification=q, test_passed=True, justification="x")


def test_positive_decision_requires_the_test_passed(sheet, panel, q, factories):
    now = factories.now
    for who in ("a", "b"):
        _score_all(sheet, panel[who], q, now)
        S.submit(sheet, panel[who], now=now, qualification=q)
    assert S.proposed_outcome(sheet, q, test_passed=True)[0] is True
    positive, _unmet, text = S.proposed_outcome(sheet, q, test_passed=False)
    assert positive is False and "Test teoretyczny nie został zaliczony." in text


def test_outsider_cannot_confirm_or_agree(sheet, panel, q, factories):
    now = factories.now
    for who in ("a", "b"):
        _score_all(sheet, panel[who], q, now)
        S.submit(sheet, panel[who], now=now, qualification=q)
    S.draft_decision(sheet, actor=panel["a"], now=now, qualification=q, test_passed=True, justification="")
    with pytest.raises(PermissionDenied):
        S.confirm(sheet, panel["c"], now=now)
    with pytest.raises(PermissionDenied):
        S.agree(sheet, "2.2.2", met=True, reason="x", actor=panel["c"], now=now)


@pytest.mark.parametrize(
    "pairs",
    [
        [(True, True)] * 20 + [(True, False)] * 5 + [(False, True)] * 10 + [(False, False)] * 15,
        [(True, True), (False, False), (True, False), (False, True), (True, True), (True, True)],
        [(True, True)] * 7 + [(False, False)] * 3,
        [(True, False)] * 4 + [(False, True)] * 4,
    ],
)
def test_kappa_matches_the_reference_implementation(pairs):
    a, b = zip(*pairs, strict=True)
    assert cohen_kappa(pairs).kappa == pytest.approx(cohen_kappa_score(a, b), abs=1e-4)
    assert cohen_kappa(pairs).observed == pytest.approx(sum(x == y for x, y in pairs) / len(pairs), abs=1e-4)


def test_kappa_of_a_session_uses_the_independent_scores(sheet, panel, q, factories):
    now = factories.now
    _score_all(sheet, panel["a"], q, now, unmet=("2.2.2", "2.5.5"))
    _score_all(sheet, panel["b"], q, now, unmet=("2.2.2",))
    S.submit(sheet, panel["a"], now=now, qualification=q)
    S.submit(sheet, panel["b"], now=now, qualification=q)
    S.agree(sheet, "2.5.5", met=True, reason="Wykres słupkowy był właściwy.", actor=panel["a"], now=now)
    ((pair, stats),) = S.agreement_statistics(panel["session"]).items()
    assert pair == tuple(sorted((panel["a"].id, panel["b"].id)))
    assert stats.pairs == 34 and stats.observed == pytest.approx(33 / 34, abs=1e-4)
    a = [c not in {"2.2.2", "2.5.5"} for c in S.scored_criteria(q)]
    b = [c != "2.2.2" for c in S.scored_criteria(q)]
    assert stats.kappa == pytest.approx(cohen_kappa_score(a, b), abs=1e-4)


def test_no_decision_to_confirm_before_the_other_member_has_scored(sheet, panel, q, factories):
    """A decision is drafted only when every scorer has submitted; before that nothing can be confirmed."""
    now = factories.now
    _score_all(sheet, panel["a"], q, now)
    S.submit(sheet, panel["a"], now=now, qualification=q)
    with pytest.raises(DomainError, match="wszyscy oceniający prześlą oceny"):
        S.draft_decision(sheet, actor=panel["a"], now=now, qualification=q, test_passed=True, justification="")
    with pytest.raises(DomainError, match="Nie ma jeszcze decyzji do potwierdzenia"):
        S.confirm(sheet, panel["a"], now=now)
    assert S.decision_of(sheet) is None
