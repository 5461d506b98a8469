"""Task templates per stage create tasks with due dates relative to stage entry; the calendar shows them."""

from __future__ import annotations

import re

from tests.simulator.conftest import text_of


def _done(crm, opportunity_id: int, stage_id: int, type_: str) -> None:
    data = {"type": type_, "subject": f"Wymagane: {type_}", "due_date": "2026-03-16", "priority": "normalny",
            "status": "zakonczone", "percent_complete": "100", "owner_id": "1",
            "opportunity_id": str(opportunity_id), "stage_id": str(stage_id)}  # fmt: skip
    assert crm.post("activities/new", data).status_code == 302


def test_entering_a_stage_creates_its_tasks_with_due_dates(crm):
    _done(crm, 1, 2, "spotkanie")  # "Analiza potrzeb" requires a meeting before moving on
    response = crm.post("opportunities/1/move", {"target": "stage:3"}, follow_redirects=True)
    assert "utworzono zadania z harmonogramu" in text_of(response)
    rows = crm.sql(
        "SELECT type, subject, due_date, priority, stage_id, owner_id FROM activity "
        "WHERE opportunity_id = 1 AND stage_id = 3 ORDER BY due_date"
    )
    assert rows == [
        ("email", "Wysłać ofertę", "2026-03-18", "wysoki", 3, 1),
        ("telefon", "Telefon w sprawie oferty", "2026-03-23", "normalny", 3, 1),
    ]
    created = [e for e in crm.log("activity.created") if e["details"].get("via") == "szablon etapu"]
    assert [e["details"]["offset_days"] for e in created] == [2, 7]


def test_new_opportunity_enters_its_first_stage_with_its_tasks(crm):
    data = {"name": "Nowa szansa", "account_id": "2", "value": "1000", "stage_id": "1", "owner_id": "2"}
    assert crm.post("opportunities/new", data).status_code == 302
    opportunity_id = crm.one("SELECT max(id) FROM opportunity")
    assert crm.sql(
        "SELECT subject, due_date, owner_id FROM activity WHERE opportunity_id = :id", {"id": opportunity_id}
    ) == [("Telefon kwalifikacyjny (budżet, decydent, potrzeba, termin)", "2026-03-17", 2)]


def test_templates_are_managed_per_stage_and_logged(crm):
    data = {
        "stage_id": "5",
        "type": "spotkanie",
        "subject": "Spotkanie decyzyjne",
        "offset_days": "3",
        "priority": "wysoki",
    }
    assert crm.post("pipelines/1/schedule", data).status_code == 302
    page = text_of(crm.get("pipelines/1/schedule"))
    assert "Spotkanie decyzyjne +3" in page
    template_id = crm.one("SELECT max(id) FROM task_template")
    assert crm.post(f"task-templates/{template_id}/delete").status_code == 302
    assert crm.one("SELECT count(*) FROM task_template WHERE id = :id", {"id": template_id}) == 0
    assert [e["action"] for e in crm.log() if e["action"].startswith("task_template.")] == [
        "task_template.created",
        "task_template.deleted",
    ]


def test_bad_template_is_refused(crm):
    data = {"stage_id": "5", "type": "spotkanie", "subject": "", "offset_days": "400", "priority": "wysoki"}
    response = crm.post("pipelines/1/schedule", data, follow_redirects=True)
    assert "Nie zapisano" in text_of(response)
    assert (
        crm.post("pipelines/1/schedule", {**data, "subject": "x", "offset_days": "1", "stage_id": "99"}).status_code
        == 302
    )
    assert crm.one("SELECT count(*) FROM task_template") == 6


def test_calendar_month_and_week_show_tasks_by_due_date(crm):
    _done(crm, 1, 2, "spotkanie")
    crm.post("opportunities/1/move", {"target": "stage:3"})
    html = crm.get("calendar").get_data(as_text=True)
    cell = re.search(r'data-day="2026-03-18">(.*?)</td>', html, re.S).group(1)
    assert "Wysłać ofertę" in cell and "Warsztat analizy potrzeb" in cell
    assert "marzec 2026" in text_of(crm.get("calendar"))
    week = crm.get("calendar?view=week&date=2026-03-23").get_data(as_text=True)
    assert "tydzień 23.03.2026 – 29.03.2026" in week and "Telefon w sprawie oferty" in week
    assert "Wysłać ofertę" not in week
    mine = crm.get("calendar?owner_id=3").get_data(as_text=True)
    assert "Telefon kwalifikacyjny po targach" in mine and "Wysłać ofertę" not in mine
    assert crm.get("calendar?date=nie-data&view=inny").status_code == 200
