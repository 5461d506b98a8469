"""Check types: each passes and fails on a real instance; normalisation; the registry refuses duplicate names."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import event, text

from simulator import checks, evaluation
from simulator.checks import CheckType, DuplicateCheckType, ParamProblems
from simulator.checks.normalise import normalise, parse_number, phone_digits
from simulator.storage import store_for


def _evaluate(crm, check_type: str, params: dict, task: dict | None = None):
    scenario = evaluation.instance_scenario(crm.root, crm.info.instance_id)
    with store_for(crm.root).connect(crm.info.instance_id) as conn:
        snap = evaluation.snapshot_for(conn, scenario, task or {"key": "test", "answers": []})
        return checks.get_type(check_type).evaluate(snap, params)


ACCOUNT = {
    "name": "Zielona Dolina sp. z o.o.",
    "nip": "586-213-47-06",
    "city": "Łódź",
    "data_source": "targi",
    "owner_id": "1",
}


# -- normalisation -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "options", "expected"),
    [
        ("  TECHBUD  Sp. z o.o. ", ("case", "whitespace"), "techbud sp. z o.o."),
        ("Łódź", ("diacritics",), "Lodz"),
        ("Żółć Gęślą", ("case", "diacritics"), "zolc gesla"),
        ("ul.\u00a0Długa\t5", ("whitespace",), "ul. Długa 5"),
        ("779-463-05-39", ("digits",), "7794630539"),
        ("PL 779 463 05 39", ("digits",), "7794630539"),
        ("Łódź", ("case",), "łódź"),  # diacritics kept unless asked: „Łódź” ≠ „Lodz” by default
        (None, ("case",), ""),
    ],
)
def test_normalisation_table(value, options, expected):
    assert normalise(value, options) == expected


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("12 500,50", "12500.50"),
        ("12500.5", "12500.5"),
        ("48 000 zł", "48000"),
        ("50%", "50"),
        ("1,234.5", None),
        ("12.500,50", "12500.50"),  # dots grouping thousands beside a decimal comma
        ("1.250.000 zł", "1250000"),  # or more than once
        ("0.500", "0.500"),
        ("12.50.0", None),
        ("abc", None),
        ("", None),
    ],
)
def test_numbers_are_read_the_polish_way(typed, number):
    assert parse_number(typed) == (Decimal(number) if number else None)


def test_phone_numbers_compare_without_the_country_code():
    assert phone_digits("+48586201475") == phone_digits("58 620 14 75") == "586201475"


# -- registry ------------------------------------------------------------------------------------------------
def test_registry_lists_the_built_in_types():
    assert set(checks.type_names()) >= {
        "record_exists",
        "field_equals",
        "count",
        "event_exists",
        "report_matches",
        "answer_equals",
    }


def test_registering_a_duplicate_name_is_refused():
    class AnotherCount(CheckType):
        name = "count"
        label = "inna liczba"
        schema = {"type": "object"}  # noqa: RUF012

    with pytest.raises(DuplicateCheckType, match="count"):
        checks.register(AnotherCount)
    assert type(checks.get_type("count")).__name__ == "Count"


def test_a_new_type_can_be_registered_once():
    class Always(CheckType):
        name = "test_always"
        label = "zawsze"
        schema = {"type": "object"}  # noqa: RUF012

        def evaluate(self, snapshot, params):
            return checks.CheckResult(1.0, "ok")

    try:
        checks.register(Always)
        assert checks.get_type("test_always").evaluate(None, {}).passed
        with pytest.raises(DuplicateCheckType):
            checks.register(Always)
    finally:
        checks.unregister("test_always")


# -- record_exists / count -------------------------------------------------------------------------------------
def test_record_exists_fails_then_passes_with_evidence(crm):
    params = {"entity": "account", "where": {"nip": "5862134706", "city": "lodz"}}
    assert not _evaluate(crm, "record_exists", params).passed
    assert crm.post("accounts/new", ACCOUNT).status_code == 302
    assert not _evaluate(crm, "record_exists", params).passed  # „Łódź” is not „lodz” without the diacritics option
    params["where"]["city"] = {"contains": "lodz"}  # contains folds diacritics
    result = _evaluate(crm, "record_exists", params)
    assert result.passed and result.observed == 1
    created = crm.log("account.created")[-1]
    assert created["seq"] in result.event_seqs


def test_offer_template_text_is_checkable_through_its_versions(crm):
    params = {
        "entity": "offer_template_version",
        "where": {
            "template.name": "Oferta IT",
            "subject": {"contains": "oferta.numer"},
            "body": {"contains": "firma.nip"},
        },
    }
    assert not _evaluate(crm, "record_exists", params).passed
    body = "Dla {{ firma.nazwa }} (NIP {{ firma.nip }})"
    assert (
        crm.post(
            "offers/templates/new", {"name": "Oferta IT", "subject": "Oferta {{ oferta.numer }}", "body": body}
        ).status_code
        == 302
    )
    result = _evaluate(crm, "record_exists", params)
    assert result.passed and result.observed == 1
    params["where"]["body"] = {"contains": "suma_brutto"}
    assert not _evaluate(crm, "record_exists", params).passed


def test_count_with_min_max_equals_and_new_records_only(crm):
    sent_all = {"entity": "offer", "where": {"status": "wyslana"}}
    sent_new = {"entity": "offer", "where": {"status": "wyslana", "new": True}}
    assert _evaluate(crm, "count", {**sent_all, "equals": 1}).passed  # the seed's sample offer
    assert not _evaluate(crm, "count", {**sent_new, "min": 1}).passed
    assert _evaluate(crm, "count", {**sent_new, "max": 0}).passed
    opportunities = {"entity": "opportunity", "where": {"value": {"gte": 1, "lte": 10**9}, "status": "otwarta"}}
    result = _evaluate(crm, "count", {**opportunities, "min": 5})
    assert not result.passed and result.observed == 4 and "co najmniej 5" in result.detail


# -- field_equals --------------------------------------------------------------------------------------------
def test_field_equals_normalises_and_gives_partial_credit(crm):
    params = {
        "entity": "account",
        "where": {"key": "techbud"},
        "fields": {
            "name": "  TECHBUD sp. z o.o. ",
            "nip": "779 463 05 39",
            "phone": "+48 61 842 17 30",
            "city": "Gdańsk",
        },
    }
    result = _evaluate(crm, "field_equals", params)
    assert result.fraction == 0.75 and "city" in result.detail
    assert result.observed["city"] == "Poznań"
    assert _evaluate(
        crm, "field_equals", {**params, "fields": {"city": "poznan"}, "normalise": ["case", "diacritics"]}
    ).passed
    assert not _evaluate(crm, "field_equals", {**params, "fields": {"city": "poznan"}}).passed


def test_field_equals_follows_references_and_seed_keys(crm):
    params = {
        "entity": "opportunity",
        "where": {"key": "techbud-crm"},
        "fields": {"stage": "b2b.analiza", "account.city": "Poznań", "owner": "ja"},
    }
    assert _evaluate(crm, "field_equals", params).passed
    missing = _evaluate(crm, "field_equals", {**params, "where": {"key": "techbud-crm", "status": "wygrana"}})
    assert not missing.passed and "nie znaleziono" in missing.detail


def test_field_equals_reads_a_pipelines_customer_type_and_form_of_sale(crm):
    from simulator.checks import vocabulary as voc

    assert voc.field("pipeline", "customer_type").kind == "enum" and voc.field("pipeline", "sale_form").kind == "enum"
    assert voc.field("pipeline", "product_line").kind == "text"
    seeded = {"entity": "pipeline", "where": {"key": "b2b"}, "fields": {"customer_type": "firmy"}}
    assert _evaluate(
        crm, "field_equals", {**seeded, "fields": {**seeded["fields"], "sale_form": "bezposrednia"}}
    ).passed
    public = {
        "entity": "pipeline",
        "where": {"new": True, "name": {"contains": "Zamówienia publiczne"}},
        "fields": {"customer_type": "sektor_publiczny", "sale_form": "przetargowa"},
    }
    assert not _evaluate(crm, "field_equals", public).passed
    crm.post("pipelines/new", {"name": "Zamówienia publiczne", "customer_type": "sektor_publiczny"})
    half = _evaluate(crm, "field_equals", public)
    assert half.fraction == 0.5 and "sale_form" in half.detail
    assert half.observed == {"customer_type": "sektor_publiczny", "sale_form": None}
    crm.post("pipelines/2/edit", {"name": "Zamówienia publiczne", "sale_form": "przetargowa"})
    result = _evaluate(crm, "field_equals", public)
    assert result.passed and crm.log("pipeline.updated")[-1]["seq"] in result.event_seqs
    stage = {"entity": "stage", "where": {"pipeline.customer_type": "firmy"}, "min": 6}
    assert _evaluate(crm, "count", stage).passed  # a stage is found by its pipeline's customer type


# -- event_exists --------------------------------------------------------------------------------------------------
def test_event_exists_counts_only_the_candidates_actions_after_start(crm):
    params = {"action": "activity.completed", "entity": "activity", "where": {"key": "techbud-warsztat"}}
    assert not _evaluate(crm, "event_exists", params).passed
    assert not _evaluate(crm, "event_exists", {"action": "instance.*"}).passed  # system, not the candidate
    assert _evaluate(crm, "event_exists", {"action": "instance.*", "actor": "system", "after_start": False}).passed
    assert crm.post("activities/2/complete").status_code == 302
    result = _evaluate(crm, "event_exists", {**params, "account": "techbud"})
    assert result.passed and result.event_seqs == [crm.log("activity.completed")[-1]["seq"]]
    assert not _evaluate(crm, "event_exists", {**params, "min": 2}).passed
    assert not _evaluate(crm, "event_exists", {**params, "account": "salus"}).passed


# -- report_matches --------------------------------------------------------------------------------------------------
REPORT = {
    "source": "opportunities",
    "filters": [{"field": "status", "op": "eq", "value": "otwarta"}],
    "group_by": ["stage"],
    "aggregates": [{"fn": "sum", "field": "value"}],
}


def test_report_matches_ignores_seeded_reports_and_scores_parts(crm):
    params = {
        "source": "opportunities",
        "group_by": ["stage"],
        "aggregates": [{"fn": "sum", "field": "value"}],
        "filters": [{"field": "status", "value": "Otwarta"}],
        "name_contains": "etap",
    }
    assert (
        _evaluate(crm, "report_matches", params).fraction == 0
    )  # the seed has such a report; it is not the candidate's
    partial = {**REPORT, "group_by": ["owner"]}
    crm.post("reports/save", {"name": "Szanse wg etapów", "definition": json.dumps(partial)})
    result = _evaluate(crm, "report_matches", params)
    assert 0 < result.fraction < 1 and "grupowanie" in result.detail
    crm.post("reports/save", {"name": "Otwarte szanse wg etapów", "definition": json.dumps(REPORT)})
    assert _evaluate(crm, "report_matches", params).passed
    assert _evaluate(crm, "report_matches", {**params, "compare_rows": True}).passed


def test_report_matches_by_computed_rows(crm):
    params = {
        "source": "opportunities",
        "group_by": ["stage"],
        "aggregates": [{"fn": "sum", "field": "value"}],
        "compare_rows": True,
    }
    wrong = {**REPORT, "aggregates": [{"fn": "count"}]}
    crm.post("reports/save", {"name": "Liczba szans", "definition": json.dumps(wrong)})
    assert not _evaluate(crm, "report_matches", params).passed


def _statements_on(conn, table: str) -> list[str]:
    """Start recording the statements ``conn`` runs that read ``table``; return the growing list."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if re.search(rf"\bFROM {table}\b", statement):
            seen.append(statement)

    event.listen(conn, "before_cursor_execute", record)
    return seen


