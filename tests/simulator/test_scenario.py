"""Scenario files: the practice scenario is complete and valid; broken files are refused with located errors."""

from __future__ import annotations

import pytest
from stdnum.pl import nip, pesel, regon

from simulator.content import ContentError
from simulator.crm.enums import Voivodeship
from simulator.scenario import load_scenario, load_scenario_file


@pytest.fixture
def practice():
    return load_scenario("practice")


def test_practice_scenario_has_the_required_seed_data(practice):
    seed = practice.seed
    assert 8 <= len(seed["accounts"]) <= 12
    assert len(seed["products"]) >= 6
    assert len(seed["pipelines"]) == 1 and 5 <= len(seed["pipelines"][0]["stages"]) <= 6
    assert any(s.get("required_activities") for s in seed["pipelines"][0]["stages"])
    assert len(seed["opportunities"]) >= 3 and len(seed["activities"]) >= 3
    assert str(practice.business_date) == "2026-03-16"
    assert {p["vat_rate"] for p in seed["products"]} >= {"23", "5", "zw"}


def test_practice_identifiers_have_valid_checksums(practice):
    for account in practice.seed["accounts"]:
        assert nip.is_valid(account["nip"]), account["key"]
        assert regon.is_valid(account["regon"]), account["key"]
        assert account.get("krs", "0" * 10).isdigit() and len(account.get("krs", "0" * 10)) == 10
        assert account["voivodeship"] in set(Voivodeship)
    people = [c for c in practice.seed["contacts"] if c.get("pesel")]
    assert people
    for person in people:
        assert pesel.is_valid(person["pesel"])
        assert str(pesel.get_birth_date(person["pesel"])) == person["birth_date"]


def _scenario(tmp_path, text: str):
    folder = tmp_path / "broken"
    folder.mkdir(exist_ok=True)
    path = folder / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """\
id: broken
title: Test
kind: practice
business_date: 2026-03-16
users:
  - {key: ja, name: Ja, me: true}
seed:
  accounts:
    - key: firma
      name: Firma
      nip: "__NIP__"
      data_source: targi
      owner: __OWNER__
"""


def minimal(nip: str = "779-463-05-39", owner: str = "ja") -> str:
    return MINIMAL.replace("__NIP__", nip).replace("__OWNER__", owner)


def _errors(path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_scenario_file(path, expected_id="broken")
    return [str(e) for e in caught.value.errors]


def test_minimal_scenario_loads(tmp_path):
    path = _scenario(tmp_path, minimal("779-463-05-39", "ja"))
    assert load_scenario_file(path, expected_id="broken").id == "broken"


def test_invalid_nip_is_reported_at_its_line(tmp_path):
    path = _scenario(tmp_path, minimal("779-463-05-38", "ja"))
    assert _errors(path) == [
        f"{path}:11: seed/accounts/0/nip: NIP ma niepoprawną cyfrę kontrolną – sprawdź, czy nie ma literówki."
    ]


def test_unknown_reference_is_reported_at_its_line(tmp_path):
    path = _scenario(tmp_path, minimal("779-463-05-39", "ktos"))
    assert _errors(path) == [f"{path}:13: seed/accounts/0/owner: nie ma użytkownika o kluczu „ktos”"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.replace("kind: practice", "kind: zabawa"), "kind: niedozwolona wartość 'zabawa'"),
        (lambda t: t.replace("title: Test\n", ""), "brak wymaganego pola: „title”"),
        (lambda t: t.replace("id: broken", "id: inny"), "różni się od nazwy folderu"),
        (lambda t: t.replace("me: true", "me: false"), "dokładnie jeden użytkownik"),
        (lambda t: t.replace("business_date: 2026-03-16", "business_date: 2026-02-30"), "niepoprawna data"),
        (lambda t: t + "zadania: []\n", "nieznane pole: „zadania”"),
        (
            lambda t: t.replace(
                "      data_source: targi\n", "      data_source: targi\n      data_source: polecenie\n"
            ),
            "klucz „data_source” powtórzony",
        ),
        (lambda t: t.replace("name: Firma", "name: [Firma"), "niepoprawny YAML"),
        (lambda t: t.replace('nip: "779-463-05-39"', "nip: 7794630539"), "oczekiwano: tekst"),
    ],
)
def test_malformed_scenarios_are_refused_with_located_errors(tmp_path, change, expected):
    path = _scenario(tmp_path, change(minimal("779-463-05-39", "ja")))
    errors = _errors(path)
    assert any(expected in e for e in errors), errors
    assert all(e.startswith(f"{path}:") for e in errors), errors


def test_pesel_must_match_birth_date_and_sex_in_seed(tmp_path):
    text = (
        minimal("779-463-05-39", "ja")
        + """\
  contacts:
    - {key: anna, first_name: Anna, last_name: Mazur, sex: M, pesel: "79051498720", birth_date: 1979-05-15,
       data_source: ceidg}
"""
    )
    errors = _errors(_scenario(tmp_path, text))
    assert any("seed/contacts/0/birth_date: Data urodzenia zapisana w numerze PESEL (14.05.1979)" in e for e in errors)
    assert any("seed/contacts/0/sex: płeć „M” nie zgadza się z numerem PESEL" in e for e in errors)


ONE_PIPELINE = """\
  pipelines:
    - key: p
      name: Lejek
      stages: [{key: a, name: A, probability: 10}]
"""


