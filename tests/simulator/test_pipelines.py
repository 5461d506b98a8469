"""Pipelines: stages are entered, ordered, edited (with required activities) and removed only when unused."""

from __future__ import annotations

import re

import pytest

from simulator.crm.enums import CustomerType, SaleForm
from simulator.scenario import load_scenario
from tests.simulator.conftest import text_of


def _stages(crm, pipeline_id: int) -> list[tuple]:
    return crm.sql(
        "SELECT name, position, probability, required_activities FROM stage WHERE pipeline_id = :id ORDER BY position",
        {"id": pipeline_id},
    )


def test_a_pipeline_is_built_stage_by_stage(crm):
    assert (
        crm.post("pipelines/new", {"name": "Sprzedaż B2C – polisy", "description": "Klienci indywidualni"}).status_code
        == 302
    )
    crm.post(
        "pipelines/2/stages/new", {"name": "Pierwszy kontakt", "probability": "10", "required_activities": ["telefon"]}
    )
    crm.post(
        "pipelines/2/stages/new",
        {"name": "Kalkulacja", "probability": "40", "required_activities": ["email", "spotkanie"]},
    )
    crm.post("pipelines/2/stages/new", {"name": "Zawarcie umowy", "probability": "90"})
    assert _stages(crm, 2) == [
        ("Pierwszy kontakt", 1, 10, '["telefon"]'),
        ("Kalkulacja", 2, 40, '["spotkanie", "email"]'),
        ("Zawarcie umowy", 3, 90, "[]"),
    ]
    assert [e["action"] for e in crm.log()][-4:] == [
        "pipeline.created",
        "stage.created",
        "stage.created",
        "stage.created",
    ]


def test_stages_are_reordered_and_edited(crm):
    crm.post("pipelines/1/stages/5/move", {"direction": "up"})
    assert [s[0] for s in _stages(crm, 1)][2:5] == ["Przygotowanie oferty", "Decyzja klienta", "Negocjacje"]
    crm.post(
        "pipelines/1/stages/5/edit",
        {"name": "Decyzja zarządu", "probability": "75", "required_activities": ["telefon"]},
    )
    assert ("Decyzja zarządu", 4, 75, '["telefon"]') in _stages(crm, 1)
    edited = crm.log("stage.updated")[-1]
    assert edited["before"] == {"name": "Decyzja klienta", "probability": 80, "required": []}


def test_stage_in_use_cannot_be_removed_but_an_unused_one_can(crm):
    response = crm.post("pipelines/1/stages/2/delete", follow_redirects=True)
    assert "nie można usunąć" in text_of(response)
    crm.post("pipelines/1/stages/new", {"name": "Zbędny", "probability": "5"})
    stage_id = crm.one("SELECT max(id) FROM stage")
    assert crm.post(f"pipelines/1/stages/{stage_id}/delete").status_code == 302
    assert [s[1] for s in _stages(crm, 1)] == [1, 2, 3, 4, 5, 6]


def test_stage_probability_is_validated(crm):
    for value, message in (
        ("150", "Podaj liczbę od 0 do 100"),
        ("abc", "Podaj liczbę całkowitą"),
        ("", "Podaj prawdopodobieństwo"),
    ):
        response = crm.post("pipelines/1/stages/new", {"name": "Zły", "probability": value})
        assert message in text_of(response), value
    assert crm.one("SELECT count(*) FROM stage WHERE name = 'Zły'") == 0


def test_a_stage_of_another_pipeline_is_not_found_under_this_one(crm):
    crm.post("pipelines/new", {"name": "Drugi"})
    assert crm.get("pipelines/2/stages/1/edit").status_code == 404
    assert crm.post("pipelines/2/stages/1/delete").status_code == 404


# -- customer type, form of sale and product line ---------------------------------------------------------------
PUBLIC = {
    "name": "Zamówienia publiczne – zapytania ofertowe",
    "customer_type": "sektor_publiczny",
    "sale_form": "przetargowa",
    "product_line": "Usługi zarządzane IT dla szpitali",
}


def _profile(crm, pipeline_id: int) -> tuple:
    return crm.one("SELECT customer_type, sale_form, product_line FROM pipeline WHERE id = :id", {"id": pipeline_id})


