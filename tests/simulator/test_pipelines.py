"""Pipelines: stages are entered, ordered, edited (with required activities) and removed only when unused."""

from __future__ import annotations

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
