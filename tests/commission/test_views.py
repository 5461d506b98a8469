"""The commission over HTTP: blindness on every page, the decision flow, bad input."""

import re

import pytest
from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.commission import composition as C
from examplatform.commission import scoring as S
from examplatform.commission.models import PlannedQuestion
from examplatform.extensions import db

SECRET = "Notatka-członka-A-tylko-dla-niego"


@pytest.fixture
def ready(panel, q, factories):
    session = panel["session"]
    for who in ("a", "b"):
        C.appoint(session, panel[who], actor=panel["admin"], now=factories.now, qualification=q, chair=who == "a")
        C.declare(session, panel[who], now=factories.now, related_candidate_ids=[], statement="Oświadczam.")
    db.session.commit()
    return session, session.enrolments[0]


def _browser(csrf_app, user, password):
    browser = csrf_app.test_client()
    assert browser.post("/auth/login", data={"email": user.email, "password": password}).status_code == 302
    return browser


def _form(q, *, unmet=(), comment=""):
    data = {}
    for code in S.scored_criteria(q):
        data[f"met_{code}"] = "0" if code in unmet else "1"
        data[f"comment_{code}"] = comment if code in unmet else ""
    return data


def _pages(browser, session, enrolment):
    urls = [
        f"/commission/sessions/{session.id}",
        f"/commission/sessions/{session.id}/sheets/{enrolment.id}",
        f"/commission/sessions/{session.id}/interviews/{enrolment.id}",
        f"/commission/sessions/{session.id}/interview-plan",
    ]
    return "".join(browser.get(u).get_data(as_text=True) for u in urls)


def test_member_b_sees_nothing_of_a_until_both_submit(csrf_app, ready, panel, q, factories):
    session, enrolment = ready
    a, b = _browser(csrf_app, panel["a"], factories.password), _browser(csrf_app, panel["b"], factories.password)
    url = f"/commission/sessions/{session.id}/sheets/{enrolment.id}/scores"
    interview = f"/commission/sessions/{session.id}/interviews/{enrolment.id}"
    assert a.post(f"{interview}/start").status_code == 302
    first = db.session.scalars(select(PlannedQuestion).order_by(PlannedQuestion.position)).first()
    assert a.post(interview, data={f"note_{first.id}": f"{SECRET}-notatka"}).status_code == 302
    assert a.post(url, data={**_form(q, unmet=("2.2.2",), comment=SECRET), "submit_scores": "1"}).status_code == 302
    before = _pages(b, session, enrolment)
    assert SECRET not in before and "nie spełnia</strong>" not in before and "✘ v1" not in before
    assert "Oceny pozostałych członków komisji zobaczysz dopiero" in before
    assert b.post(url, data={**_form(q), "submit_scores": "1"}).status_code == 302
    after = _pages(b, session, enrolment)
    assert SECRET in after and "Kryteria z różnymi ocenami: 2.2.2" in after and f"{SECRET}-notatka" in after


def test_decision_flow_over_http(csrf_app, ready, panel, q, factories):
    session, enrolment = ready
    a, b = _browser(csrf_app, panel["a"], factories.password), _browser(csrf_app, panel["b"], factories.password)
    base = f"/commission/sessions/{session.id}/sheets/{enrolment.id}"
    a.post(f"{base}/scores", data={**_form(q), "submit_scores": "1"})
    b.post(f"{base}/scores", data={**_form(q, unmet=("2.5.5",), comment="Zły typ wykresu."), "submit_scores": "1"})
    assert a.post(f"{base}/agree", data={"criterion": "2.5.5", "met": "0", "reason": ""}).status_code == 400
    assert (
        a.post(
            f"{base}/agree", data={"criterion": "2.5.5", "met": "0", "reason": "Wykres kołowy dla trendu w czasie."}
        ).status_code
        == 302
    )
    empty = a.post(f"{base}/decision", data={"justification": ""})
    assert empty.status_code == 400 and "wymaga pisemnego uzasadnienia" in empty.get_data(as_text=True)
    page = a.get(base).get_data(as_text=True)
    assert re.search(r"2\.5\.5 dobiera formę prezentacji", page)  # the pre-filled justification names the criterion
    assert (
        a.post(f"{base}/decision", data={"justification": "2.5.5: niespełnione; test niezaliczony."}).status_code == 302
    )
    assert a.post(f"{base}/confirm").status_code == 302
    assert a.post(f"{base}/confirm").status_code == 409  # confirming twice
    assert b.post(f"{base}/confirm").status_code == 302
    locked = b.get(base).get_data(as_text=True)
    assert "zatwierdzona" in locked
    assert b.post(f"{base}/decision", data={"justification": "zmiana"}).status_code == 409  # editing after lock
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"commission.score_agreed", "commission.decision_drafted", "commission.decision_locked"} <= actions


def test_member_of_another_session_or_forged_ids_are_refused(csrf_app, ready, panel, q, factories):
    session, enrolment = ready
    c = _browser(csrf_app, panel["c"], factories.password)  # eligible, but not on this commission
    response = c.post(f"/commission/sessions/{session.id}/sheets/{enrolment.id}/scores", data=_form(q))
    assert response.status_code == 403
    other = factories.session(panel["institution"], [])
    assert c.get(f"/commission/sessions/{other.id}/sheets/{enrolment.id}").status_code == 404
    a = _browser(csrf_app, panel["a"], factories.password)
    assert a.post(f"/commission/sessions/{session.id}/sheets/99999/scores", data=_form(q)).status_code == 404


def test_admin_appoints_and_ineligible_is_refused_in_polish(csrf_app, panel, factories):
    admin = _browser(csrf_app, panel["admin"], factories.password)
    url = f"/commission/sessions/{panel['session'].id}"
    page = admin.post(f"{url}/members", data={"user_id": str(panel["junior"].id)}, follow_redirects=True)
    assert "Nie spełnia wymagań" in page.get_data(as_text=True)
    page = admin.post(f"{url}/members", data={"user_id": str(panel["a"].id), "chair": "y"}, follow_redirects=True)
    assert "Powołano do komisji: Anna Ocenia" in page.get_data(as_text=True)


def test_protocol_pdf_names_every_criterion_and_the_decision(csrf_app, ready, panel, q, factories):
    import io

    from pypdf import PdfReader

    session, enrolment = ready
    a, b = _browser(csrf_app, panel["a"], factories.password), _browser(csrf_app, panel["b"], factories.password)
    base = f"/commission/sessions/{session.id}/sheets/{enrolment.id}"
    a.post(f"{base}/scores", data={**_form(q), "submit_scores": "1"})
    b.post(f"{base}/scores", data={**_form(q), "submit_scores": "1"})
    a.post(f"{base}/decision", data={"justification": "Test teoretyczny nie został zaliczony."})
    response = a.get(f"/commission/sessions/{session.id}/protocol.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for criterion in q.criteria:
        assert criterion.code in text, criterion.code
    assert "Protokół z przebiegu walidacji" in text and "Anna Ocenia" in text and "negatywna" in text
