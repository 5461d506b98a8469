"""The practical part over HTTP: setup, provisioning, the candidate's CRM beside the tasks, the server's clock,
the freeze at the end, the commission's live observation, and who may see what."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.core.clock import utcnow
from examplatform.extensions import db
from examplatform.practical.models import PracticalAttempt, PracticalFinish, PracticalStatus
from simulator import api
from simulator.scenario import load_scenario
from simulator.storage import store_for

ACCOUNT = {"name": "Nowy Klient z Targów sp. z o.o.", "data_source": "targi", "owner_id": "1"}


def _login(app, email, password):
    client = app.test_client()
    assert client.post("/auth/login", data={"email": email, "password": password}).status_code == 302
    return client


@pytest.fixture
def operator(csrf_app, exam, factories):
    return _login(csrf_app, exam["operator"].email, factories.password)


def _configure(operator, exam, minutes="90"):
    return operator.post(
        f"/practical/sessions/{exam['session'].id}/setup", data={"scenario": exam["scenario"], "minutes": minutes}
    )


def _attempts(exam) -> dict[int, PracticalAttempt]:
    db.session.expire_all()
    rows = db.session.scalars(select(PracticalAttempt)).all()
    return {a.enrolment.candidate_id: a for a in rows}


@pytest.fixture
def provisioned(operator, exam):
    assert _configure(operator, exam).status_code == 302
    assert operator.post(f"/practical/sessions/{exam['session'].id}/provision").status_code == 302
    return _attempts(exam)


@pytest.fixture
def started(operator, exam, provisioned):
    assert operator.post(f"/practical/sessions/{exam['session'].id}/start").status_code == 302
    return _attempts(exam)


def test_setup_validates_in_polish_and_keeps_the_input(operator, exam):
    sid = exam["session"].id
    low = operator.post(f"/practical/sessions/{sid}/setup", data={"scenario": exam["scenario"], "minutes": "5"})
    assert low.status_code == 400 and "Od 15 do 480 minut." in low.get_data(as_text=True)
    assert 'value="5"' in low.get_data(as_text=True)  # what was typed is shown again
    practice = operator.post(f"/practical/sessions/{sid}/setup", data={"scenario": "practice", "minutes": "90"})
    assert practice.status_code == 400 and "Not a valid choice" not in practice.get_data(as_text=True)
    assert _configure(operator, exam).status_code == 302
    assert "Zapisano ustawienia części praktycznej." in operator.get(f"/practical/sessions/{sid}").get_data(
        as_text=True
    )


def test_the_setup_shows_each_scenarios_time_guide_and_warns_of_a_shorter_limit(operator, exam):
    sid = exam["session"].id
    scenario = load_scenario(exam["scenario"])
    guide = sum(task["minutes"] for task in scenario.tasks)
    page = operator.get(f"/practical/sessions/{sid}").get_data(as_text=True)
    assert f"zadań: {len(scenario.tasks)}, czas orientacyjny: {guide} min" in page
    assert 'data-testid="short-time"' not in page  # nothing configured yet
    longest = max(s.guide_minutes for s in api.scenarios() if s.kind == "exam")
    offered = -(-longest // 15) * 15  # the longest guide, rounded up to a quarter of an hour
    assert longest <= offered < longest + 15 and re.search(f'<input[^>]*name="minutes"[^>]*value="{offered}"', page)
    assert _configure(operator, exam, minutes=str(guide - 1)).status_code == 302
    page = operator.get(f"/practical/sessions/{sid}").get_data(as_text=True)
    assert 'data-testid="short-time"' in page
    assert f"({guide - 1} min) jest krótszy niż suma czasów orientacyjnych zadań scenariusza ({guide} min)" in page
    assert _configure(operator, exam, minutes=str(guide)).status_code == 302
    assert 'data-testid="short-time"' not in operator.get(f"/practical/sessions/{sid}").get_data(as_text=True)


def test_provisioning_creates_one_instance_per_candidate_once(operator, exam, provisioned):
    assert len(provisioned) == 3 and all(a.status is PracticalStatus.PROVISIONED for a in provisioned.values())
    assert len({a.instance_id for a in provisioned.values()}) == 3
    again = operator.post(f"/practical/sessions/{exam['session'].id}/provision", follow_redirects=True)
    assert "Przygotowano instancje CRM: 0." in again.get_data(as_text=True)
    other = [s.id for s in api.scenarios() if s.kind == "exam" and s.id != exam["scenario"]]
    if other:  # the scenario is fixed once instances exist
        page = operator.post(
            f"/practical/sessions/{exam['session'].id}/setup", data={"scenario": other[0], "minutes": "90"}
        )
        assert page.status_code == 409 and "scenariusza nie można zmienić" in page.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert {"practical.configured", "practical.provisioned"} <= set(actions)


def test_the_crm_is_shown_only_after_the_start_and_only_the_candidates_own(
    csrf_app, operator, exam, provisioned, factories
):
    first, second = exam["candidates"][:2]
    mine, theirs = provisioned[first.id], provisioned[second.id]
    browser = _login(csrf_app, first.email, factories.password)
    waiting = browser.get(f"/practical/{mine.id}").get_data(as_text=True)
    assert "jest gotowa" in waiting and mine.token not in waiting
    operator.post(f"/practical/sessions/{exam['session'].id}/start")
    page = browser.get(f"/practical/{mine.id}").get_data(as_text=True)
    assert f"/sim/i/{mine.token}/zadania" in page and f"/sim/i/{mine.token}/" in page
    assert mine.viewer_token not in page and theirs.token not in page and theirs.viewer_token not in page
    assert browser.get(f"/practical/{theirs.id}").status_code == 404
    assert browser.get(f"/practical/{theirs.id}/state").status_code == 404
    state = browser.get(f"/practical/{mine.id}/state").get_json()
    assert state["status"] == "in_progress" and 89 * 60 < state["remaining_seconds"] <= 90 * 60


def test_the_commission_watches_actions_live_and_drills_down(csrf_app, exam, started, factories):
    candidate = exam["candidates"][0]
    attempt = started[candidate.id]
    browser = _login(csrf_app, candidate.email, factories.password)
    member = _login(csrf_app, exam["member"].email, factories.password)
    sid = exam["session"].id
    before = member.get(f"/practical/sessions/{sid}/observe.json").get_json()
    row = next(r for r in before["candidates"] if r["attempt"] == attempt.id)
    assert row["actions"] == 0 and row["status"] == "in_progress"
    assert browser.post(f"/sim/i/{attempt.token}/accounts/new", data=ACCOUNT).status_code == 302
    after = member.get(f"/practical/sessions/{sid}/observe.json").get_json()
    row = next(r for r in after["candidates"] if r["attempt"] == attempt.id)
    assert row["actions"] >= 1 and row["latest"][0]["action"] == "account.created"
    assert row["tasks_total"] == len(api.tasks(attempt.instance_id)) and 0 <= row["tasks_done"] <= row["tasks_total"]
    created = next(e for e in row["latest"] if e["action"] == "account.created")
    assert {"field": "name", "before": None, "after": ACCOUNT["name"]} in created["changes"]
    raw = json.dumps(after)
    assert attempt.token not in raw and attempt.viewer_token not in raw
    timeline = member.get(f"/practical/sessions/{sid}/attempts/{attempt.id}/timeline")
    assert timeline.status_code == 200 and "account.created" in timeline.get_data(as_text=True)
    assert attempt.viewer_token in timeline.get_data(as_text=True) and attempt.token not in timeline.get_data(
        as_text=True
    )
    events = member.get(f"/practical/sessions/{sid}/attempts/{attempt.id}/timeline.json?since=0").get_json()
    last = events["events"][-1]["seq"]
    assert (
        member.get(f"/practical/sessions/{sid}/attempts/{attempt.id}/timeline.json?since={last}").get_json()["events"]
        == []
    )
    bad = member.get(f"/practical/sessions/{sid}/attempts/{attempt.id}/timeline.json?since=-1")
    assert bad.status_code == 400
    huge = member.get(f"/practical/sessions/{sid}/attempts/{attempt.id}/timeline.json?since={10**30}")
    assert huge.status_code == 400  # no seq is that large: a clear 400, not a database error


def test_observation_is_for_the_sessions_commission_and_staff_only(csrf_app, exam, started, factories):
    sid = exam["session"].id
    outsider = _login(csrf_app, exam["outsider"].email, factories.password)
    assert outsider.get(f"/practical/sessions/{sid}/observe").status_code == 403
    assert outsider.get(f"/practical/sessions/{sid}/observe.json").status_code == 403
    candidate = _login(csrf_app, exam["candidates"][0].email, factories.password)
    assert candidate.get(f"/practical/sessions/{sid}/observe.json").status_code == 403
    assert candidate.get(f"/practical/sessions/{sid}").status_code == 403


def test_the_deadline_freezes_the_instance(csrf_app, exam, started, factories):
    candidate = exam["candidates"][0]
    attempt = started[candidate.id]
    attempt.deadline_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    browser = _login(csrf_app, candidate.email, factories.password)
    assert browser.get(f"/practical/{attempt.id}/state").get_json() == {"status": "finished", "remaining_seconds": 0}
    assert browser.post(f"/sim/i/{attempt.token}/accounts/new", data=ACCOUNT).status_code == 423
    finished = _attempts(exam)[candidate.id]
    assert finished.finish_reason is PracticalFinish.DEADLINE and finished.finished_at <= utcnow()
    page = browser.get(f"/practical/{attempt.id}").get_data(as_text=True)
    assert "upłynął czas" in page and attempt.token not in page


def test_the_candidate_finishes_once(csrf_app, exam, started, factories):
    candidate = exam["candidates"][1]
    attempt = started[candidate.id]
    browser = _login(csrf_app, candidate.email, factories.password)
    done = browser.post(f"/practical/{attempt.id}/finish", follow_redirects=True)
    assert "Zakończono część praktyczną." in done.get_data(as_text=True)
    again = browser.post(f"/practical/{attempt.id}/finish", follow_redirects=True)
    assert again.status_code == 200 and "nie ma czego kończyć" in again.get_data(as_text=True)
    assert browser.post(f"/sim/i/{attempt.token}/accounts/new", data=ACCOUNT).status_code == 423
    assert _attempts(exam)[candidate.id].finish_reason is PracticalFinish.CANDIDATE


def test_operator_extends_and_finishes_with_a_reason(operator, exam, started):
    attempt = started[exam["candidates"][2].id]
    base = f"/practical/sessions/{exam['session'].id}/attempts/{attempt.id}"
    deadline = attempt.deadline_at
    refused = operator.post(f"{base}/extend", data={"minutes": "0", "reason": ""}, follow_redirects=True)
    assert "Od 1 do 120." in refused.get_data(as_text=True) and "To pole jest wymagane." in refused.get_data(
        as_text=True
    )
    assert _attempts(exam)[attempt.enrolment.candidate_id].deadline_at == deadline
    operator.post(f"{base}/extend", data={"minutes": "15", "reason": "awaria stanowiska nr 4"})
    assert _attempts(exam)[attempt.enrolment.candidate_id].deadline_at == deadline + timedelta(minutes=15)
    no_reason = operator.post(f"{base}/finish", data={"reason": ""}, follow_redirects=True)
    assert "To pole jest wymagane." in no_reason.get_data(as_text=True)
    assert _attempts(exam)[attempt.enrolment.candidate_id].status is PracticalStatus.IN_PROGRESS
    operator.post(f"{base}/finish", data={"reason": "kandydat zrezygnował"})
    finished = _attempts(exam)[attempt.enrolment.candidate_id]
    assert finished.status is PracticalStatus.FINISHED and finished.finish_reason is PracticalFinish.OPERATOR
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "practical.finished")).one()
    assert entry.reason == "kandydat zrezygnował"


def test_the_sweeper_finishes_expired_attempts(csrf_app, exam, started):
    attempt = started[exam["candidates"][0].id]
    attempt.deadline_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = csrf_app.test_cli_runner().invoke(args=["practical", "sweep"])
    assert result.exit_code == 0 and "zakończono z upływem czasu: 1" in result.output
    assert _attempts(exam)[exam["candidates"][0].id].status is PracticalStatus.FINISHED


def test_check_results_become_evidence_on_the_score_sheet(csrf_app, exam, started, factories):
    """The candidate solves one task; at the finish the instance is frozen and evaluated; the commission's
    score sheet shows each check for the task's criteria with its message and links into the timeline."""
    from simulator import evaluation
    from simulator.solve import run_solve

    candidate = exam["candidates"][0]
    attempt = started[candidate.id]
    root = store_for(csrf_app.extensions["simulator"].config)
    scenario = evaluation.instance_scenario(root, attempt.instance_id)
    assert scenario.tasks, "the exam scenario has no tasks to evidence"
    task = scenario.tasks[0]
    browser = _login(csrf_app, candidate.email, factories.password)
    run_solve(browser, attempt.token, root, attempt.instance_id, task, prefix="/sim")
    assert browser.post(f"/practical/{attempt.id}/finish").status_code == 302

    stored = _attempts(exam)[candidate.id]
    results = stored.results
    assert stored.evaluated_at is not None and {t["key"] for t in results["tasks"]} == {
        t["key"] for t in scenario.tasks
    }
    solved = next(t for t in results["tasks"] if t["key"] == task["key"])
    assert solved["points"] == solved["max_points"] > 0
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "practical.evaluated")).one()
    assert json.loads(entry.details)["points"] == results["points"]

    member = _login(csrf_app, exam["member"].email, factories.password)
    page = member.get(f"/commission/sessions/{exam['session'].id}/sheets/{attempt.enrolment_id}").get_data(as_text=True)
    code = task["criteria"][0]
    assert f'data-testid="evidence-{code}"' in page and "Dowody z symulatora" in page
    first_check = solved["checks"][0]
    assert first_check["commission_message"].split("\n")[0][:40] in page.replace("&#34;", '"').replace("&#39;", "'")
    timeline = f"/practical/sessions/{exam['session'].id}/attempts/{attempt.id}/timeline#event-"
    assert any(c["event_seqs"] for c in solved["checks"]) and timeline in page
    candidate_page = browser.get(f"/practical/{attempt.id}").get_data(as_text=True)
    assert "Dowody z symulatora" not in candidate_page and first_check["commission_message"][:40] not in candidate_page