def test_a_pipeline_is_created_for_a_customer_type_form_of_sale_and_product_line(crm):
    response = crm.post("pipelines/new", PUBLIC)
    assert response.status_code == 302 and response.location.endswith("/pipelines/2")
    assert _profile(crm, 2) == ("sektor_publiczny", "przetargowa", "Usługi zarządzane IT dla szpitali")
    created = crm.log("pipeline.created")[-1]
    assert created["after"]["customer_type"] == "sektor_publiczny" and created["after"]["sale_form"] == "przetargowa"
    assert "Sektor publiczny (B2G, zamawiający publiczni) · Sprzedaż przetargowa" in created["summary"]
    page = text_of(crm.get("pipelines/2"))
    assert "Typ klienta Sektor publiczny (B2G, zamawiający publiczni)" in page
    assert "Forma sprzedaży Sprzedaż przetargowa (przetargi, zapytania ofertowe)" in page
    assert "Produkt / linia produktów Usługi zarządzane IT dla szpitali" in page


def test_a_pipeline_without_the_attributes_is_still_a_pipeline(crm):
    assert crm.post("pipelines/new", {"name": "Bez opisu"}).status_code == 302
    assert _profile(crm, 2) == (None, None, "")
    assert "Typ klienta nie określono" in text_of(crm.get("pipelines/2"))


def test_editing_a_pipeline_changes_its_attributes_and_logs_before_and_after(crm):
    form = text_of(crm.get("pipelines/1/edit"))
    assert "Typ klienta" in form and "Forma sprzedaży" in form
    response = crm.post(
        "pipelines/1/edit",
        {"name": "Sprzedaż B2B – wdrożenia CRM", "customer_type": "partnerzy", "sale_form": "posrednia"},
    )
    assert response.status_code == 302
    assert _profile(crm, 1)[:2] == ("partnerzy", "posrednia")
    updated = crm.log("pipeline.updated")[-1]
    assert updated["before"] == {"customer_type": "firmy", "sale_form": "bezposrednia"}
    assert updated["after"] == {"customer_type": "partnerzy", "sale_form": "posrednia"}
    assert updated["summary"].endswith(": typ klienta, forma sprzedaży")
    # a request without the fields (an old script) keeps what the pipeline has
    assert crm.post("pipelines/1/edit", {"name": "Sprzedaż B2B – wdrożenia CRM"}).status_code == 302
    assert _profile(crm, 1)[:2] == ("partnerzy", "posrednia")
    # choosing "— brak —" clears it
    crm.post("pipelines/1/edit", {"name": "Sprzedaż B2B – wdrożenia CRM", "customer_type": "", "sale_form": ""})
    assert _profile(crm, 1)[:2] == (None, None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("customer_type", "hurtownie", "Wybierz typ klienta z listy."),
        ("sale_form", "door-to-door", "Wybierz formę sprzedaży z listy."),
        ("customer_type", "Firmy (B2B)", "Wybierz typ klienta z listy."),  # the label is not the value
    ],
)
def test_a_choice_off_the_list_is_refused_in_polish_saved_nowhere_and_logged(crm, field, value, message):
    response = crm.post("pipelines/new", {**PUBLIC, field: value})
    assert response.status_code == 200 and message in text_of(response)
    assert crm.one("SELECT count(*) FROM pipeline") == 1
    logged = crm.log("validation_error")[-1]
    assert logged["actor_kind"] == "candidate" and logged["details"]["form"] == "lejek"
    assert logged["details"]["errors"] == {field: [message]}
    assert logged["details"]["submitted"][field] == value

    before = _profile(crm, 1)
    response = crm.post("pipelines/1/edit", {"name": "Zmieniona nazwa", field: value})
    assert response.status_code == 200 and message in text_of(response)
    assert _profile(crm, 1) == before
    assert crm.one("SELECT name FROM pipeline WHERE id = 1") == "Sprzedaż B2B – wdrożenia CRM"
    edited = crm.log("validation_error")[-1]
    assert edited["entity_id"] == 1 and edited["details"]["submitted"][field] == value


