"""Tasks in scenario files: malformed tasks are refused on load with clear Polish messages at file:line."""

from __future__ import annotations

import pytest

from simulator.content import ContentError
from simulator.scenario import SCENARIOS_DIR, parse_scenario

PRACTICE = (SCENARIOS_DIR / "practice" / "scenario.yaml").read_text(encoding="utf-8")
SEED_ONLY = PRACTICE[: PRACTICE.index("\ntasks:")] + "\n"

GOOD_TASK = """\
tasks:
  - key: zadanie
    title: Zadanie testowe
    criteria: ["1.2.2"]
    minutes: 5
    instructions: Załóż firmę {{ firma }}.
    variables:
      firma: {entity: account, key: techbud, field: name}
    answers:
      - {key: suma, label: Suma, kind: number}
    checks:
      - type: record_exists
        params: {entity: account, where: {nip: "5862134706"}}
        points: 1
        commission: Brak firmy.
      - type: answer_equals
        params: {answer: suma, expected: {fn: count, entity: account}}
        points: 1
        commission: Zła suma.
    solve:
      - {method: POST, path: accounts/new, data: {name: X}, save: {firma: "accounts/(\\\\d+)"}}
      - {method: POST, path: "accounts/{{ saved.firma }}/edit", data: {name: Y}}
      - {answer: suma}
"""


def _errors(tasks_yaml: str) -> list[str]:
    text = SEED_ONLY + tasks_yaml
    with pytest.raises(ContentError) as caught:
        parse_scenario(text.encode(), "scenario.yaml", SCENARIOS_DIR / "nie-ma" / "scenario.yaml")
    return [str(e) for e in caught.value.errors]


def _line(text: str) -> int:
    """Return the line of ``text`` in the composed file (1-based)."""
    lines = (SEED_ONLY + GOOD_TASK).splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_a_well_formed_task_loads():
    scenario = parse_scenario((SEED_ONLY + GOOD_TASK).encode(), "scenario.yaml", SCENARIOS_DIR / "nie-ma" / "s.yaml")
    assert [t["key"] for t in scenario.tasks] == ["zadanie"]


@pytest.mark.parametrize(
    ("old", "new", "anchor", "message"),
    [
        ("type: record_exists", "type: record_exist", "type: record_exist", "nieznany typ sprawdzenia „record_exist”"),
        ('criteria: ["1.2.2"]', 'criteria: ["9.9.9"]', "criteria:", "nie ma kryterium „9.9.9”"),
        (
            'criteria: ["1.2.2"]',
            'criteria: ["1.1.1"]',
            "criteria:",
            "kryterium „1.1.1” nie jest weryfikowane symulacją",
        ),
        (
            "params: {entity: account, where: {nip",
            "params: {where: {nip",
            "params: {where",
            "brak wymaganego pola: „entity”",
        ),
        (
            'where: {nip: "5862134706"}',
            'where: {numer: "5862134706"}',
            "where: {numer",
            "encja „account” nie ma pola „numer”",
        ),
        (
            'where: {nip: "5862134706"}',
            "where: {key: nie-ma-takiej}",
            "key: nie-ma-takiej",
            "nie ma rekordu „firma” (account) o kluczu „nie-ma-takiej”",
        ),
        ('where: {nip: "5862134706"}', 'where: {nip: {like: "58"}}', "like:", "nieznany warunek „like”"),
        (
            "{{ saved.firma }}/edit",
            "{{ saved.firmy }}/edit",
            "saved.firmy",
            "żaden wcześniejszy krok nie zapisał „firmy”",
        ),
        ("path: accounts/new", "path: /accounts/new", "path: /accounts", "ścieżka musi być względna"),
        ("{answer: suma}", "{answer: razem}", "{answer: razem}", "zadanie nie ma pola odpowiedzi „razem”"),
        ("Załóż firmę {{ firma }}.", "Załóż firmę {{ nazwa }}.", "{{ nazwa }}", "nie ma takiej zmiennej"),
        ("key: techbud, field: name}", "key: techbud, field: nazwa}", "field: nazwa", "nie ma pola „nazwa”"),
        ("key: techbud, field: name}", "key: techbud, field: name, times: 4}", "times: 4", "tylko pole liczbowe"),
        ("key: techbud, field: name}", "key: [techbud, brak], field: name}", "[techbud, brak]", "o kluczu „brak”"),
        (
            "points: 1\n        commission: Brak firmy.",
            "points: 1\n        partial: proportional\n        commission: Brak firmy.",
            "partial: proportional",
            "nie przyznaje części punktów",
        ),
        (
            'type: record_exists\n        params: {entity: account, where: {nip: "5862134706"}}',
            'type: field_equals\n        params: {entity: account, where: {nip: "5862134706"}, fields: {name: Y}}\n'
            "        partial: proportional\n        critical: true",
            "critical: true",
            "sprawdzenie krytyczne przyznaje punkty w całości albo wcale",
        ),
        (
            "{method: POST, path: accounts/new",
            "{method: PUT, path: accounts/new",
            "method: PUT",
            "wartość nie pasuje do żadnego z dozwolonych kształtów",
        ),
    ],
)
def test_malformed_task_is_refused_with_a_located_polish_message(old, new, anchor, message):
    assert old in GOOD_TASK
    broken = GOOD_TASK.replace(old, new, 1)
    errors = _errors(broken)
    lines = (SEED_ONLY + broken).splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if anchor in text)
    matching = [e for e in errors if message in e]
    assert matching, errors
    assert any(e.startswith(f"scenario.yaml:{line}:") for e in matching), (line, matching)