def test_the_commission_replays_the_log_step_by_step(csrf_app, exam, started, factories):
    candidate = exam["candidates"][0]
    attempt = started[candidate.id]
    browser = _login(csrf_app, candidate.email, factories.password)
    member = _login(csrf_app, exam["member"].email, factories.password)
    assert browser.post(f"/sim/i/{attempt.token}/accounts/new", data=ACCOUNT).status_code == 302
    log = api.timeline(attempt.instance_id)
    created = next(e for e in log if e["action"] == "account.created")
    renamed = {**ACCOUNT, "name": "Klient po zmianie nazwy sp. z o.o."}
    edit = browser.post(f"/sim/i/{attempt.token}/accounts/{created['entity_id']}/edit", data=renamed)
    assert edit.status_code == 302
    total = len(api.timeline(attempt.instance_id))
    url = f"/practical/sessions/{exam['session'].id}/attempts/{attempt.id}/timeline"

    live = member.get(url).get_data(as_text=True)
    assert f"{url}?krok=1" in live and "account.updated" in live
    at_creation = member.get(f"{url}?krok={created['seq']}")
    page = at_creation.get_data(as_text=True)
    assert at_creation.status_code == 200 and f"Krok {created['seq']} z {total}" in page
    assert ACCOUNT["name"] in page and renamed["name"] not in page and "account.updated" not in page
    assert f'id="event-{created["seq"] + 1}"' not in page  # nothing after the step is shown
    assert 'data-replay="' in page and "odtwarzaj=1" in page
    at_end = member.get(f"{url}?krok={total}&odtwarzaj=1").get_data(as_text=True)
    assert renamed["name"] in at_end and "account.updated" in at_end and 'data-playing="1"' in at_end
    assert 'data-testid="replay-next"' not in at_end  # the last step: playing stops there
    for bad in ("abc", "0", str(total + 1), "-1"):
        response = member.get(f"{url}?krok={bad}")
        assert response.status_code == 400
        assert f"Krok odtwarzania musi być liczbą od 1 do {total}." in response.get_data(as_text=True)
    assert attempt.token not in at_end


