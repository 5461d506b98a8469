"""Results for staff, their release, the candidate's view, and the evidence pack."""

import io
import json
from datetime import timedelta

import pytest
from pypdf import PdfReader

from examplatform.auth.models import Role
from examplatform.bank.items import ItemType
from examplatform.extensions import db
from examplatform.theory import attempts as A
from examplatform.theory.models import AttemptStatus


@pytest.fixture
def finished(prepared, factories):
    """Candidate 0 answers every item correctly except one, then submits; candidate 1 never starts."""
    attempt = prepared["forms"][0].attempt
    t0 = factories.now
    A.start(attempt, actor=prepared["candidates"][0], now=t0)
    wrong_position = None
    for n, fi in enumerate(attempt.form.items, start=1):
        item = fi.item_version.to_item()
        key = item.key
        value = dict(key) if item.type is ItemType.MATCHING else (list(key) if isinstance(key, tuple) else key)
        if item.type is ItemType.SINGLE and wrong_position is None:
            value, wrong_position = next(o for o in fi.order if o != key), fi.position
        A.save_answer(
            attempt, seq=n, position=fi.position, value=value, flagged=False, now=t0 + timedelta(seconds=n * 5)
        )
    A.submit(attempt, actor=prepared["candidates"][0], now=t0 + timedelta(minutes=20))
    db.session.commit()
    return attempt, wrong_position


def test_result_derivation_per_criterion(finished):
    attempt, _wrong = finished
    result = A.result_of(attempt)
    assert result.score == 39 and result.maximum == 40 and result.percent == 97.5 and result.passed
    assert sum(b.maximum for b in result.criteria.values()) == 40
    assert set(result.outcomes) == {"1.1", "1.2", "1.3", "2.5"}


def test_staff_see_results_and_admin_releases_them(csrf_app, client, auth, prepared, finished, factories):
    attempt, _wrong = finished
    member = factories.user(roles=(Role.COMMISSION_MEMBER,), institution=prepared["institution"])
    auth.login(member.email)
    page = client.get(f"/sessions/{prepared['session'].id}/results").get_data(as_text=True)
    assert "39.0 / 40" in page and "zaliczony" in page
    assert client.post(f"/sessions/{prepared['session'].id}/results/release").status_code == 403
    auth.logout()
    admin = factories.user(roles=(Role.INSTITUTION_ADMIN,), institution=prepared["institution"])
    auth.login(admin.email)
    assert client.post(f"/sessions/{prepared['session'].id}/results/release").status_code == 302
    db.session.refresh(attempt)
    assert attempt.released_at is not None
    again = client.post(f"/sessions/{prepared['session'].id}/results/release")
    assert again.status_code == 409  # nothing left to release


def test_candidate_sees_result_only_after_release_and_review_only_if_allowed(csrf_app, prepared, finished, factories):
    attempt, wrong = finished
    browser = csrf_app.test_client()
    browser.post("/auth/login", data={"email": prepared["candidates"][0].email, "password": factories.password})
    assert browser.get(f"/test/{attempt.id}/result").status_code == 302
    attempt.released_at = factories.now
    db.session.commit()
    page = browser.get(f"/test/{attempt.id}/result").get_data(as_text=True)
    assert "test zaliczony" in page and "Przegląd odpowiedzi" not in page
    settings = attempt.form.snapshot | {"answer_review_allowed": True}
    attempt.form.settings = json.dumps(settings)
    db.session.commit()
    page = browser.get(f"/test/{attempt.id}/result").get_data(as_text=True)
    assert "Przegląd odpowiedzi" in page and "poprawna:" in page
    wrong_card = page.split(f"<strong>{wrong}.</strong>")[1].split("</article>")[0]
    assert "punkty: 0.0" in wrong_card


def test_evidence_pack_has_everything_for_an_appeal(csrf_app, client, auth, prepared, finished, factories):
    attempt, _wrong = finished
    auditor = factories.user(roles=(Role.QA_AUDITOR,), institution=prepared["institution"])
    auth.login(auditor.email)
    url = f"/sessions/{prepared['session'].id}/attempts/{attempt.id}/evidence"
    pack = client.get(url + ".json").get_json()
    assert pack["form"]["reproduces_from_seed"] is True and pack["form"]["seed"] == attempt.form.seed
    assert len(pack["items"]) == 40 and all(len(i["content_sha256"]) == 64 for i in pack["items"])
    assert len(pack["journal"]) == 40 and pack["journal"][0]["seq"] == 1
    assert pack["attempt"]["receipt_verified"] is True
    assert pack["result"]["score"] == 39
    assert [a["action"] for a in pack["operator_actions"]][:1] == ["theory.attempt_started"]
    html = client.get(url).get_data(as_text=True)
    assert 'data-testid="reproduces">tak' in html
    pdf = client.get(url + ".pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert attempt.form.code in text and "Dziennik odpowiedzi (40)" in text


def test_evidence_of_a_foreign_session_is_refused(csrf_app, client, auth, prepared, finished, factories):
    attempt, _wrong = finished
    other = factories.institution()
    stranger = factories.user(roles=(Role.INSTITUTION_ADMIN,), institution=other)
    auth.login(stranger.email)
    assert client.get(f"/sessions/{prepared['session'].id}/attempts/{attempt.id}/evidence.json").status_code == 403
    assert client.get(f"/sessions/{prepared['session'].id}/results").status_code == 403


def test_unstarted_attempts_are_listed_without_result(csrf_app, prepared, finished):
    from examplatform.theory.results import session_results

    rows = session_results(prepared["session"], prepared["forms"][0].created_at)
    assert [r is None for _a, r in rows].count(True) == 2
    assert rows[0][0].status is AttemptStatus.SUBMITTED
