"""Public practice mode: no login, a fresh practice instance per click, limits per client and in total, expiry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from simulator import practice, registry
from simulator.storage import store_for
from tests.simulator.conftest import _sim_app, text_of

ACCOUNT = {"name": "Ćwiczebna Firma sp. z o.o.", "data_source": "targi", "owner_id": "1"}


@pytest.fixture
def public(sandbox_root):
    """The simulator as the public reaches it: CSRF on, small limits."""
    return _sim_app(sandbox_root, WTF_CSRF_ENABLED=True, PRACTICE_MAX_INSTANCES=3, PRACTICE_MAX_PER_CLIENT=2)


def _open(client, address="203.0.113.7", headers=None):
    page = client.get("/cwiczenia/", environ_base={"REMOTE_ADDR": address})
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(
        "/cwiczenia/", data={"csrf_token": token}, environ_base={"REMOTE_ADDR": address}, headers=headers or {}
    )


def _records(root):
    return [r for r in store_for(root).records() if practice.is_practice(r)]


def _backdate(root, instance_id: str, age: timedelta) -> None:
    """Pretend an instance was opened ``age`` ago (in the registry of either backend)."""
    store, when = store_for(root), (datetime.now(UTC) - age).isoformat()
    if store.kind == "sqlite":
        with registry.connect(store.root) as conn:
            conn.execute("UPDATE instance SET created_at = ? WHERE id = ?", (when, instance_id))
        return
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE sim_registry.instance SET created_at = :when WHERE id = :id"),
            {"when": when, "id": instance_id},
        )


def test_anyone_opens_a_practice_instance_and_works_in_it(public, sandbox_root):
    client = public.test_client()
    page = client.get("/cwiczenia/")
    assert page.status_code == 200 and "Tryb ćwiczeń" in text_of(page) and "Wolnych miejsc teraz: 3" in text_of(page)
    opened = _open(client)
    assert opened.status_code == 302 and re.fullmatch(r"/i/[\w-]+/", opened.headers["Location"])
    home = opened.headers["Location"]
    assert client.get(home).status_code == 200
    form = client.get(home + "accounts/new").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert client.post(home + "accounts/new", data={**ACCOUNT, "csrf_token": csrf}).status_code == 302
    [record] = _records(sandbox_root)
    assert record.scenario == "practice" and "203.0.113.7" not in record.candidate_key


def test_opening_without_the_csrf_token_is_refused(public, sandbox_root):
    response = public.test_client().post("/cwiczenia/", data={})
    assert response.status_code == 400 and _records(sandbox_root) == []


def test_limits_per_client_and_in_total(public, sandbox_root):
    client = public.test_client()
    assert _open(client).status_code == 302
    assert _open(client).status_code == 302
    third = _open(client)
    assert third.status_code == 429 and "limit 2" in text_of(third)
    assert _open(client, "198.51.100.20").status_code == 302
    full = _open(client, "192.0.2.55")
    assert full.status_code == 429 and "Wszystkie miejsca do ćwiczeń są zajęte" in text_of(full)
    assert len(_records(sandbox_root)) == 3


def test_a_client_cannot_escape_its_limit_by_sending_x_forwarded_for(public, sandbox_root):
    """Only the connection's address counts (a proxy's is made the client's by the platform's PROXY_HOPS)."""
    client = public.test_client()
    for forged in ("10.0.0.1", "10.0.0.2"):
        assert _open(client, headers={"X-Forwarded-For": forged}).status_code == 302
    third = _open(client, headers={"X-Forwarded-For": "10.0.0.3"})
    assert third.status_code == 429 and "limit 2" in text_of(third)
    assert len(_records(sandbox_root)) == 2


def test_an_expired_practice_instance_answers_410_and_is_deleted(public, sandbox_root):
    client = public.test_client()
    home = _open(client).headers["Location"]
    [record] = _records(sandbox_root)
    _backdate(sandbox_root, record.id, timedelta(hours=3))
    gone = client.get(home)
    assert gone.status_code == 410 and "wygasła" in text_of(gone)
    client.get("/cwiczenia/")  # the next visit clears it away
    assert _records(sandbox_root) == [] and not store_for(sandbox_root).exists(record.id)
    assert client.get(home).status_code == 404


def test_exam_instances_never_expire_or_count(public, sandbox_root, provision):
    exam_like = provision("sesja-1/7", 3)  # a platform instance: not a practice key
    _backdate(sandbox_root, exam_like.instance_id, timedelta(days=2))
    client = public.test_client()
    assert _open(client).status_code == 302
    assert client.get(f"/i/{exam_like.token}/").status_code == 200
    assert len(_records(sandbox_root)) == 1


def test_in_practice_the_candidate_checks_the_work_and_reads_only_the_candidate_messages(
    public, sandbox_root, provision
):
    """ "Sprawdź moje rozwiązania": per task the points and, for what is missing, the check's message for the
    candidate (never the commission's); a solved task says so; the check is in the log. An exam instance has
    no self-check."""
    from markupsafe import escape

    from simulator import api, evaluation
    from simulator.solve import run_solve

    client = public.test_client()
    home = _open(client).headers["Location"]
    [record] = _records(sandbox_root)
    scenario = evaluation.instance_scenario(sandbox_root, record.id)
    panel = client.get(home + "zadania").get_data(as_text=True)
    assert "Zadania ćwiczeniowe" in panel and 'data-testid="self-check"' in panel
    for page in (panel, client.get(home).get_data(as_text=True)):  # the menu names them too: nothing says exam
        assert "egzaminacyjne" not in page and re.search(r'href="[^"]*/zadania">Zadania ćwiczeniowe</a>', page)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', panel).group(1)

    first = client.post(home + "zadania/sprawdz", data={"csrf_token": csrf}).get_data(as_text=True)
    assert 'data-testid="self-check-result"' in first
    commission = [c["commission"] for t in scenario.tasks for c in t["checks"]]
    assert [m for m in commission if str(escape(m)) in first] == []
    for_candidate = [c["candidate"] for t in scenario.tasks for c in t["checks"] if c.get("candidate")]
    assert for_candidate and all(str(escape(m)) in first for m in for_candidate)
    for task in scenario.tasks:
        assert f'data-testid="feedback-{task["key"]}"' in first and "Do poprawy" in first

    task = scenario.tasks[0]
    token = home.strip("/").split("/")[-1]
    run_solve(client, token, sandbox_root, record.id, task)
    second = client.post(home + "zadania/sprawdz", data={"csrf_token": csrf}).get_data(as_text=True)
    block = second[second.index(f'data-testid="feedback-{task["key"]}"') :]
    assert block.index("Zadanie wykonane") < block.index("</div>")
    checks = [e for e in api.timeline(record.id, root=sandbox_root) if e["action"] == "practice.self_check"]
    assert len(checks) == 2 and checks[-1]["details"]["points"] > checks[0]["details"]["points"] == 0

    exam_like = provision("sesja-1/7", 3)
    exam_panel = client.get(f"/i/{exam_like.token}/zadania").get_data(as_text=True)
    assert 'data-testid="self-check"' not in exam_panel and "Zadania egzaminacyjne" in exam_panel
    assert re.search(r'href="[^"]*/zadania">Zadania egzaminacyjne</a>', exam_panel)
    assert client.post(f"/i/{exam_like.token}/zadania/sprawdz", data={"csrf_token": csrf}).status_code == 404
