"""Activities: lists by date range, owner and priority; status and % complete kept consistent; valid links."""

from __future__ import annotations

from tests.simulator.conftest import text_of

ACTIVITY = {
    "type": "zadanie",
    "subject": "Przygotować prezentację",
    "due_date": "2026-03-18",
    "priority": "wysoki",
    "status": "w_toku",
    "percent_complete": "40",
    "owner_id": "1",
}


def _subjects(response) -> list[str]:
    import re

    return re.findall(r'/activities/\d+/edit">([^<]+)</a>', response.get_data(as_text=True))


def test_list_filters_by_date_range(crm):
    subjects = _subjects(crm.get("activities/?date_from=2026-03-16&date_to=2026-03-18"))
    assert subjects == [
        "Wysłać ofertę na licencje",
        "Uzupełnić dane firmy (KRS, telefon)",
        "Warsztat analizy potrzeb w siedzibie klienta",
    ]


def test_list_filters_by_owner_priority_and_status(crm):
    assert _subjects(crm.get("activities/?owner_id=3")) == ["Telefon kwalifikacyjny po targach"]
    assert _subjects(crm.get("activities/?priority=pilny")) == ["Wysłać ofertę na licencje"]
    open_high = _subjects(crm.get("activities/?priority=wysoki&status=open"))
    assert open_high == ["Warsztat analizy potrzeb w siedzibie klienta", "Negocjacje warunków wdrożenia"]


def test_list_shows_completion(crm):
    page = text_of(crm.get("activities/?date_from=2026-03-01&date_to=2026-03-31"))
    assert "Działań na liście: 9 · zakończonych: 3 · średni stopień wykonania: 39%" in page


def test_inverted_date_range_is_explained(crm):
    page = text_of(crm.get("activities/?date_from=2026-03-20&date_to=2026-03-01"))
    assert "Data „do” nie może być wcześniejsza niż data „od”" in page
    refused = crm.log("validation_error")[-1]  # the refused filter is in the log with what was typed
    assert (
        refused["details"]["form"] == "filtr listy działań"
        and refused["details"]["submitted"]["date_from"] == "2026-03-20"
    )


def test_create_with_priority_and_progress(crm):
    assert crm.post("activities/new", {**ACTIVITY, "account_id": "1"}).status_code == 302
    row = crm.sql("SELECT priority, status, percent_complete, account_id FROM activity ORDER BY id DESC LIMIT 1")
    assert row == [("wysoki", "w_toku", 40, 1)]


def test_done_means_100_percent_and_100_percent_means_done(crm):
    response = crm.post("activities/new", {**ACTIVITY, "status": "zakonczone"}, follow_redirects=True)
    assert "stopień wykonania ustawiono na 100%" in text_of(response)
    response = crm.post(
        "activities/new", {**ACTIVITY, "subject": "Drugie", "percent_complete": "100"}, follow_redirects=True
    )
    assert "status ustawiono na „zakończone”" in text_of(response)
    assert crm.sql("SELECT status, percent_complete, completed_on FROM activity ORDER BY id DESC LIMIT 2") == [
        ("zakonczone", 100, "2026-03-16"),
        ("zakonczone", 100, "2026-03-16"),
    ]


def test_complete_action_sets_status_and_percent(crm):
    assert crm.post("activities/3/complete").status_code == 302
    assert crm.sql("SELECT status, percent_complete FROM activity WHERE id = 3") == [("zakonczone", 100)]
    assert crm.log("activity.completed")[-1]["before"] == {
        "status": "w_toku",
        "percent_complete": 50,
        "completed_on": None,
    }


def test_links_must_fit_together(crm):
    cases = [
        ({"opportunity_id": "1", "account_id": "2"}, "Szansa dotyczy innej firmy niż wybrana"),
        ({"stage_id": "1"}, "Etap wskazuje się razem z szansą sprzedaży"),
        ({"contact_id": "4", "account_id": "1"}, "Osoba należy do innej firmy niż wybrana"),
        ({"percent_complete": "101"}, "Podaj liczbę od 0 do 100"),
        ({"percent_complete": "dużo"}, "Podaj liczbę całkowitą"),
        ({"due_date": "2026-02-30"}, "Termin (dzień)"),
    ]
    for changes, message in cases:
        response = crm.post("activities/new", {**ACTIVITY, **changes})
        assert response.status_code == 200 and message in text_of(response), changes
    assert crm.one("SELECT count(*) FROM activity WHERE subject = 'Przygotować prezentację'") == 0


def test_company_is_taken_from_the_opportunity_and_the_user_told(crm):
    response = crm.post("activities/new", {**ACTIVITY, "opportunity_id": "1", "stage_id": "2"}, follow_redirects=True)
    assert "Powiązano z firmą „Techbud sp. z o.o.”" in text_of(response)
    assert crm.one("SELECT account_id FROM activity ORDER BY id DESC LIMIT 1") == 1


def test_new_activity_from_an_opportunity_is_prefilled_with_its_stage(crm):
    html = crm.get("activities/new?opportunity_id=1").get_data(as_text=True)
    assert '<option selected value="2">Sprzedaż B2B – wdrożenia CRM: Analiza potrzeb</option>' in html


def test_complete_returns_to_the_filtered_list_of_this_instance_only(crm):
    back = crm.url("activities/?priority=pilny")
    assert crm.post("activities/3/complete", {"next": back}).headers["Location"] == back
    for foreign in ("https://example.com/", "//example.com/", "/i/inny-token/activities/", "/\\example.com"):
        response = crm.post("activities/4/complete", {"next": foreign})
        assert response.headers["Location"] == crm.url("activities/"), foreign