def test_report_checks_of_one_evaluation_share_the_rows_of_their_source(crm):
    """Every report check of an evaluation reads a source's rows once (the engine never changes a row)."""
    params = {
        "source": "opportunities",
        "group_by": ["stage"],
        "aggregates": [{"fn": "sum", "field": "value"}],
        "compare_rows": True,
    }
    definition = {key: params[key] for key in ("source", "group_by", "aggregates")}
    crm.post("reports/save", {"name": "Wartość etapów", "definition": json.dumps(definition)})
    scenario = evaluation.instance_scenario(crm.root, crm.info.instance_id)
    with store_for(crm.root).connect(crm.info.instance_id) as conn:
        snap = evaluation.snapshot_for(conn, scenario, {"key": "test", "answers": []})
        reads = _statements_on(conn, "opportunity")
        first = checks.get_type("report_matches").evaluate(snap, params)
        after_first = len(reads)
        second = checks.get_type("report_matches").evaluate(snap, {**params, "group_by": ["owner"]})
        assert after_first >= 1
        assert len(reads) == after_first
    assert first.passed
    assert not second.passed  # the shared rows still give each definition its own result
    assert "wynik (wiersze raportu)" in second.detail


def test_report_matches_reads_the_comparison_of_periods_the_pivot_and_the_chart(crm):
    compare = {
        "source": "opportunities",
        "aggregates": [{"fn": "sum", "field": "value"}],
        "compare": {"field": "expected_close", "preset": "month"},
        "chart": "bar",
    }
    pivot = {"source": "opportunities", "pivot": {"rows": "owner", "columns": "stage"}, "chart": ["table", "bar"]}
    crm.post(
        "reports/save",
        {"name": "Wartość: ten miesiąc i poprzedni", "definition": json.dumps({**compare, "chart": "pie"})},
    )
    result = _evaluate(crm, "report_matches", compare)
    assert 0 < result.fraction < 1 and "forma prezentacji" in result.detail
    assert not _evaluate(
        crm, "report_matches", {**compare, "compare": {"field": "expected_close", "preset": "quarter"}}
    ).passed
    assert _evaluate(crm, "report_matches", {**compare, "chart": ["bar", "pie"]}).passed
    assert _evaluate(crm, "report_matches", {**compare, "chart": "pie", "compare_rows": True}).passed
    assert "tabela przestawna" in _evaluate(crm, "report_matches", pivot).detail
    crm.post("reports/save", {"name": "Szanse: opiekun × etap", "definition": json.dumps({**pivot, "chart": "table"})})
    assert _evaluate(crm, "report_matches", pivot).passed
    assert not _evaluate(
        crm, "report_matches", {**pivot, "pivot": {"rows": "owner", "columns": "stage", "fn": "sum", "field": "value"}}
    ).passed


