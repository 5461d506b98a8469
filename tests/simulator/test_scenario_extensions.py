"""Scenario sections for roles, registers, RODO, goals, segments and stage tasks: validated with located errors."""

from __future__ import annotations

import pytest

from simulator.content import ContentError
from simulator.scenario import load_scenario, load_scenario_file

BASE = """\
id: broken
title: Test
kind: practice
business_date: 2026-03-16
users:
  - {key: ja, name: Ja, me: true, role: __ROLE__}
registers:
  gus:
    - {nip: "__NIP__", name: Firma SPÓŁKA Z O.O.}
seed:
  accounts:
    - {key: firma, name: Firma, data_source: targi, owner: ja}
  contacts:
    - {key: osoba, first_name: Jan, last_name: Nowak, account: firma, data_source: targi}
  pipelines:
    - key: lejek
      name: Lejek
      stages:
        - key: start
          name: Start
          probability: 10
          tasks:
            - {type: telefon, subject: Zadzwoń, offset_days: __OFFSET__}
  purposes:
    - {key: marketing, name: Marketing, legal_basis: __BASIS__, marketing: true}
  consents:
    - {contact: __CONTACT__, purpose: marketing, channel: email, source: formularz, given_on: 2026-03-01}
  goals:
    - {key: cel, name: Cel testowy na marzec, metric: spotkania, target: __TARGET__, period_from: 2026-03-01,
       period_to: __END__, owner: ja}
  segments:
    - key: seg
      name: Segment
      kind: regulowy
      entity: firma
      owner: ja
      conditions:
        - {field: size, op: eq, value: __SIZE__}
"""
GOOD = {
    "__ROLE__": "admin",
    "__NIP__": "779-463-05-39",
    "__OFFSET__": "2",
    "__BASIS__": "a",
    "__CONTACT__": "osoba",
    "__TARGET__": "5",
    "__END__": "2026-03-31",
    "__SIZE__": "małe",
}


def _write(tmp_path, **changes) -> str:
    text = BASE
    for key, value in {**GOOD, **changes}.items():
        text = text.replace(key, value)
    folder = tmp_path / "broken"
    folder.mkdir(exist_ok=True)
    path = folder / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scenario_with_every_new_section_loads(tmp_path):
    scenario = load_scenario_file(_write(tmp_path), expected_id="broken")
    assert scenario.seed["goals"][0]["metric"] == "spotkania"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"__ROLE__": "szef"}, ":6: users/0/role: nie ma roli o kluczu „szef”"),
        ({"__NIP__": "779-463-05-38"}, ":9: registers/gus/0/nip:"),
        ({"__OFFSET__": "400"}, "seed/pipelines/0/stages/0/tasks/0/offset_days"),
        ({"__BASIS__": "g"}, "seed/purposes/0/legal_basis"),
        ({"__CONTACT__": "nikt"}, "seed/consents/0/contact: nie ma osoby o kluczu „nikt”"),
        ({"__TARGET__": "0"}, "seed/goals/0/target: wartość docelowa musi być większa od zera"),
        ({"__END__": "2026-02-01"}, "seed/goals/0/period_to: koniec okresu celu jest przed jego początkiem"),
        ({"__SIZE__": "gigant"}, "seed/segments/0/conditions: Warunek 1: „gigant” nie jest dozwoloną wartością"),
    ],
)
def test_broken_sections_are_reported_at_their_place(tmp_path, change, expected):
    with pytest.raises(ContentError) as caught:
        load_scenario_file(_write(tmp_path, **change), expected_id="broken")
    assert any(expected in str(e) for e in caught.value.errors), [str(e) for e in caught.value.errors]


def test_practice_scenario_has_fixtures_for_every_new_feature():
    data = load_scenario("practice").data
    assert {r["key"] for r in data["roles"]} == {"admin", "kierownik", "handlowiec"}
    gus = data["registers"]["gus"]
    assert any(r.get("status") == "wykreślony" for r in gus) and any(r.get("unit_type") == "LP" for r in gus)
    assert any(not r["valid"] for r in data["registers"]["vies"])
    seed = data["seed"]
    assert {p["legal_basis"] for p in seed["purposes"]} >= {"a", "b", "c", "f"}
    assert any("withdrawn_on" in c for c in seed["consents"]) and seed["requests"] and seed["goals"]
    assert {s["kind"] for s in seed["segments"]} == {"statyczny", "regulowy"}
    assert sum(len(s.get("tasks", [])) for s in seed["pipelines"][0]["stages"]) == 6