def test_replay_folds_the_fields_each_entry_set():
    from examplatform.practical.services import replay

    def entry(seq, action, entity_type, entity_id, after):
        return {"seq": seq, "action": action, "entity_type": entity_type, "entity_id": entity_id, "after": after}

    log = [
        entry(1, "instance.provisioned", "", None, {}),
        entry(2, "account.created", "account", 11, {"name": "A", "nip": "5260250274"}),
        entry(3, "stage.deleted", "stage", 4, {}),
        entry(4, "account.updated", "account", 11, {"name": "B"}),
    ]
    assert replay(log, 1) == []
    account, stage = replay(log, 3)
    assert account["fields"] == {"name": "A", "nip": "5260250274"} and account["last"] == 2
    assert stage["deleted"] and stage["entity"] == "stage 4"
    account, _ = replay(log, 4)
    assert account["fields"] == {"name": "B", "nip": "5260250274"}
    assert (account["first"], account["last"], account["last_action"]) == (2, 4, "account.updated")


@pytest.mark.parametrize(("hops", "opened"), [(0, 3), (1, 4)])
def test_the_client_address_behind_a_proxy_is_read_only_when_configured(app_config, hops, opened):
    """With PROXY_HOPS=0 an X-Forwarded-For header is ignored (four opens from one connection hit the practice
    limit of three per client); with PROXY_HOPS=1 the proxy's header names the client, under /sim as well."""
    from examplatform import create_app

    app = create_app({**app_config, "PROXY_HOPS": hops, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    statuses = [
        client.post(
            "/sim/cwiczenia/", environ_base={"REMOTE_ADDR": "192.0.2.1"}, headers={"X-Forwarded-For": f"10.0.0.{i}"}
        ).status_code
        for i in range(4)
    ]
    assert statuses == [302] * opened + [429] * (4 - opened)


def test_a_broken_scenario_stops_provisioning_with_a_polish_message_and_leaves_nothing(
    csrf_app, operator, exam, monkeypatch
):
    """A scenario file broken after the set-up, or a simulator failure half-way through the candidates: the
    operator reads what is wrong, no attempt is stored and no instance is left behind in the simulator."""
    from examplatform.practical.models import PracticalSetup

    sid = exam["session"].id
    assert _configure(operator, exam).status_code == 302
    setup = db.session.scalar(select(PracticalSetup).where(PracticalSetup.session_id == sid))
    setup.scenario = "nie-ma-takiego"
    db.session.commit()
    page = operator.post(f"/practical/sessions/{sid}/provision", follow_redirects=True).get_data(as_text=True)
    assert "Nie udało się przygotować instancji CRM (scenariusz „nie-ma-takiego”)" in page
    assert _attempts(exam) == {}

    setup.scenario = exam["scenario"]
    db.session.commit()
    real, calls = api.provision, []

    def second_fails(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise api.SimulatorError("Brak miejsca na dysku.")
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "provision", second_fails)
    page = operator.post(f"/practical/sessions/{sid}/provision", follow_redirects=True).get_data(as_text=True)
    assert "Brak miejsca na dysku." in page and "Nie utworzono żadnej instancji" in page
    assert _attempts(exam) == {}
    assert store_for(csrf_app.extensions["simulator"].config).records() == []


def test_the_commission_sees_what_to_observe_under_each_criterion_and_the_candidate_never_does(
    csrf_app, exam, started, factories
):
    """Every task's observation items are listed on the score sheet under the task's criteria from the start
    (the commission scores them by hand while watching); neither the candidate's page nor the task panel in
    the CRM shows them."""
    from html import escape

    candidate = exam["candidates"][0]
    attempt = started[candidate.id]
    items = api.observation_items(attempt.instance_id)
    assert items and all(i.text and i.criteria for i in items)
    member = _login(csrf_app, exam["member"].email, factories.password)
    page = member.get(f"/commission/sessions/{exam['session'].id}/sheets/{attempt.enrolment_id}").get_data(as_text=True)
    for item in items:
        for code in item.criteria:
            block = page[page.index(f'data-testid="observation-{code}"') :]
            assert escape(item.text) in block[: block.index("</details>")], (code, item.text)
    browser = _login(csrf_app, candidate.email, factories.password)
    seen = browser.get(f"/practical/{attempt.id}").get_data(as_text=True)
    seen += browser.get(f"/sim/i/{attempt.token}/zadania").get_data(as_text=True)
    assert [i.text for i in items if escape(i.text) in seen or i.text in seen] == []


def test_the_log_is_sealed_at_the_evaluation_and_a_changed_or_cut_log_is_flagged(csrf_app, exam, started, factories):
    """At the finish the platform keeps the log's seal (entries, last hash) with the evidence; the commission's
    log page says whether the log still matches it: intact, changed behind the simulator's back, or cut."""
    from tests.simulator.conftest import instance_write

    root = store_for(csrf_app.extensions["simulator"].config)
    member = _login(csrf_app, exam["member"].email, factories.password)
    sid = exam["session"].id
    pages = {}
    for candidate in exam["candidates"][:3]:
        attempt = started[candidate.id]
        browser = _login(csrf_app, candidate.email, factories.password)
        assert browser.post(f"/sim/i/{attempt.token}/accounts/new", data=ACCOUNT).status_code == 302
        url = f"/practical/sessions/{sid}/attempts/{attempt.id}/timeline"
        assert 'data-state="unsealed"' in member.get(url).get_data(as_text=True)
        assert browser.post(f"/practical/{attempt.id}/finish").status_code == 302
        seal = _attempts(exam)[candidate.id].results["log_seal"]
        assert seal["intact"] and seal["entries"] >= 2 and len(seal["head"]) == 64
        pages[candidate.id] = (attempt, url)

    first, second, third = (pages[c.id] for c in exam["candidates"][:3])
    assert 'data-state="intact"' in member.get(first[1]).get_data(as_text=True)
    instance_write(root, second[0].instance_id, "UPDATE action_log SET summary = 'nic się nie stało' WHERE seq = 2")
    broken = member.get(second[1]).get_data(as_text=True)
    assert 'data-state="broken"' in broken and "nie zgadza się od wpisu 2" in broken
    instance_write(root, third[0].instance_id, "DELETE FROM action_log WHERE seq > 1")
    cut = member.get(third[1]).get_data(as_text=True)
    assert 'data-state="rewritten"' in cut and "został skrócony lub odtworzony" in cut


def test_the_simulator_itself_stops_writes_after_the_deadline(csrf_app, operator, exam, started, factories):
    """The start gives the instance its deadline, an extension moves it; a write after it is refused (423) and
    freezes the instance even when no platform page was opened in between, and the attempt is in the log."""
    candidate = exam["candidates"][0]
    attempt = started[candidate.id]
    deadlines = [e for e in api.timeline(attempt.instance_id) if e["action"] == "instance.deadline"]
    assert [e["details"]["deadline"] for e in deadlines] == [attempt.deadline_at.isoformat()]
    sid = exam["session"].id
    extended = operator.post(
        f"/practical/sessions/{sid}/attempts/{attempt.id}/extend", data={"minutes": "10", "reason": "awaria"}
    )
    assert extended.status_code == 302
    moved = [e for e in api.timeline(attempt.instance_id) if e["action"] == "instance.deadline"]
    assert moved[-1]["details"]["deadline"] == _attempts(exam)[candidate.id].deadline_at.isoformat()

    browser = _login(csrf_app, candidate.email, factories.password)
    assert browser.post(f"/sim/i/{attempt.token}/accounts/new", data=ACCOUNT).status_code == 302
    api.set_deadline(attempt.instance_id, utcnow() - timedelta(seconds=1))  # as if the time had run out
    late = browser.post(f"/sim/i/{attempt.token}/accounts/new", data={**ACCOUNT, "name": "Po czasie sp. z o.o."})
    assert late.status_code == 423 and "czas na wykonanie zadań minął" in late.get_data(as_text=True)
    log = api.timeline(attempt.instance_id)
    assert [e["action"] for e in log[-2:]] == ["instance.frozen", "write_refused"]
    assert "czas pracy minął" in log[-2]["summary"]
    assert not any(e["after"] and e["after"].get("name") == "Po czasie sp. z o.o." for e in log)
    assert browser.get(f"/sim/i/{attempt.token}/").status_code == 200  # reading stays possible


def test_the_operator_resets_an_instance_with_a_reason_and_a_confirmation(csrf_app, operator, exam, started, factories):
    """After a technical failure the operator brings the candidate's CRM back to its start state: without a
    reason or the confirmation nothing happens; with both the changes are gone, the clock goes on, the instance
    log names the operator and the reason, and the platform's audit has it; a finished attempt cannot be reset."""
    candidate = exam["candidates"][0]
    attempt = started[candidate.id]
    browser = _login(csrf_app, candidate.email, factories.password)
    assert browser.post(f"/sim/i/{attempt.token}/accounts/new", data=ACCOUNT).status_code == 302
    url = f"/practical/sessions/{exam['session'].id}/attempts/{attempt.id}/reset"

    def names():
        return [e["after"].get("name") for e in api.timeline(attempt.instance_id) if e["action"] == "account.created"]

    accounts = f"/sim/i/{attempt.token}/accounts/"

    unconfirmed = operator.post(url, data={"reason": "awaria komputera"}, follow_redirects=True).get_data(as_text=True)
    assert "Zaznacz potwierdzenie" in unconfirmed and ACCOUNT["name"] in browser.get(accounts).get_data(as_text=True)
    no_reason = operator.post(url, data={"confirm": "y"}, follow_redirects=True).get_data(as_text=True)
    assert "Przywrócenie stanu początkowego" in no_reason and ACCOUNT["name"] in browser.get(accounts).get_data(
        as_text=True
    )

    deadline = _attempts(exam)[candidate.id].deadline_at
    done = operator.post(url, data={"reason": "awaria komputera", "confirm": "y"}, follow_redirects=True)
    assert "Przywrócono stan początkowy" in done.get_data(as_text=True)
    assert ACCOUNT["name"] not in browser.get(accounts).get_data(as_text=True)
    assert names() == [ACCOUNT["name"]]  # the log keeps what the candidate did
    reset = [e for e in api.timeline(attempt.instance_id) if e["action"] == "instance.reset"]
    assert reset[-1]["actor_label"] == exam["operator"].email and reset[-1]["details"]["reason"] == "awaria komputera"
    assert _attempts(exam)[candidate.id].deadline_at == deadline
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "practical.reset")).one()
    assert audit.reason == "awaria komputera"

    assert browser.post(f"/practical/{attempt.id}/finish").status_code == 302
    late = operator.post(url, data={"reason": "jeszcze raz", "confirm": "y"}, follow_redirects=True)
    assert "tylko przed zakończeniem części praktycznej" in late.get_data(as_text=True)


def test_upgrading_instances_at_deployment_reports_none_when_all_are_current(csrf_app, provisioned):
    result = csrf_app.test_cli_runner().invoke(args=["practical", "upgrade-instances"])
    assert result.exit_code == 0 and "Uzupełniono instancji: 0." in result.output