QUARTERS = {"a_from": "2026-01-01", "a_to": "2026-03-31", "b_from": "2025-10-01", "b_to": "2025-12-31"}


def test_report_matches_reads_own_periods_of_a_comparison_in_either_order(crm):
    params = {"source": "opportunities", "compare": {"field": "closed_on", "preset": "custom", **QUARTERS}}
    swapped = {"a_from": "2025-10-01", "a_to": "2025-12-31", "b_from": "2026-01-01", "b_to": "2026-03-31"}
    saved = {"source": "opportunities", "compare": {"field": "closed_on", "preset": "custom", **swapped}}
    crm.post("reports/save", {"name": "Wygrane: dwa kwartały", "definition": json.dumps(saved)})
    assert _evaluate(crm, "report_matches", params).passed  # the same two periods, current and previous swapped
    february = {**params["compare"], "a_to": "2026-02-28"}
    result = _evaluate(crm, "report_matches", {**params, "compare": february})
    assert not result.passed and "porównanie dwóch okresów" in result.detail
    preset_only = {"source": "opportunities", "compare": {"field": "closed_on", "preset": "custom"}}
    assert _evaluate(crm, "report_matches", preset_only).passed  # no periods given: any own periods
    quarter = {"source": "opportunities", "compare": {"field": "closed_on", "preset": "quarter"}}
    crm.post("reports/save", {"name": "Ten kwartał i poprzedni", "definition": json.dumps(quarter)})
    assert not _evaluate(crm, "report_matches", {**params, "name_contains": "ten kwartał"}).passed


