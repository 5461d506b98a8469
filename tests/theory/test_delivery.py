"""The candidate's test over HTTP and the operator console: PIN, authorisation, saves, submission, no keys."""

import json
import re

import pytest
from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.extensions import db
from examplatform.theory import delivery
from examplatform.theory.models import Attempt, AttemptStatus


@pytest.fixture
def room(prepared, client, auth):
    """Operator logged in on `client`; returns helpers for the console and a second client for a candidate."""
    session = prepared["session"]
    auth.login(prepared["operator"].email)
    return session


def _console_act(client, session, attempts, action, follow=False, **fields):
    data = {"action": action, "attempt_ids": ",".join(str(a.id) for a in attempts), **fields}
    return client.post(f"/sessions/{session.id}/actions", data=data, follow_redirects=follow)


def _pin(client, session) -> str:
    page = client.post(f"/sessions/{session.id}/pin", follow_redirects=True).get_data(as_text=True)
    return re.search(r"Nowy PIN sesji: (\d{6})", page).group(1)


def _candidate_client(csrf_app, candidate, password):
    other = csrf_app.test_client()
    assert other.post("/auth/login", data={"email": candidate.email, "password": password}).status_code == 302
    return other


def _attempt_of(candidate) -> Attempt:
    return next(a for a in db.session.scalars(select(Attempt)) if a.form.enrolment.candidate_id == candidate.id)


def test_start_needs_check_in_authorisation_and_the_pin(csrf_app, client, room, prepared, factories):
    candidate = prepared["candidates"][0]
    attempt = _attempt_of(candidate)
    pin = _pin(client, room)
    browser = _candidate_client(csrf_app, candidate, factories.password)
    refused = browser.post(f"/test/{attempt.id}/start", data={"pin": pin})
    assert refused.status_code == 400 and "Operator nie zezwolił jeszcze" in refused.get_data(as_text=True)
    unchecked = _console_act(client, room, [attempt], "authorise", follow=True).get_data(as_text=True)
    assert "Najpierw potwierdź tożsamość kandydata." in unchecked
    assert _console_act(client, room, [attempt], "check_in", note="dowód osobisty").status_code == 302
    assert _console_act(client, room, [attempt], "authorise").status_code == 302
    wrong = browser.post(f"/test/{attempt.id}/start", data={"pin": "000000" if pin != "000000" else "111111"})
    assert wrong.status_code == 400 and "Niepoprawny PIN sesji" in wrong.get_data(as_text=True)
    started = browser.post(f"/test/{attempt.id}/start", data={"pin": pin})
    assert started.status_code == 200 and 'id="initial-state"' in started.get_data(as_text=True)  # the test itself
    assert f'data-page-url="/test/{attempt.id}"' in started.get_data(as_text=True)
    db.session.expire_all()
    assert _attempt_of(candidate).status is AttemptStatus.IN_PROGRESS
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert {
        "theory.pin_rotated",
        "theory.checked_in",
        "theory.authorised",
        "theory.wrong_pin",
        "theory.attempt_started",
    } <= set(actions)


@pytest.fixture
def started(csrf_app, client, room, prepared, factories):
    candidate = prepared["candidates"][0]
    attempt = _attempt_of(candidate)
    pin = _pin(client, room)
    _console_act(client, room, [attempt], "check_in", note="paszport")
    _console_act(client, room, [attempt], "authorise")
    browser = _candidate_client(csrf_app, candidate, factories.password)
    browser.post(f"/test/{attempt.id}/start", data={"pin": pin})
    return browser, attempt


def _forbidden_texts(attempt) -> list[str]:
    texts = []
    for fi in attempt.form.items:
        item = fi.item_version.to_item()
        texts += [item.rationale[:60], item.source[:60]]
    return [t for t in texts if len(t) > 20]


def test_state_contains_items_but_no_keys(started):
    browser, attempt = started
    response = browser.get(f"/test/{attempt.id}/state")
    body = response.get_json()
    assert body["status"] == "in_progress" and len(body["items"]) == 40 and body["remaining_seconds"] > 3500
    raw = response.get_data(as_text=True)
    for word in ('"key"', '"rationale"', '"source"', '"criterion"', '"difficulty"', '"scoring"', "T-1."):
        assert word not in raw
    for text in _forbidden_texts(attempt):
        assert text not in raw


