"""Eligible members only; a trainer may not score their trainee; refusals and measures are recorded."""

import pytest
from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.commission import composition as C
from examplatform.commission import scoring as S
from examplatform.commission.models import ConflictMeasure, MeasureKind
from examplatform.core.content import ContentError
from examplatform.core.errors import DomainError, PermissionDenied
from examplatform.extensions import db


def test_ineligible_person_is_refused_with_the_reason(panel, q, factories):
    with pytest.raises(DomainError, match=r"3,0 lat .wymagane co najmniej 5"):
        C.appoint(panel["session"], panel["junior"], actor=panel["admin"], now=factories.now, qualification=q)
    member = C.appoint(
        panel["session"], panel["a"], actor=panel["admin"], now=factories.now, qualification=q, chair=True
    )
    assert member.eligibility.startswith("Spełnia wymagania")
    assert C.check_composition(panel["session"], q) == ["Komisja musi liczyć co najmniej 2 osoby."]
    C.appoint(panel["session"], panel["b"], actor=panel["admin"], now=factories.now, qualification=q)
    assert C.check_composition(panel["session"], q) == []


def test_an_operator_may_also_be_a_member(panel, q, factories):
    from examplatform.auth import services as auth_services
    from examplatform.auth.models import Role

    auth_services.grant_role(
        panel["a"],
        Role.OPERATOR,
        institution_id=panel["institution"].id,
        actor=None,
        now=factories.now,
        reason="operator sesji",
    )
    assert C.appoint(panel["session"], panel["a"], actor=panel["admin"], now=factories.now, qualification=q)


def test_training_roster_csv_is_all_or_nothing_with_lines(panel, factories):
    good = (
        "trener_email;kandydat_email;szkolenie;od;do\n"
        "anna@komisja.example;kandydat1@test.example;Kurs CRM;2026-09-01;2026-09-30\n"
    )
    assert (
        C.import_training_csv(panel["institution"].id, good, file="roster.csv", actor=panel["admin"], now=factories.now)
        == 1
    )
    bad = good + "anna@komisja.example;kandydat2@test.example;Kurs CRM;01.09.2026;\nx;y;;2026-01-01;\n"
    with pytest.raises(ContentError) as err:
        C.import_training_csv(panel["institution"].id, bad, file="roster2.csv", actor=panel["admin"], now=factories.now)
    assert [(e.file, e.line) for e in err.value.errors] == [("roster2.csv", 3), ("roster2.csv", 4)]


def _ready(panel, q, factories):
    session = panel["session"]
    for who in ("a", "b"):
        C.appoint(session, panel[who], actor=panel["admin"], now=factories.now, qualification=q, chair=who == "a")
        C.declare(session, panel[who], now=factories.now, related_candidate_ids=[], statement="Oświadczam, że …")
    return session


def test_trainer_cannot_score_own_trainee_refusal_recorded_replacement_proposed(panel, q, factories):
    session = _ready(panel, q, factories)
    trainee = panel["candidates"][0]
    C.add_training(
        panel["institution"].id,
        trainer_email=panel["a"].email,
        candidate_email=trainee.email,
        course="Kurs CRM dla handlowców",
        date_from=factories.now.date(),
        date_to=None,
        actor=None,
        now=factories.now,
    )
    sheet = S.sheet_for(session.enrolments[0])
    with pytest.raises(PermissionDenied) as err:
        S.score(sheet, panel["a"], "1.2.2", met=True, comment="", now=factories.now, qualification=q)
    assert "przygotowywał(a) kandydata" in err.value.message and "Celina Zastępuje" in err.value.message
    measure = db.session.scalars(select(ConflictMeasure)).one()
    assert measure.kind is MeasureKind.REFUSED and measure.member_id == panel["a"].id
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "commission.conflict_refused")).one()
    assert [u.id for u in S.scorers(sheet)] == [panel["b"].id]  # A is out for this candidate


def test_declared_relation_blocks_scoring(panel, q, factories):
    session = panel["session"]
    related = panel["candidates"][1]
    for who in ("a", "b"):
        C.appoint(session, panel[who], actor=panel["admin"], now=factories.now, qualification=q)
    C.declare(session, panel["b"], now=factories.now, related_candidate_ids=[related.id], statement="Kuzyn.")
    assert "zadeklarował(a) związek" in C.conflict_reason(session, panel["b"], related)
    with pytest.raises(DomainError, match="oświadczenie"):
        S.score(
            S.sheet_for(session.enrolments[0]),
            panel["a"],
            "1.2.2",
            met=True,
            comment="",
            now=factories.now,
            qualification=q,
        )