def test_report_matches_params_need_all_bounds_of_own_periods_in_order():
    kind = checks.get_type("report_matches")
    problems: list = []
    kind.check_params(
        {"source": "opportunities", "compare": {"field": "closed_on", "preset": "quarter", **QUARTERS}},
        ParamProblems(report=lambda p, m: problems.append((p, m)), seed_ids={}, answers={}, variables=frozenset()),
    )
    assert [p for p, _ in problems] == [("compare", "preset")]
    problems.clear()
    reversed_a = {**QUARTERS, "a_from": "2026-04-01"}
    kind.check_params(
        {"source": "opportunities", "compare": {"field": "closed_on", "preset": "custom", **reversed_a}},
        ParamProblems(report=lambda p, m: problems.append((p, m)), seed_ids={}, answers={}, variables=frozenset()),
    )
    assert [p for p, _ in problems] == [("compare", "a_to")]
    problems.clear()
    kind.check_params(
        {"source": "opportunities", "compare": {"field": "closed_on", "preset": "custom", "a_from": "2026-01-01"}},
        ParamProblems(report=lambda p, m: problems.append((p, m)), seed_ids={}, answers={}, variables=frozenset()),
    )
    assert [p for p, _ in problems] == [("compare",)]


def test_report_matches_params_name_fields_of_the_source():
    kind = checks.get_type("report_matches")
    problems: list = []
    kind.check_params(
        {"source": "opportunities", "compare": {"field": "nie_ma"}, "pivot": {"rows": "owner", "columns": "x"}},
        ParamProblems(report=lambda p, m: problems.append((p, m)), seed_ids={}, answers={}, variables=frozenset()),
    )
    assert {p for p, _ in problems} == {("compare", "field"), ("pivot", "columns"), ("pivot",)}