def test_an_answer_no_check_reads_is_refused():
    errors = _errors(
        GOOD_TASK.replace(
            "      - {key: suma, label: Suma, kind: number}\n",
            "      - {key: suma, label: Suma, kind: number}\n      - {key: inne, label: Inne, kind: text}\n",
        )
    )
    assert any("pole odpowiedzi „inne” nie jest sprawdzane" in e for e in errors)


def test_duplicate_task_keys_are_refused():
    body = GOOD_TASK.removeprefix("tasks:\n")
    errors = _errors("tasks:\n" + body + body)
    assert any("klucz zadania „zadanie” powtórzony" in e for e in errors)


def test_builds_on_must_name_an_earlier_task():
    """A task may declare the earlier tasks its solve repeats; a later or unknown key is a located error."""
    later = GOOD_TASK.replace("    minutes: 5\n", "    minutes: 5\n    builds_on: [drugie]\n", 1)
    errors = _errors(later)
    assert any("„drugie” nie jest kluczem wcześniejszego zadania" in e for e in errors), errors
    assert any(f":{_line('minutes: 5') + 1}:" in e for e in errors), errors


SECOND_TASK = """\
  - key: drugie
    title: Zadanie dalsze
    criteria: ["1.2.3"]
    minutes: 5
    instructions: Popraw firmę.
    builds_on: [zadanie]
    checks:
      - type: record_exists
        params: {entity: account, where: {name: Z}}
        points: 1
        commission: Brak poprawki.
    setup:
      - {method: POST, path: accounts/new, data: {name: X}, save: {firma: "accounts/(\\\\d+)"}}
    solve:
      - {method: POST, path: "accounts/{{ saved.firma }}/edit", data: {name: Z}}
"""


def test_a_task_that_builds_on_another_recreates_its_records_in_setup():
    """Solved on its own the task runs ``setup`` first; solved after the earlier task it uses that task's ids."""
    scenario = parse_scenario(
        (SEED_ONLY + GOOD_TASK + SECOND_TASK).encode(), "scenario.yaml", SCENARIOS_DIR / "nie-ma" / "s.yaml"
    )
    second = scenario.tasks[1]
    assert [s["path"] for s in second["setup"]] == ["accounts/new"]
    assert [s["path"] for s in second["solve"]] == ["accounts/{{ saved.firma }}/edit"]


def test_setup_needs_builds_on_and_every_reference_must_resolve_both_ways():
    no_builds_on = SECOND_TASK.replace("    builds_on: [zadanie]\n", "")
    errors = _errors(GOOD_TASK + no_builds_on)
    assert any("„setup” odtwarza rekordy wcześniejszych zadań" in e for e in errors), errors

    # alone: the setup saves nothing, so the solve's reference has no id
    unsaved_alone = SECOND_TASK.replace(', save: {firma: "accounts/(\\\\d+)"}}', "}")
    errors = _errors(GOOD_TASK + unsaved_alone)
    assert any("żaden wcześniejszy krok nie zapisał „firma”" in e for e in errors), errors

    # in order: the earlier task's solve saves the id under another name
    other_name = GOOD_TASK.replace("save: {firma:", "save: {konto:").replace("saved.firma", "saved.konto")
    errors = _errors(other_name + SECOND_TASK)
    assert any("ani zadania z „builds_on” nie zapisały „firma”" in e for e in errors), errors
    assert len(errors) == 1, errors


def test_a_solve_may_write_offer_template_tags_but_not_unknown_references():
    """Offer-template tags in a solve's form data are sent as written; any other unknown placeholder is an error."""
    step = '      - {method: POST, path: offers/templates/new, data: {name: S, subject: "Oferta {{ oferta.numer }}", '
    tags = GOOD_TASK.replace(
        "      - {answer: suma}\n", step + 'body: "{{ firma.nazwa }} {{ pozycje }}"}}\n      - {answer: suma}\n'
    )
    scenario = parse_scenario((SEED_ONLY + tags).encode(), "scenario.yaml", SCENARIOS_DIR / "nie-ma" / "s.yaml")
    assert scenario.tasks[0]["solve"][2]["data"]["body"] == "{{ firma.nazwa }} {{ pozycje }}"
    errors = _errors(tags.replace("{{ firma.nazwa }}", "{{ firma.nazwy }}"))
    assert any("nieznane odwołanie „{{ firma.nazwy }}”" in e for e in errors), errors


def test_a_value_an_enum_field_can_never_hold_is_a_located_error():
    """A typo in an expected status would make the check fail for every candidate."""
    typo = GOOD_TASK.replace(
        '        params: {entity: account, where: {nip: "5862134706"}}\n'
        "        points: 1\n"
        "        commission: Brak firmy.\n",
        "        params: {entity: opportunity, where: {status: otwarta}}\n"
        "        points: 1\n"
        "        commission: Brak firmy.\n"
        "      - type: field_equals\n"
        "        params: {entity: opportunity, where: {key: techbud-crm}, fields: {status: wygrna}}\n"
        "        points: 1\n"
        "        commission: Zły status.\n",
        1,
    )
    assert typo != GOOD_TASK
    errors = _errors(typo)
    assert any("pole „status” nie przyjmuje wartości „wygrna”" in e for e in errors), errors
    assert not any("„otwarta”" in e for e in errors), errors
