"""The candidate's task panel: instructions per instance, answers saved with CSRF, validation, log, refusals."""

from __future__ import annotations

import json
import re

from simulator import api
from tests.simulator.conftest import Crm, state_digest, text_of

TASK = "odczyt-wartosci"


def _answers(crm: Crm) -> dict[str, str]:
    return dict(crm.sql("SELECT answer_key, value FROM task_answer WHERE task_key = :id", {"id": TASK}))


def test_panel_lists_tasks_with_instructions_rendered_for_the_instance(sim_app, sandbox_root, provision):
    a = Crm(sim_app.test_client(), provision("A", 1), sandbox_root)
    b = Crm(sim_app.test_client(), provision("B", 2), sandbox_root)
    page_a, page_b = text_of(a.get("zadania")), text_of(b.get("zadania"))
    assert "Zadania egzaminacyjne" in page_a and "Oferta na licencje dla Transkom" in page_a
    assert "{{" not in page_a
    name_a = a.one("SELECT first_name || ' ' || last_name FROM contact WHERE id = 7")
    name_b = b.one("SELECT first_name || ' ' || last_name FROM contact WHERE id = 7")
    assert name_a != name_b and name_a in page_a and name_b in page_b
    views = api.tasks(a.info.instance_id, root=sandbox_root)
    assert [v.key for v in views][:2] == ["nowy-klient", "uzupelnienie-danych"]
    assert any(name_a in v.instructions for v in views)
    reading = next(v for v in views if v.key == TASK)
    assert [f.key for f in reading.answers] == ["negocjacje", "stopien"] and reading.minutes == 5


def test_instructions_keep_start_values_when_the_candidate_edits_the_record(crm):
    before = next(v for v in api.tasks(crm.info.instance_id, root=crm.root) if v.key == "oferta").instructions
    crm.post(
        "contacts/7/edit",
        {"first_name": "Zmieniony", "last_name": "Ktoś", "account_id": "5", "data_source": "formularz_www"},
    )
    assert crm.one("SELECT first_name FROM contact WHERE id = 7") == "Zmieniony"
    after = next(v for v in api.tasks(crm.info.instance_id, root=crm.root) if v.key == "oferta").instructions
    assert after == before and "Zmieniony" not in after