WON_BY_OWNER = {
    "source": "opportunities",
    "group_by": ["owner"],
    "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "value"}],
    "compare": {"field": "closed_on", "preset": "custom", **QUARTERS},
    "chart": "bar",
}


def test_report_matches_reads_the_measure_the_chart_plots_wherever_it_stands(crm):
    value = {"source": "opportunities", "chart": "bar", "chart_measure": {"fn": "sum", "field": "value"}}
    count = {**value, "chart_measure": {"fn": "count"}}
    crm.post("reports/save", {"name": "Kwartały: liczba", "definition": json.dumps(WON_BY_OWNER)})
    result = _evaluate(crm, "report_matches", {**value, "name_contains": "liczba"})
    assert not result.passed and result.fraction == 3 / 4 and "miara na wykresie" in result.detail
    assert result.expected["chart_measure"] == {"fn": "sum", "field": "value"}
    assert _evaluate(crm, "report_matches", {**count, "name_contains": "liczba"}).passed  # the first by default
    crm.post(
        "reports/save", {"name": "Kwartały: wartość", "definition": json.dumps({**WON_BY_OWNER, "chart_measure": 1})}
    )
    assert _evaluate(crm, "report_matches", {**value, "name_contains": "wartość"}).passed
    assert not _evaluate(crm, "report_matches", {**count, "name_contains": "wartość"}).passed
    first = {**WON_BY_OWNER, "aggregates": WON_BY_OWNER["aggregates"][::-1]}  # sum first: plotted without a choice
    crm.post("reports/save", {"name": "Kwartały: suma", "definition": json.dumps(first)})
    assert _evaluate(crm, "report_matches", {**value, "name_contains": "suma"}).passed
    table = {**WON_BY_OWNER, "chart": "table", "chart_measure": 1}  # a table plots nothing
    crm.post("reports/save", {"name": "Kwartały: tabela", "definition": json.dumps(table)})
    assert not _evaluate(crm, "report_matches", {**value, "chart": "table", "name_contains": "tabela"}).passed