def test_saves_over_http_are_committed_and_idempotent(started):
    browser, attempt = started
    item = next(i for i in browser.get(f"/test/{attempt.id}/state").get_json()["items"] if i["type"] == "single")
    body = {"seq": 1, "position": item["position"], "value": item["options"][0]["id"], "flagged": True}
    first = browser.post(f"/test/{attempt.id}/answers", json=body)
    again = browser.post(f"/test/{attempt.id}/answers", json=body)
    assert first.status_code == 200 and first.get_json()["applied"] and again.get_json()["duplicate"]
    state = browser.get(f"/test/{attempt.id}/state").get_json()
    assert state["answers"][str(item["position"])] == {"value": item["options"][0]["id"], "flagged": True, "seq": 1}
    bad = browser.post(f"/test/{attempt.id}/answers", json={"seq": 2, "position": 999, "value": "A"})
    assert bad.status_code == 400 and "Na formularzu nie ma zadania nr 999" in bad.get_json()["message"]
    garbage = browser.post(f"/test/{attempt.id}/answers", data="nie-json", content_type="application/json")
    assert garbage.status_code == 400


def test_another_candidates_attempt_is_not_found(csrf_app, started, prepared, factories):
    _browser, attempt = started
    intruder = _candidate_client(csrf_app, prepared["candidates"][1], factories.password)
    for url in (f"/test/{attempt.id}", f"/test/{attempt.id}/state", f"/test/{attempt.id}/receipt"):
        assert intruder.get(url).status_code == 404
    assert intruder.post(f"/test/{attempt.id}/answers", json={"seq": 1, "position": 1, "value": "A"}).status_code == 404
    assert intruder.post(f"/test/{attempt.id}/submit", json={}).status_code == 404


def test_operator_pause_and_extension_reach_the_candidate(client, room, started):
    browser, attempt = started
    before = browser.get(f"/test/{attempt.id}/state").get_json()["remaining_seconds"]
    assert _console_act(client, room, [attempt], "extend", minutes="10", reason="awaria komputera").status_code == 302
    after = browser.get(f"/test/{attempt.id}/state").get_json()["remaining_seconds"]
    assert after - before >= 590
    assert _console_act(client, room, [attempt], "pause", reason="alarm przeciwpożarowy").status_code == 302
    assert browser.post(f"/test/{attempt.id}/heartbeat", json={}).get_json()["status"] == "paused"
    missing_reason = _console_act(client, room, [attempt], "resume", reason="")
    assert missing_reason.status_code == 400 and "Podaj powód działania." in missing_reason.get_data(as_text=True)
    assert _console_act(client, room, [attempt], "resume", reason="koniec alarmu").status_code == 302
    roster = client.get(f"/sessions/{room.id}/console.json").get_json()["rows"]
    assert next(r for r in roster if r["attempt"] == attempt.id)["state"] == "in_progress"


def test_bulk_action_reports_each_candidate(client, room, prepared):
    attempts = [_attempt_of(c) for c in prepared["candidates"]]
    page = _console_act(client, room, attempts, "pause", reason="przerwa", follow=True).get_data(as_text=True)
    assert page.count("Wstrzymać można tylko trwający test.") == 3
    response = _console_act(client, room, attempts, "accommodate", multiplier="1.5", reason="orzeczenie")
    assert response.status_code == 302
    db.session.expire_all()
    assert all(_attempt_of(c).time_multiplier == 1.5 for c in prepared["candidates"])


def test_submit_is_exactly_once_with_receipt_page_and_file(started):
    browser, attempt = started
    first = browser.post(f"/test/{attempt.id}/submit", json={"last_seq": 0}).get_json()
    second = browser.post(f"/test/{attempt.id}/submit", json={"last_seq": 0}).get_json()
    assert first["receipt"] == second["receipt"] and len(first["receipt"]) == 64
    page = browser.get(f"/test/{attempt.id}/receipt").get_data(as_text=True)
    assert first["receipt"] in page
    text = browser.get(f"/test/{attempt.id}/receipt.txt").get_data(as_text=True)
    assert f"SHA-256: {first['receipt']}" in text and attempt.form.code in text
    late = browser.post(f"/test/{attempt.id}/answers", json={"seq": 9, "position": 1, "value": None})
    assert late.status_code == 409 and late.get_json()["receipt"] == first["receipt"]
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "theory.attempt_submitted")).all()


def test_operator_of_another_institution_is_refused(csrf_app, prepared, factories):
    from examplatform.auth.models import Role

    other = factories.institution()
    stranger = factories.user(roles=(Role.OPERATOR,), institution=other)
    browser = _candidate_client(csrf_app, stranger, factories.password)
    session = prepared["session"]
    assert browser.get(f"/sessions/{session.id}/console").status_code == 403
    assert browser.post(f"/sessions/{session.id}/pin").status_code == 403