def test_answer_is_saved_with_csrf_and_logged(csrf_sim_app, provision, sandbox_root):
    crm = Crm(csrf_sim_app.test_client(), provision(), sandbox_root)
    html = crm.get("zadania").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    assert crm.post("zadania", {"task": TASK, "negocjacje": "126 000,00"}).status_code == 400  # no token
    assert _answers(crm) == {}
    response = crm.post("zadania", {"csrf_token": token, "task": TASK, "negocjacje": "126 000,00", "stopien": "50"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#zadanie-odczyt-wartosci")
    assert _answers(crm) == {"negocjacje": "126 000,00", "stopien": "50"}
    saved = crm.log("task.answer_saved")[-1]
    assert saved["after"] == {"negocjacje": "126 000,00", "stopien": "50"} and saved["actor_kind"] == "candidate"
    page = crm.get("zadania").get_data(as_text=True)
    assert 'value="126 000,00"' in page
    # a field that is not sent keeps its value; an unchanged answer is not logged again
    crm.post("zadania", {"csrf_token": token, "task": TASK, "stopien": "50"})
    assert _answers(crm)["negocjacje"] == "126 000,00" and len(crm.log("task.answer_saved")) == 1


def test_invalid_answer_is_refused_in_polish_and_nothing_typed_is_lost(crm):
    response = crm.post("zadania", {"task": TASK, "negocjacje": "sto tysięcy", "stopien": "x" * 501})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Podaj liczbę, np. 12 500,50." in html and "Najwyżej 500 znaków." in html
    assert 'value="sto tysięcy"' in html
    assert _answers(crm) == {}
    refused = crm.log("validation_error")[-1]
    assert refused["details"]["task"] == TASK and set(refused["details"]["errors"]) == {"negocjacje", "stopien"}


def test_a_read_value_that_reads_two_ways_is_refused_and_a_dot_grouped_one_is_read(crm):
    """A candidate who groups thousands with a dot ("126.000") would otherwise have 126 read: refused with the
    way to write it; "126.000,00" can only mean one thing and is saved as typed."""
    response = crm.post("zadania", {"task": TASK, "negocjacje": "126.000", "stopien": "50"})
    assert response.status_code == 400
    assert "Niejednoznaczna liczba „126.000”" in text_of(response) and 'value="126.000"' in response.get_data(
        as_text=True
    )
    assert _answers(crm) == {}
    assert crm.post("zadania", {"task": TASK, "negocjacje": "126.000,00", "stopien": "50"}).status_code == 302
    assert _answers(crm) == {"negocjacje": "126.000,00", "stopien": "50"}


def test_unknown_task_or_task_without_answers_is_404(crm):
    assert crm.post("zadania", {"task": "nie-ma", "x": "1"}).status_code == 404
    assert crm.post("zadania", {"task": "oferta", "x": "1"}).status_code == 404


def test_frozen_instance_refuses_answers(crm):
    crm.post("zadania", {"task": TASK, "stopien": "50"})
    api.freeze(crm.info.instance_id, root=crm.root)
    response = crm.post("zadania", {"task": TASK, "stopien": "75"})
    assert response.status_code == 423 and "zamrożona" in text_of(response)
    assert _answers(crm) == {"stopien": "50"}
    page = crm.get("zadania").get_data(as_text=True)
    assert 'method="post"' not in page and 'data-answer="stopien">50' in page


def test_viewer_reads_answers_but_cannot_write(crm):
    crm.post("zadania", {"task": TASK, "stopien": "50"})
    viewer = Crm(crm.client, crm.info, crm.root, viewer=True)
    page = viewer.get("zadania")
    assert page.status_code == 200 and 'method="post"' not in page.get_data(as_text=True)
    assert viewer.post("zadania", {"task": TASK, "stopien": "10"}).status_code == 403
    assert _answers(crm) == {"stopien": "50"}
    assert crm.log("write_refused")[-1]["actor_kind"] == "commission"


def test_token_of_one_candidate_cannot_answer_for_another(sim_app, sandbox_root, provision):
    a = Crm(sim_app.test_client(), provision("A", 1), sandbox_root)
    b = Crm(sim_app.test_client(), provision("B", 2), sandbox_root)
    a.post("zadania", {"task": TASK, "negocjacje": "1"})
    assert _answers(a) == {"negocjacje": "1"} and _answers(b) == {}
    assert b.log("task.answer_saved") == []
    assert a.client.post(f"/i/{a.info.token}x/zadania", data={"task": TASK, "negocjacje": "2"}).status_code == 404


def test_evaluate_is_read_only_and_works_on_a_frozen_instance(crm):
    crm.post("zadania", {"task": TASK, "stopien": "50"})
    api.freeze(crm.info.instance_id, root=crm.root)
    digest = state_digest(crm.root, crm.info.instance_id)
    log_length = len(crm.log())
    first = api.evaluate(crm.info.instance_id, root=crm.root)
    second = api.evaluate(crm.info.instance_id, root=crm.root)
    assert state_digest(crm.root, crm.info.instance_id) == digest and len(crm.log()) == log_length
    assert first.as_dict()["tasks"] == second.as_dict()["tasks"]
    json.dumps(first.as_dict())  # JSON-safe evidence for the platform
    reading = next(t for t in first.tasks if t.key == TASK)
    stopien = next(c for c in reading.checks if c.commission_message.startswith("Podany stopień"))
    assert stopien.passed and stopien.points == 1 and stopien.event_seqs
    assert first.criteria["2.3.3"].points == 1 and first.criteria["2.3.3"].checks_passed == 1
    assert first.max_points == sum(t.max_points for t in first.tasks) and first.points == 1
    assert {f.split("#")[0] for f in first.critical_failures} == {
        "nowy-klient",
        "nowa-szansa",
        "prowadzenie-szansy",
        "oferta",
    }
    assert set(first.criteria) >= {"1.2.2", "2.2.4", "2.5.1"}


def test_reset_clears_answers_and_keeps_the_log(crm):
    crm.post("zadania", {"task": TASK, "stopien": "50"})
    api.reset(crm.info.instance_id, actor="operator", reason="awaria przeglądarki", root=crm.root)
    assert _answers(crm) == {}
    assert len(crm.log("task.answer_saved")) == 1
    assert api.evaluate(crm.info.instance_id, root=crm.root).points == 0