def _problems(params: dict) -> list[tuple]:
    problems: list = []
    checks.get_type("report_matches").check_params(
        params,
        ParamProblems(report=lambda p, m: problems.append((p, m)), seed_ids={}, answers={}, variables=frozenset()),
    )
    return problems


def test_report_matches_params_name_a_chartable_measure_of_the_source():
    for measure, where in [
        ({"fn": "sum", "field": "nie_ma"}, ("chart_measure", "field")),
        ({"fn": "max", "field": "closed_on"}, ("chart_measure", "field")),  # a date: never drawn
        ({"fn": "avg"}, ("chart_measure",)),
    ]:
        problems = _problems({"source": "opportunities", "chart_measure": measure})
        assert [p for p, _ in problems] == [where], (measure, problems)
    for measure in ({"fn": "count"}, {"fn": "sum", "field": "value"}, {"fn": "max", "field": "probability"}):
        assert _problems({"source": "opportunities", "chart_measure": measure}) == []


MEASURE_TASK = """\
tasks:
  - key: raport
    title: Raport z wykresem
    criteria: ["2.5.5"]
    minutes: 5
    instructions: Zapisz raport.
    checks:
      - type: report_matches
        params:
          source: opportunities
          chart: bar
          chart_measure: {fn: sum, field: value}
        points: 1
        commission: Brak wykresu wartości.
    solve:
      - {method: POST, path: reports/save, data: {name: Raport, definition: "{}"}}
"""


@pytest.mark.parametrize(
    ("measure", "message"),
    [
        ("{fn: sum, field: wartosc}", "params/chart_measure/field: źródło „opportunities” nie ma pola „wartosc”"),
        ("{fn: sum, field: closed_on}", "params/chart_measure/field: pole „closed_on” nie jest liczbą ani kwotą"),
        ("{fn: mediana, field: value}", "params/chart_measure/fn: niedozwolona wartość 'mediana'"),
        ("{fn: sum, field: value, size: 2}", "nieznane pole: „size”"),
    ],
)
def test_a_bad_chart_measure_of_report_matches_is_a_located_load_error(measure, message):
    from simulator.content import ContentError
    from simulator.scenario import SCENARIOS_DIR, parse_scenario

    practice = (SCENARIOS_DIR / "practice" / "scenario.yaml").read_text(encoding="utf-8")
    text = practice[: practice.index("\ntasks:")] + "\n" + MEASURE_TASK.replace("{fn: sum, field: value}", measure)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "chart_measure:" in row)
    with pytest.raises(ContentError) as caught:
        parse_scenario(text.encode(), "scenario.yaml", SCENARIOS_DIR / "nie-ma" / "scenario.yaml")
    errors = [str(e) for e in caught.value.errors]
    assert any(e.startswith(f"scenario.yaml:{line}: tasks/0/checks/0/") and message in e for e in errors), errors


# -- answer_equals ------------------------------------------------------------------------------------------------
TASK = {
    "key": "odczyt-wartosci",
    "answers": [{"key": "negocjacje", "kind": "number"}, {"key": "stopien", "kind": "number"}],
}
SUM = {
    "answer": "negocjacje",
    "expected": {
        "fn": "sum",
        "entity": "opportunity",
        "field": "value",
        "where": {"status": "otwarta", "stage": "b2b.negocjacje"},
    },
}


def _live_value(crm) -> Decimal:
    return Decimal(crm.one("SELECT value FROM opportunity WHERE id = 2")) / 100