def test_irregularity_is_recorded(client, room, prepared):
    candidate = prepared["candidates"][2]
    response = client.post(
        f"/sessions/{room.id}/irregularities",
        data={"candidate_id": str(candidate.id), "description": "Korzystał z telefonu."},
    )
    assert response.status_code == 302
    assert "Korzystał z telefonu." in client.get(f"/sessions/{room.id}/console").get_data(as_text=True)
    empty = client.post(f"/sessions/{room.id}/irregularities", data={"candidate_id": "", "description": ""})
    assert empty.status_code == 400


def test_candidate_json_journey_never_contains_keys(started):
    """Scan every candidate-facing response of a whole journey for answer keys and rationales."""
    browser, attempt = started
    responses = [browser.get("/test/"), browser.get(f"/test/{attempt.id}"), browser.get(f"/test/{attempt.id}/state")]
    state = responses[-1].get_json()
    for n, item in enumerate(state["items"], start=1):
        value = item["options"][0]["id"] if item["type"] in ("single",) else None
        responses.append(
            browser.post(f"/test/{attempt.id}/answers", json={"seq": n, "position": item["position"], "value": value})
        )
    responses.append(browser.post(f"/test/{attempt.id}/heartbeat", json={}))
    responses.append(browser.post(f"/test/{attempt.id}/submit", json={}))
    responses.append(browser.get(f"/test/{attempt.id}/receipt"))
    forbidden = _forbidden_texts(attempt)
    for response in responses:
        raw = response.get_data(as_text=True)
        assert response.status_code < 500
        assert '"key"' not in raw and "rationale" not in raw
        for text in forbidden:
            assert text not in raw
    assert json.loads(responses[-2].get_data())["receipt"]


def test_moving_to_another_workstation_needs_the_operator(csrf_app, client, room, started, prepared, factories):
    browser, attempt = started
    item = next(i for i in browser.get(f"/test/{attempt.id}/state").get_json()["items"] if i["type"] == "single")
    assert (
        browser.post(
            f"/test/{attempt.id}/answers",
            json={"seq": 1, "position": item["position"], "value": item["options"][0]["id"]},
        ).status_code
        == 200
    )
    elsewhere = _candidate_client(csrf_app, prepared["candidates"][0], factories.password)  # same person, new browser
    refused = elsewhere.get(f"/test/{attempt.id}")
    assert refused.status_code == 409 and "otwarty na innym stanowisku" in refused.get_data(as_text=True)
    pin = _pin(client, room)  # the start form again, with a valid PIN, does not move the test either
    restarted = elsewhere.post(f"/test/{attempt.id}/start", data={"pin": pin})
    assert restarted.status_code == 409 and "otwarty na innym stanowisku" in restarted.get_data(as_text=True)
    assert browser.get(f"/test/{attempt.id}/state").status_code == 200  # still this browser's test
    save = elsewhere.post(f"/test/{attempt.id}/answers", json={"seq": 2, "position": item["position"], "value": None})
    assert save.status_code == 409
    assert "theory.workstation_refused" in db.session.scalars(select(AuditEntry.action)).all()
    assert _console_act(client, room, [attempt], "allow_move", reason="awaria komputera nr 7").status_code == 302
    moved = elsewhere.get(f"/test/{attempt.id}/state")
    assert moved.status_code == 200 and moved.get_json()["answers"][str(item["position"])]["seq"] == 1
    assert (
        elsewhere.post(
            f"/test/{attempt.id}/answers", json={"seq": 2, "position": item["position"], "value": None}
        ).status_code
        == 200
    )
    assert browser.get(f"/test/{attempt.id}/state").status_code == 409  # the old workstation is now locked out


def _shift_contact(attempt, seconds: int) -> None:
    """Pretend the browser was last heard from ``seconds`` ago (as stored by the server)."""
    from datetime import timedelta

    from examplatform.core.clock import utcnow

    db.session.expire_all()
    stored = db.session.get(Attempt, attempt.id)
    stored.last_heartbeat_at = utcnow() - timedelta(seconds=seconds)
    db.session.commit()
    return stored.last_heartbeat_at


def _stored_contact(attempt):
    db.session.expire_all()
    return db.session.get(Attempt, attempt.id).last_heartbeat_at


def test_a_heartbeat_soon_after_contact_only_reads(started):
    browser, attempt = started
    before = _shift_contact(attempt, 5)
    reply = browser.post(f"/test/{attempt.id}/heartbeat", json={})
    assert reply.status_code == 200 and reply.get_json()["status"] == "in_progress"
    assert reply.get_json()["remaining_seconds"] > 3500
    assert _stored_contact(attempt) == before  # nothing written


def test_a_heartbeat_after_the_persist_interval_updates_the_contact(started):
    browser, attempt = started
    before = _shift_contact(attempt, 25)
    assert browser.post(f"/test/{attempt.id}/heartbeat", json={}).status_code == 200
    assert _stored_contact(attempt) > before
    gaps = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "theory.connection_gap")).all()
    assert gaps == []  # 25 s is no outage


