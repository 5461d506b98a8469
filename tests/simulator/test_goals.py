"""SMART goals: vague goals are refused, the check-list is shown, progress is computed from the data."""

from __future__ import annotations

import re

from tests.simulator.conftest import instance_write, text_of

GOAL = {
    "name": "Spotkania z klientami – marzec 2026",
    "metric": "spotkania",
    "target": "4",
    "baseline": "3",
    "period_from": "2026-03-01",
    "period_to": "2026-03-31",
    "owner_id": "1",
    "relevance": "Więcej spotkań to więcej analiz potrzeb w lejku B2B.",
}


def test_vague_goals_are_refused_with_the_smart_reason(crm):
    cases = [
        ({"metric": ""}, "Wybierz mierzalną miarę"),
        ({"target": ""}, "Podaj wartość docelową większą od zera"),
        ({"target": "0"}, "Podaj wartość docelową większą od zera"),
        ({"period_to": ""}, "cel musi być określony w czasie"),
        ({"period_to": "2026-02-01"}, "nie może być wcześniejszy"),
        ({"name": "Więcej"}, "Nazwij cel konkretnie"),
        ({"target": "2,5"}, "liczbą całkowitą"),
    ]
    for changes, message in cases:
        response = crm.post("goals/new", {**GOAL, **changes})
        assert response.status_code == 200 and message in text_of(response), changes
        assert 'data-testid="smart-checklist"' in response.get_data(as_text=True)
    assert crm.one("SELECT count(*) FROM sales_goal") == 1
    assert len(crm.log("validation_error")) == len(cases)


def test_checklist_marks_what_is_missing(crm):
    page = text_of(crm.post("goals/new", {**GOAL, "relevance": "", "baseline": "", "period_to": ""}))
    assert "do uzupełnienia Osiągalny (Achievable)" in page
    assert "do uzupełnienia Istotny (Relevant)" in page
    assert "do uzupełnienia Określony w czasie (Time-bound)" in page
    assert "spełnione Mierzalny (Measurable)" in page


def test_progress_is_computed_from_completed_meetings(crm):
    assert crm.post("goals/new", GOAL).status_code == 302
    goal_id = crm.one("SELECT max(id) FROM sales_goal")
    assert "0%" in text_of(crm.get(f"goals/{goal_id}"))
    crm.post("activities/2/complete")  # the candidate's meeting, completed on the business date
    page = crm.get(f"goals/{goal_id}").get_data(as_text=True)
    assert 'data-testid="achieved">1<' in page and 'data-testid="percent">25%<' in page
    assert crm.log("goal.created")[-1]["after"]["metric"] == "spotkania"


def test_won_value_progress_follows_won_opportunities(crm):
    data = {**GOAL, "name": "Wartość wygranych – Marta Zielińska", "metric": "wartosc_wygranych", "owner_id": "2"}
    crm.post("goals/new", {**data, "target": "100000", "baseline": "50000"})
    goal_id = crm.one("SELECT max(id) FROM sales_goal")
    won = crm.one("SELECT value FROM opportunity WHERE owner_id = 2 AND status = 'wygrana'") / 100
    page = crm.get(f"goals/{goal_id}").get_data(as_text=True)
    assert f'data-testid="percent">{int(won * 100 / 100000)}%<' in page
    assert crm.get("goals/").status_code == 200


def test_seeded_goal_shows_its_period_and_pace(crm):
    page = text_of(crm.get("goals/1"))
    assert "01.01.2026 – 30.06.2026" in page and "Upłynęło okresu 75 z 181 dni" in page


def test_goal_edit_keeps_the_rules(crm):
    response = crm.post("goals/1/edit", {**GOAL, "metric": ""})
    assert "Wybierz mierzalną miarę" in text_of(response)
    assert crm.post("goals/1/edit", GOAL).status_code == 302
    assert crm.one("SELECT metric FROM sales_goal WHERE id = 1") == "spotkania"
    assert crm.log("goal.updated")


def test_won_value_counts_only_opportunities_in_pln_and_says_so(crm):
    data = {**GOAL, "name": "Wartość wygranych – Marta Zielińska", "metric": "wartosc_wygranych", "owner_id": "2"}
    assert crm.post("goals/new", {**data, "target": "100000", "baseline": "50000"}).status_code == 302
    goal_id = crm.one("SELECT max(id) FROM sales_goal")
    before = crm.get(f"goals/{goal_id}").get_data(as_text=True)
    deal = {"name": "Wdrożenie w Wiedniu", "account_id": "1", "value": "90000", "stage_id": "1", "owner_id": "2"}
    assert crm.post("opportunities/new", {**deal, "currency": "EUR"}).status_code == 302
    won = "UPDATE opportunity SET status = 'wygrana', probability = 100, closed_on = '2026-03-16' WHERE id = :id"
    instance_write(crm.root, crm.info.instance_id, won, {"id": crm.one("SELECT max(id) FROM opportunity")})
    page = crm.get(f"goals/{goal_id}").get_data(as_text=True)
    achieved = re.search(r'data-testid="achieved">([^<]*)<', page).group(1)
    assert achieved == re.search(r'data-testid="achieved">([^<]*)<', before).group(1)  # 90 000 EUR is not added
    assert "tylko szanse w PLN; pominięto 1 szansę w EUR" in text_of(crm.get(f"goals/{goal_id}"))
    assert "pominięto 1 szansę w EUR" in text_of(crm.get("goals/"))