def test_answer_equals_compares_with_the_value_computed_at_check_time(crm):
    assert "nie podał" in _evaluate(crm, "answer_equals", SUM, TASK).detail
    value = _live_value(crm)
    typed = f"{value:,.2f}".replace(",", " ").replace(".", ",")  # "123 400,00"
    crm.post("zadania", {"task": "odczyt-wartosci", "negocjacje": typed})
    result = _evaluate(crm, "answer_equals", SUM, TASK)
    assert result.passed and result.event_seqs == [crm.log("task.answer_saved")[-1]["seq"]]
    crm.post(
        "opportunities/2/edit",
        {
            "name": "CRM z integracją z systemem ERP",
            "account_id": "3",
            "contact_id": "5",
            "value": str(value + 1000),
            "stage_id": "4",
            "owner_id": "2",
            "status": "otwarta",
        },
    )
    assert _live_value(crm) == value + 1000
    assert not _evaluate(crm, "answer_equals", SUM, TASK).passed  # the live value changed; the answer did not
    assert _evaluate(crm, "answer_equals", {**SUM, "tolerance": 1000}, TASK).passed


def test_answer_equals_text_and_single_values(crm):
    task = {"key": "t", "answers": [{"key": "miasto", "kind": "text"}]}
    params = {
        "answer": "miasto",
        "expected": {"fn": "value", "entity": "account", "field": "city", "where": {"key": "pryzmat"}},
    }
    scenario = evaluation.instance_scenario(crm.root, crm.info.instance_id)
    with store_for(crm.root).connect(crm.info.instance_id) as conn:
        snap = evaluation.snapshot_for(conn, scenario, task)
        kind = checks.get_type("answer_equals")
        assert kind.expected_value(snap, params) == "Łódź"
        snap.answers = {"miasto": "  lodz "}
        assert kind.evaluate(snap, params).passed  # text answers fold case, spaces and diacritics
        snap.answers = {"miasto": "Zgierz"}
        assert not kind.evaluate(snap, params).passed
        ambiguous = {**params, "expected": {**params["expected"], "where": {"size": "małe"}}}
        assert "nie da się ustalić" in kind.evaluate(snap, ambiguous).detail


def test_task_variables_sum_several_records_and_multiply(crm):
    from types import SimpleNamespace

    from simulator import tasks
    from simulator.checks import vocabulary as voc

    scenario = evaluation.instance_scenario(crm.root, crm.info.instance_id)
    ids = voc.seed_ids(scenario.data)
    spec = {"entity": "product", "field": "net_price"}
    variables = {
        "licence": {**spec, "key": "licencja"},
        "four": {**spec, "key": "licencja", "times": 4},
        "both": {**spec, "key": ["licencja", "konsultacja"]},
    }
    # a scenario with one task holding the three variables (read in one query, as at provisioning)
    test_scenario = SimpleNamespace(
        digest="test-sum-and-times", seed_ids=ids, tasks=[{"key": "t", "variables": variables}]
    )
    with store_for(crm.root).connect(crm.info.instance_id) as conn:
        read = tasks.compute_variables(conn, test_scenario)["t"]
    licence, four, both = read["licence"], read["four"], read["both"]
    price = {
        key: Decimal(crm.one("SELECT net_price FROM product WHERE id = :id", {"id": ids["product"][key]})) / 100
        for key in ("licencja", "konsultacja")
    }
    assert Decimal(licence["value"]) == price["licencja"] and licence["kind"] == "money"
    assert Decimal(four["value"]) == 4 * price["licencja"] and four["kind"] == "money"
    assert Decimal(both["value"]) == price["licencja"] + price["konsultacja"]


