"""The candidate's view of the commission's decision, the announcement, and the interview in the protocol."""

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from examplatform.commission import composition as C
from examplatform.commission import interviews as I
from examplatform.commission import scoring as S
from examplatform.commission.models import Decision
from examplatform.extensions import db
from examplatform.notifications.models import OutboxMessage

JUSTIFICATION = "2.5.5 dobiera formę prezentacji danych: kryterium niespełnione (wykres kołowy dla trendu w czasie)."


@pytest.fixture
def scored(panel, q, factories):
    """Both members scored the first candidate; A found 2.5.5 not met, agreed; a negative decision is drafted."""
    session, now = panel["session"], factories.now
    for who in ("a", "b"):
        C.appoint(session, panel[who], actor=panel["admin"], now=now, qualification=q, chair=who == "a")
        C.declare(session, panel[who], now=now, related_candidate_ids=[], statement="Oświadczam.")
    sheet = S.sheet_for(session.enrolments[0])
    for who in ("a", "b"):
        for code in S.scored_criteria(q):
            met = code != "2.5.5"
            comment = "" if met else "Zły typ wykresu."
            S.score(sheet, panel[who], code, met=met, comment=comment, now=now, qualification=q)
        S.submit(sheet, panel[who], now=now, qualification=q)
    decision = S.draft_decision(
        sheet, actor=panel["a"], now=now, qualification=q, test_passed=True, justification=JUSTIFICATION
    )
    db.session.commit()
    return sheet, decision


def _browser(csrf_app, user, password):
    browser = csrf_app.test_client()
    assert browser.post("/auth/login", data={"email": user.email, "password": password}).status_code == 302
    return browser


def _lock(sheet, panel, factories):
    S.confirm(sheet, panel["a"], now=factories.now)
    decision = S.confirm(sheet, panel["b"], now=factories.now)
    db.session.commit()
    return decision


def test_nothing_is_shown_before_the_decision_is_locked(csrf_app, scored, panel, factories):
    sheet, decision = scored
    S.confirm(sheet, panel["a"], now=factories.now)  # one of two confirmations: still a draft
    db.session.commit()
    candidate = _browser(csrf_app, panel["candidates"][0], factories.password)
    assert candidate.get(f"/commission/decisions/{decision.id}").status_code == 404
    assert 'data-testid="decision-link"' not in candidate.get("/").get_data(as_text=True)
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "commission_decision")).all() == []


def test_candidate_sees_own_locked_decision_without_member_names(csrf_app, scored, panel, q, factories):
    sheet, _draft = scored
    decision = _lock(sheet, panel, factories)
    candidate = _browser(csrf_app, panel["candidates"][0], factories.password)
    dashboard = candidate.get("/").get_data(as_text=True)
    assert f'href="/commission/decisions/{decision.id}"' in dashboard
    response = candidate.get(f"/commission/decisions/{decision.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Wynik: <strong>negatywny</strong>" in page and JUSTIFICATION in page
    deadline = S.appeal_deadline(decision.locked_at).strftime("%d.%m.%Y")
    assert f"w terminie 14 dni, czyli do {deadline} włącznie" in page and panel["institution"].name in page
    assert f'href="/messages/#message-{decision.message_id}"' in page
    assert "2.5.5" in page and q.criterion("2.5.5").text.pl in page and q.criterion("1.1.2").text.pl in page
    for member in ("a", "b"):
        assert panel[member].full_name not in page
    assert "Zły typ wykresu." not in page  # individual members' comments stay with the commission
    inbox = candidate.get("/messages/").get_data(as_text=True)
    assert f'id="message-{decision.message_id}"' in inbox


def test_another_candidates_decision_is_not_found(csrf_app, scored, panel, factories):
    sheet, _draft = scored
    decision = _lock(sheet, panel, factories)
    other = _browser(csrf_app, panel["candidates"][1], factories.password)
    response = other.get(f"/commission/decisions/{decision.id}")
    assert response.status_code == 404 and JUSTIFICATION not in response.get_data(as_text=True)
    assert other.get("/commission/decisions/999999").status_code == 404
    member = _browser(csrf_app, panel["a"], factories.password)
    assert member.get(f"/commission/decisions/{decision.id}").status_code == 403  # the page is the candidate's


def test_announcement_carries_justification_appeal_route_and_deadline(csrf_app, scored, panel, factories):
    sheet, _draft = scored
    decision = _lock(sheet, panel, factories)
    message = db.session.get(OutboxMessage, decision.message_id)
    assert message.user_id == panel["candidates"][0].id and message.subject == "Decyzja komisji walidacyjnej"
    deadline = S.appeal_deadline(decision.locked_at).strftime("%d.%m.%Y")
    assert message.body.startswith("Komisja walidacyjna podjęła decyzję: wynik negatywny.\nUzasadnienie:\n")
    assert JUSTIFICATION in message.body
    assert f"odwołanie do instytucji certyfikującej w terminie do {deadline} (14 dni)" in message.body
    assert "niezależny zespół odwoławczy" in message.body


@pytest.mark.parametrize(
    ("announced", "deadline"),
    [
        (datetime(2026, 3, 2, 10, 0, tzinfo=UTC), "16.03.2026"),
        (datetime(2026, 3, 2, 23, 30, tzinfo=UTC), "17.03.2026"),  # already 3 March in Warsaw
        (datetime(2026, 7, 31, 22, 15, tzinfo=UTC), "15.08.2026"),  # summer time: 1 August in Warsaw
    ],
)
def test_appeal_deadline_counts_polish_calendar_days(announced, deadline):
    assert S.appeal_deadline(announced).strftime("%d.%m.%Y") == deadline


def test_protocol_records_the_plan_the_times_and_who_scored(csrf_app, scored, panel, q, factories):
    from pypdf import PdfReader

    sheet, _draft = scored
    session = panel["session"]
    a = _browser(csrf_app, panel["a"], factories.password)
    base = f"/commission/sessions/{session.id}/interviews/{sheet.enrolment_id}"
    assert a.post(f"{base}/start").status_code == 302
    assert a.post(f"{base}/finish").status_code == 302
    response = a.get(f"/commission/sessions/{session.id}/protocol.pdf")
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    assert "Plan rozmowy z komisją" in text and "zablokowany" in text
    for question_id in I.default_choice(session, I.current_bank(q), q):
        assert question_id in text, question_id
    assert "Rozmowa z komisją: rozpoczęta" in text and "zakończona" in text
    assert "Anna Ocenia: ocenione kryteria metody I 8 z 8, oceny przesłane" in text
    assert "nie odbyła się" in text  # the other candidates were not interviewed
    assert db.session.scalar(select(Decision)).justification == JUSTIFICATION