def test_a_long_silence_is_recorded_as_a_connection_gap(started):
    browser, attempt = started
    _shift_contact(attempt, 100)
    assert browser.post(f"/test/{attempt.id}/heartbeat", json={}).status_code == 200
    gap = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "theory.connection_gap")).one()
    assert json.loads(gap.details)["seconds"] >= 100


def test_a_heartbeat_after_the_deadline_submits_the_attempt(started):
    from datetime import timedelta

    from examplatform.core.clock import utcnow

    browser, attempt = started
    _shift_contact(attempt, 5)  # a recent contact must not keep the quiet path from enforcing the deadline
    stored = db.session.get(Attempt, attempt.id)
    stored.deadline_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    body = browser.post(f"/test/{attempt.id}/heartbeat", json={}).get_json()
    assert body["status"] == "submitted" and body["receipt"]
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).status is AttemptStatus.SUBMITTED


def test_a_heartbeat_for_another_candidates_attempt_is_not_found(csrf_app, started, prepared, factories):
    _browser, attempt = started
    other = _candidate_client(csrf_app, prepared["candidates"][1], factories.password)
    assert other.post(f"/test/{attempt.id}/heartbeat", json={}).status_code == 404
    assert other.post(f"/test/{attempt.id}/answers", json={"seq": 1, "position": 1, "value": None}).status_code == 404


def test_a_heartbeat_from_another_browser_is_refused(csrf_app, started, prepared, factories):
    """The quiet path must not skip the workstation check: a second browser of the same candidate gets 409."""
    _browser, attempt = started
    second = _candidate_client(csrf_app, prepared["candidates"][0], factories.password)
    _shift_contact(attempt, 5)
    assert second.post(f"/test/{attempt.id}/heartbeat", json={}).status_code == 409


def test_the_session_pin_is_stored_as_a_keyed_hmac(client, room):
    from flask import current_app

    from examplatform.sessions.models import ValidationSession
    from examplatform.theory import console

    pin = _pin(client, room)
    db.session.expire_all()
    session = db.session.get(ValidationSession, room.id)
    assert session.pin_hash.startswith(console.PIN_SCHEME) and pin not in session.pin_hash
    assert console.pin_matches(session, pin) and not console.pin_matches(session, f"{(int(pin) + 1) % 10**6:06d}")
    key = current_app.secret_key
    current_app.secret_key = "another-key"  # a copy of the database without the instance's key opens nothing
    try:
        assert not console.pin_matches(session, pin)
    finally:
        current_app.secret_key = key


def test_a_save_reads_only_what_it_needs(started):
    """A save is one short transaction: a bounded number of statements, whatever the form's length."""
    from sqlalchemy import event

    browser, attempt = started
    items = browser.get(f"/test/{attempt.id}/state").get_json()["items"]
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        first = items[0]
        value = first["options"][0]["id"] if first["type"] == "single" else None
        reply = browser.post(f"/test/{attempt.id}/answers", json={"seq": 1, "position": 1, "value": value})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert reply.status_code == 200 and reply.get_json()["applied"]
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(statements) <= 10, statements
    form_reads = [s for s in selects if "form_item" in s]
    assert form_reads and all("form_item.position = " in s for s in form_reads)  # one item, never the whole form


def test_the_test_page_carries_its_state_and_no_menu(started):
    """The page starts from the state it was rendered with (one round trip less at the start spike)."""
    browser, attempt = started
    page = browser.get(f"/test/{attempt.id}").get_data(as_text=True)
    embedded = re.search(r'<script type="application/json" id="initial-state">(.*?)</script>', page, re.S)
    assert embedded is not None
    state = json.loads(embedded.group(1))
    fetched = browser.get(f"/test/{attempt.id}/state").get_json()
    assert state["items"] == fetched["items"] and len(state["items"]) == 40
    assert state["status"] == "in_progress" and state["form"] == attempt.form.code
    assert 'href="/sessions/' not in page and "navbar-nav" not in page  # no menu to wander off through
    assert 'data-saved="Zapisano"' in page


def test_items_stored_with_the_form_are_what_the_form_items_give(started):
    """The items kept with the form when it was generated equal those derived from its item versions."""
    browser, attempt = started
    form = attempt.form
    derived = [delivery.public_item(fi) for fi in form.items]
    assert json.loads(form.public_items) == derived
    form.public_items = None  # a form generated before the items were stored with it
    db.session.commit()
    assert browser.get(f"/test/{attempt.id}/state").get_json()["items"] == derived