def test_weighted_value_of_opportunities_is_rounded_per_record_like_the_reports(crm):
    task = {"key": "w", "answers": [{"key": "w", "kind": "number"}]}
    params = {
        "answer": "w",
        "expected": {"fn": "sum", "entity": "opportunity", "field": "weighted", "where": {"status": "otwarta"}},
    }
    scenario = evaluation.instance_scenario(crm.root, crm.info.instance_id)
    with store_for(crm.root).connect(crm.info.instance_id) as conn:
        snap = evaluation.snapshot_for(conn, scenario, task)
        computed = checks.get_type("answer_equals").expected_value(snap, params)
        pairs = conn.execute(text("SELECT value, probability FROM opportunity WHERE status = 'otwarta'")).all()
    expected = sum(
        ((Decimal(v) / 100 * p / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") for v, p in pairs),
        Decimal(0),
    )
    assert pairs and computed == expected


def test_checks_read_the_currency_of_opportunities_and_never_add_up_two_currencies(crm):
    from simulator.checks import vocabulary as voc

    assert voc.field("opportunity", "currency").kind == "enum"
    data = {"name": "Licencje dla Wiednia", "account_id": "1", "value": "12000", "stage_id": "1", "owner_id": "1"}
    assert crm.post("opportunities/new", {**data, "currency": "EUR"}).status_code == 302
    euro = {"entity": "opportunity", "where": {"name": "Licencje dla Wiednia", "new": True}}
    assert _evaluate(crm, "field_equals", {**euro, "fields": {"currency": "EUR", "value": "12 000,00"}}).passed
    assert not _evaluate(crm, "field_equals", {**euro, "fields": {"currency": "PLN"}}).passed
    assert _evaluate(crm, "count", {"entity": "opportunity", "where": {"currency": "EUR"}, "equals": 1}).passed
    task = {"key": "t", "answers": [{"key": "a", "kind": "number"}]}
    kind = checks.get_type("answer_equals")
    scenario = evaluation.instance_scenario(crm.root, crm.info.instance_id)
    pln = crm.one("SELECT sum(value) FROM opportunity WHERE status = 'otwarta' AND currency = 'PLN'")
    with store_for(crm.root).connect(crm.info.instance_id) as conn:
        snap = evaluation.snapshot_for(conn, scenario, task)
        open_sum = {"fn": "sum", "entity": "opportunity", "field": "value", "where": {"status": "otwarta"}}
        assert kind.expected_value(snap, {"answer": "a", "expected": open_sum}) == Decimal(pln) / 100
        in_euro = {**open_sum, "where": {"status": "otwarta", "currency": "EUR"}}
        assert kind.expected_value(snap, {"answer": "a", "expected": in_euro}) == Decimal("12000")
        count = {**open_sum, "fn": "count"}
        assert kind.expected_value(snap, {"answer": "a", "expected": count}) == 5  # a count counts every currency


def test_checks_read_the_legal_form_and_a_sole_traders_pesel(crm):
    from simulator.checks import vocabulary as voc

    assert voc.field("account", "legal_form").kind == "enum" and voc.field("account", "pesel").kind == "identifier"
    problems: list = []
    ids = voc.seed_ids(evaluation.instance_scenario(crm.root, crm.info.instance_id).data)
    params = {"entity": "account", "where": {"key": "piekarnia"}, "fields": {"legal_form": "jdg", "pesel": "x"}}
    report = ParamProblems(report=lambda p, m: problems.append((p, m)), seed_ids=ids, answers={}, variables=frozenset())
    checks.get_type("field_equals").check_params(params, report)
    assert problems == []  # a scenario may name both fields
    seeded = {"entity": "account", "where": {"key": "piekarnia"}}
    assert _evaluate(crm, "field_equals", {**seeded, "fields": {"legal_form": "jdg", "pesel": "790514 98720"}}).passed
    assert not _evaluate(crm, "field_equals", {**seeded, "fields": {"legal_form": "spolka_cywilna"}}).passed
    new_sole_trader = {"entity": "account", "where": {"new": True, "legal_form": "jdg", "pesel": {"empty": False}}}
    assert not _evaluate(crm, "record_exists", new_sole_trader).passed
    account = {"name": "Ogrody Jan Zieliński", "legal_form": "jdg", "pesel": "44051401359", "owner_id": "1"}
    assert crm.post("accounts/new", {**account, "data_source": "ceidg"}).status_code == 302
    assert _evaluate(crm, "record_exists", new_sole_trader).passed
    assert _evaluate(crm, "count", {"entity": "account", "where": {"legal_form": "spolka_z_oo"}, "equals": 7}).passed