def test_lost_opportunity_needs_a_loss_reason_in_seed(tmp_path):
    text = (
        minimal("779-463-05-39", "ja")
        + ONE_PIPELINE
        + """\
  opportunities:
    - {key: o, name: Szansa, account: firma, value: 100, pipeline: p, stage: b, owner: ja, status: przegrana}
"""
    )
    errors = _errors(_scenario(tmp_path, text))
    assert any("seed/opportunities/0/stage: lejek „p” nie ma etapu „b”" in e for e in errors)
    assert any("seed/opportunities/0/loss_reason: przegrana szansa musi mieć powód utraty" in e for e in errors)


def test_a_seeded_closing_date_belongs_to_a_closed_opportunity_before_the_business_date(tmp_path):
    text = (
        minimal("779-463-05-39", "ja")
        + ONE_PIPELINE
        + """\
  opportunities:
    - {key: o, name: Otwarta, account: firma, value: 100, pipeline: p, stage: a, owner: ja, closed_on: 2026-02-10}
    - {key: w, name: Wygrana, account: firma, value: 100, pipeline: p, stage: a, owner: ja, status: wygrana,
       closed_on: 2026-03-17}
    - {key: k, name: Wygrana w zeszłym kwartale, account: firma, value: 100, pipeline: p, stage: a, owner: ja,
       status: wygrana, closed_on: 2025-12-18}
    - {key: bez, name: Przegrana bez daty, account: firma, value: 100, pipeline: p, stage: a, owner: ja,
       status: przegrana, loss_reason: cena}
"""
    )
    errors = _errors(_scenario(tmp_path, text))
    assert any(
        "seed/opportunities/3/closed_on: wygrana lub przegrana szansa musi mieć datę zamknięcia" in e for e in errors
    )
    assert any("seed/opportunities/0/closed_on: datę zamknięcia podaje się tylko dla wygranej" in e for e in errors)
    assert any(
        "seed/opportunities/1/closed_on: data zamknięcia jest po dacie biznesowej (2026-03-16)" in e for e in errors
    )
    assert not any("seed/opportunities/2/" in e for e in errors)


def test_a_pipelines_customer_type_and_form_of_sale_are_read_from_the_list(tmp_path):
    pipeline = """\
  pipelines:
    - key: p
      name: Lejek
      customer_type: __TYPE__
      sale_form: przetargowa
      product_line: Usługi IT
      stages: [{key: a, name: A, probability: 10}]
"""
    path = _scenario(tmp_path, minimal() + pipeline.replace("__TYPE__", "sektor_publiczny"))
    loaded = load_scenario_file(path, expected_id="broken").seed["pipelines"][0]
    assert (loaded["customer_type"], loaded["sale_form"], loaded["product_line"]) == (
        "sektor_publiczny",
        "przetargowa",
        "Usługi IT",
    )
    errors = _errors(_scenario(tmp_path, minimal() + pipeline.replace("__TYPE__", "urzedy")))
    assert any(
        e.startswith(f"{path}:17: seed/pipelines/0/customer_type: niedozwolona wartość 'urzedy'") for e in errors
    )


def test_missing_file_is_a_located_error(tmp_path):
    with pytest.raises(ContentError, match="plik scenariusza nie istnieje"):
        load_scenario_file(tmp_path / "nie-ma" / "scenario.yaml")


def test_a_company_pesel_in_seed_is_a_valid_one_of_a_sole_trader(tmp_path):
    text = (
        minimal("779-463-05-39", "ja")
        + """\
    - {key: jdg, name: Jan Kowalski Usługi, legal_form: jdg, pesel: "44051401358", data_source: ceidg, owner: ja}
    - {key: spolka, name: Spółka, legal_form: spolka_z_oo, pesel: "44051401359", data_source: krs, owner: ja}
    - {key: sc, name: Wspólnicy s.c., legal_form: spolka_cywilna, krs: "0000253193", data_source: ceidg, owner: ja}
"""
    )
    errors = _errors(_scenario(tmp_path, text))
    assert any("seed/accounts/1/pesel: PESEL ma niepoprawną cyfrę kontrolną" in e for e in errors), errors
    assert any("seed/accounts/2/pesel: PESEL podaje się tylko dla jednoosobowej działalności" in e for e in errors)
    assert any("seed/accounts/3/krs: Spółka cywilna nie jest wpisywana do KRS" in e for e in errors)


def test_practice_has_a_sole_trader_with_its_owners_pesel(practice):
    sole_traders = [a for a in practice.seed["accounts"] if a.get("legal_form") == "jdg"]
    assert [a["key"] for a in sole_traders] == ["piekarnia"] and not sole_traders[0].get("krs")
    owner = next(c for c in practice.seed["contacts"] if c["key"] == "anna-mazur")
    assert pesel.is_valid(sole_traders[0]["pesel"]) and sole_traders[0]["pesel"] == owner["pesel"]
    gus = [g for g in practice.data["registers"]["gus"] if g.get("nip") == sole_traders[0]["nip"]]
    assert gus[0]["unit_type"] == "F" and "pesel" not in gus[0]  # GUS does not publish a sole trader's PESEL


def test_register_fixture_of_a_natural_person_is_a_sole_traders_without_krs(tmp_path):
    text = (
        minimal("779-463-05-39", "ja")
        + """\
registers:
  gus:
    - {nip: "779-463-05-39", name: Jan Kowalski, unit_type: F, legal_form: spolka_z_oo}
    - {nip: "779-463-05-39", name: Jan Kowalski Usługi, legal_form: jdg, krs: "0000253193"}
"""
    )
    errors = _errors(_scenario(tmp_path, text))
    assert any("registers/gus/0/legal_form: podmiot typu F to osoba fizyczna" in e for e in errors), errors
    assert any(
        "registers/gus/1/krs: Jednoosobowa działalność gospodarcza nie jest wpisywana do KRS" in e for e in errors
    )