def test_the_pipeline_list_filters_by_customer_type_form_of_sale_and_product_line(crm):
    crm.post("pipelines/new", PUBLIC)
    crm.post(
        "pipelines/new",
        {"name": "Sklep internetowy", "customer_type": "klienci_indywidualni", "sale_form": "internetowa"},
    )

    def names(**args) -> list[str]:
        page = crm.get("pipelines/", query_string=args).get_data(as_text=True)
        return re.findall(r'<h2 class="h5"><a [^>]*>([^<]+)</a>', page)

    assert len(names()) == 3
    assert names(customer_type="sektor_publiczny") == ["Zamówienia publiczne – zapytania ofertowe"]
    assert names(sale_form="bezposrednia") == ["Sprzedaż B2B – wdrożenia CRM"]
    assert names(customer_type="firmy", sale_form="internetowa") == []
    assert names(product_line="SZPITAL") == ["Zamówienia publiczne – zapytania ofertowe"]
    assert names(product_line="wdrożenia") == ["Sprzedaż B2B – wdrożenia CRM"]  # Polish letters, any case
    assert len(names(customer_type="nieznany")) == 3  # a value off the list filters nothing
    assert "Żaden lejek nie spełnia kryteriów." in text_of(
        crm.get("pipelines/", query_string={"sale_form": "posrednia"})
    )


def test_seeded_pipelines_carry_their_customer_type_form_of_sale_and_product_line(crm):
    assert _profile(crm, 1) == ("firmy", "bezposrednia", "Wdrożenia systemu CRM, licencje i szkolenia")
    for scenario_id in ("egzamin-b2b-it", "egzamin-b2c-ubezpieczenia"):
        for item in load_scenario(scenario_id).seed["pipelines"]:
            assert item["customer_type"] in set(CustomerType) and item["sale_form"] in set(SaleForm), item["key"]
            assert item["product_line"], item["key"]


def test_the_opportunity_form_names_each_pipeline_with_whom_and_how_it_sells(crm):
    crm.post("pipelines/new", PUBLIC)
    crm.post("pipelines/2/stages/new", {"name": "Analiza zapytania", "probability": "10"})
    page = crm.get("opportunities/new").get_data(as_text=True)
    assert 'label="Sprzedaż B2B – wdrożenia CRM (Firmy (B2B) · Sprzedaż bezpośrednia (spotkania))"' in page
    assert (
        'label="Zamówienia publiczne – zapytania ofertowe '
        '(Sektor publiczny (B2G, zamawiający publiczni) · Sprzedaż przetargowa (przetargi, zapytania ofertowe))"'
    ) in page
    board = text_of(crm.get("opportunities/board", query_string={"pipeline_id": 2}))
    assert "Sektor publiczny (B2G, zamawiający publiczni) · Sprzedaż przetargowa" in board


def test_opportunities_are_filtered_by_their_pipelines_customer_type_and_form_of_sale(crm):
    crm.post("pipelines/new", PUBLIC)
    crm.post("pipelines/2/stages/new", {"name": "Analiza zapytania", "probability": "10"})
    stage_id = crm.one("SELECT id FROM stage WHERE pipeline_id = 2")
    data = {"name": "Helpdesk dla szpitala", "account_id": "1", "value": "50000", "stage_id": stage_id, "owner_id": "1"}
    assert crm.post("opportunities/new", data).status_code == 302

    def names(**args) -> list[str]:
        page = crm.get("opportunities/", query_string=args).get_data(as_text=True)
        return re.findall(r'<td><a href="[^"]*/opportunities/\d+">([^<]+)</a></td>', page)

    assert names(customer_type="sektor_publiczny") == ["Helpdesk dla szpitala"]
    assert names(sale_form="przetargowa", status="otwarta") == ["Helpdesk dla szpitala"]
    assert len(names(customer_type="firmy")) == crm.one("SELECT count(*) FROM opportunity WHERE pipeline_id = 1")
    assert names(pipeline_id=2) == ["Helpdesk dla szpitala"]
    assert len(names(customer_type="nieznany")) == crm.one("SELECT count(*) FROM opportunity")
