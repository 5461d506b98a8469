"""Reports: builder aggregates against hand-computed seed values, filters, periods, pivot, SVG, CSV/XLSX, dashboard."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from simulator.crm.services import charts
from simulator.crm.services.common import CrmError
from simulator.crm.services.reports import periods, validate
from tests.simulator.conftest import Crm, instance_write, text_of

SVG = "{http://www.w3.org/2000/svg}"
ME, MARTA, PIOTR = "Kandydat (Ty)", "Marta Zielińska", "Piotr Wójcik"


def export_csv(crm: Crm, args: dict) -> list[list[str]]:
    response = crm.get("reports/export.csv", query_string=args)
    assert response.status_code == 200, text_of(response)[:300]
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def body_rows(crm: Crm, args: dict) -> dict[str, list[str]]:
    """Return the exported rows keyed by their first cell."""
    return {row[0]: row[1:] for row in export_csv(crm, args)[1:]}


# Seed activities (practice scenario): 9 in all; owners 6 / 2 / 1; done: 2 of mine, 1 of Marta's.
def test_count_and_average_by_owner_match_the_seed(crm):
    rows = body_rows(
        crm, {"source": "activities", "group1": "owner", "a1_fn": "count", "a2_fn": "avg", "a2_field": "percent"}
    )
    assert rows == {ME: ["6", "41,67"], MARTA: ["2", "50,00"], PIOTR: ["1", "0,00"]}


def test_two_level_grouping_with_min_max_and_sum(crm):
    args = {"source": "activities", "group1": "owner", "group2": "done", "a1_fn": "count"}
    args |= {"a2_fn": "sum", "a2_field": "percent", "a3_fn": "max", "a3_field": "due_date"}
    table = export_csv(crm, args)
    assert table[0] == [
        "Osoba odpowiedzialna",
        "Zakończone",
        "Liczba",
        "Suma: Stopień wykonania (%)",
        "Maksimum: Termin",
    ]
    assert table[1:] == [
        [ME, "nie", "4", "50", "20.03.2026"],
        [ME, "tak", "2", "200", "12.03.2026"],
        [MARTA, "nie", "1", "0", "19.03.2026"],
        [MARTA, "tak", "1", "100", "11.03.2026"],
        [PIOTR, "nie", "1", "0", "13.03.2026"],
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"f1_field": "type", "f1_op": "eq", "f1_value": "telefon"}, 3),
        ({"f1_field": "subject", "f1_op": "contains", "f1_value": "OFERT"}, 2),
        ({"f1_field": "percent", "f1_op": "range", "f1_value": "1", "f1_to": "100"}, 4),
        ({"f1_field": "due_date", "f1_op": "date_range", "f1_value": "2026-03-16", "f1_to": "2026-03-19"}, 4),
        (
            {"f1_field": "due_date", "f1_op": "date_range", "f1_value": "2026-03-16", "f1_to": "2026-03-19"}
            | {"f2_field": "owner", "f2_op": "eq", "f2_value": "kandydat (ty)"},
            3,
        ),
        ({"f1_field": "priority", "f1_op": "eq", "f1_value": "wysoki", "f2_field": "done", "f2_value": "tak"}, 1),
    ],
)
def test_filters_combine_with_and(crm, filters, expected):
    table = export_csv(crm, {"source": "activities", "columns": ["subject", "owner"], **filters})
    assert len(table) - 1 == expected


def test_invalid_filter_value_gives_a_polish_message_and_is_logged(crm):
    page = crm.get(
        "reports/builder",
        query_string={"source": "activities", "f1_field": "percent", "f1_op": "range", "f1_value": "dużo"},
    )
    assert page.status_code == 200 and "nie jest liczbą" in text_of(page)
    assert crm.log("validation_error")[-1]["entity_type"] == "report"


def test_two_periods_side_by_side_with_difference_and_percent(crm):
    args = {"source": "activities", "group1": "owner", "a1_fn": "count", "compare_field": "due_date"}
    args |= {"compare_preset": "custom", "a_from": "2026-03-16", "a_to": "2026-03-22"}
    args |= {"b_from": "2026-03-09", "b_to": "2026-03-15"}
    table = export_csv(crm, args)
    assert table[0][1:] == [
        "Liczba (16.03.2026–22.03.2026)",
        "Liczba (09.03.2026–15.03.2026)",
        "Liczba: różnica",
        "Liczba: zmiana %",
    ]
    assert {row[0]: row[1:] for row in table[1:]} == {
        ME: ["4", "2", "2", "100,0"],
        MARTA: ["1", "1", "0", "0,0"],
        PIOTR: ["0", "1", "-1", "-100,0"],
    }
    total = body_rows(crm, {k: v for k, v in args.items() if k != "group1"})
    assert total == {"5": ["4", "1", "25,0"]}  # 5 vs 4 → +1, +25%


def test_period_presets_follow_the_business_date():
    today = date(2026, 3, 16)
    assert periods({"preset": "quarter"}, today) == (
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2025, 10, 1), date(2025, 12, 31)),
    )
    assert periods({"preset": "month"}, today) == (
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
    )
    assert periods({"preset": "year"}, today)[1] == (date(2025, 1, 1), date(2025, 12, 31))


def test_pivot_rows_by_columns_with_totals(crm):
    table = export_csv(
        crm, {"source": "activities", "pivot_rows": "owner", "pivot_columns": "done", "pivot_fn": "count"}
    )
    assert table[0] == ["Osoba odpowiedzialna \\ Zakończone", "nie", "tak", "Razem"]
    assert table[1:] == [[ME, "4", "2", "6"], [MARTA, "1", "1", "2"], [PIOTR, "1", "0", "1"], ["Razem", "6", "3", "9"]]


def _open_opportunities(crm: Crm) -> list[tuple[str, Decimal, int]]:
    rows = crm.sql(
        "SELECT s.name, o.value, o.probability FROM opportunity o JOIN stage s ON s.id = o.stage_id "
        "WHERE o.status = 'otwarta'"
    )
    return [(name, Decimal(value).scaleb(-2), probability) for name, value, probability in rows]


def test_pipeline_sums_read_the_live_values(crm):
    opportunities = _open_opportunities(crm)  # values vary by seed: read them, then compute by hand
    assert len(opportunities) == 4
    args = {"source": "opportunities", "group1": "stage", "a1_fn": "count", "a2_fn": "sum", "a2_field": "value"}
    args |= {"a3_fn": "sum", "a3_field": "weighted", "f1_field": "status", "f1_value": "otwarta"}
    rows = body_rows(crm, args)
    for stage, value, probability in opportunities:
        weighted = (value * probability / 100).quantize(Decimal("0.01"))
        assert rows[stage] == ["1", f"{value:f}".replace(".", ","), f"{weighted:f}".replace(".", ",")]


def test_dashboard_shows_pipeline_per_stage_and_task_completion(crm):
    page = crm.get("reports/dashboard")
    html, text = page.get_data(as_text=True), text_of(page)
    opportunities = _open_opportunities(crm)
    total = sum(v for _, v, _ in opportunities)
    weighted = sum((v * p / 100).quantize(Decimal("0.01")) for _, v, p in opportunities)
    money = lambda d: f"{d:,.2f} zł".replace(",", " ").replace(".", ",")  # noqa: E731
    assert re.search(r'data-testid="pipeline-count">4<', html)
    assert money(total) in text and money(weighted) in text
    # the stage's probability is its default; the weighted value uses each deal's own, a manual one included
    assert "Prawd. etapu" in text and "prawdopodobieństwo każdej szansy (także zmienione ręcznie" in text
    owners = re.search(r'data-testid="completion-by-owner">(.*?)</table>', html, re.S).group(1)
    assert text_of_fragment(owners).endswith(f"{ME} 6 2 33,3% {MARTA} 2 1 50,0% {PIOTR} 1 0 0,0%")
    priorities = text_of_fragment(re.search(r'data-testid="completion-by-priority">(.*?)</table>', html, re.S).group(1))
    assert priorities.endswith("pilny 1 0 0,0% wysoki 3 1 33,3% normalny 3 1 33,3% niski 2 1 50,0%")
    for svg in re.findall(r"<svg\b.*?</svg>", html, re.S):
        assert ET.fromstring(svg).find(f"{SVG}title") is not None
    assert crm.log("report.dashboard_viewed")[-1]["details"]["open_count"] == 4


def _dashboard_charts(crm: Crm) -> tuple[ET.Element, ET.Element]:
    html = crm.get("reports/dashboard").get_data(as_text=True)
    pipeline, completion = (ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", html, re.S))
    return pipeline, completion


def test_bar_values_wider_than_their_bars_stand_upright_and_category_labels_wrap(crm):
    """The pipeline's grouped money bars are too narrow for "109 500,00 zł" across: the values stand upright
    (no two overlap) and the plot is lowered to make room; stage names wrap into two lines instead of running
    into each other. Short values (percentages of three bars) stay across."""
    pipeline, completion = _dashboard_charts(crm)
    values = [t for t in pipeline.iter(f"{SVG}text") if t.get("font-size") == "11"]
    assert len(values) == 12 and all(t.get("transform", "").startswith("rotate(-90 ") for t in values)
    longest = max(len(t.text) for t in values)
    assert longest >= len("10 000,00 zł") and all(t.text.endswith(" zł") for t in values)
    tallest = min(float(r.get("y")) for r in pipeline.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None)
    assert tallest >= 12 + longest * 11 * 0.6  # room above the tallest bar for its upright value
    categories = [
        t for t in pipeline.iter(f"{SVG}text") if t.get("font-size") == "12" and t.find(f"{SVG}tspan") is not None
    ]
    lines = [[span.text for span in t.iter(f"{SVG}tspan")] for t in categories]
    assert lines[:3] == [["Kwalifikacja", "leada"], ["Analiza", "potrzeb"], ["Przygotowanie", "oferty"]]
    slot = (720 - 20 - 60) / 6
    assert all(len(line) * 12 * 0.6 <= slot for spans in lines for line in spans)
    across = [t for t in completion.iter(f"{SVG}text") if t.get("font-size") == "11"]
    assert [t.text for t in across] == ["33,3%", "50%", "0%"] and not any(t.get("transform") for t in across)


@pytest.mark.parametrize("chart", ["bar", "line"])
def test_no_value_or_category_of_a_chart_runs_past_its_edges(crm, chart):
    """The last of six stages, "Przygotowanie oferty", and its value sat on the right edge of a line chart and
    were cut off; every centred text now fits inside the 720-unit-wide drawing."""
    args = {"source": "opportunities", "group1": "stage", "a1_fn": "sum", "a1_field": "value", "chart": chart}
    root, _ = _chart_page(crm, args)
    centred = [t for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]
    assert len(centred) >= 12
    for text in centred:
        lines = [span.text for span in text.iter(f"{SVG}tspan")] or [text.text]
        half = max(len(line) for line in lines) * int(text.get("font-size")) * 0.6 / 2
        assert half <= float(text.get("x")) <= 720 - half, lines


def test_a_share_is_drawn_against_the_whole(crm):
    """Task completion is a percentage: Marta's 50% is half the plot's height, not the top of the scale."""
    _, completion = _dashboard_charts(crm)
    bars = {
        r.find(f"{SVG}title").text: float(r.get("height"))
        for r in completion.iter(f"{SVG}rect")
        if r.find(f"{SVG}title") is not None
    }
    plot = 360 - 70 - 30
    assert bars == {
        f"{ME} – % zakończonych: 33,3%": pytest.approx(plot * 0.333, abs=0.2),
        f"{MARTA} – % zakończonych: 50%": pytest.approx(plot / 2, abs=0.1),
        f"{PIOTR} – % zakończonych: 0%": 0,
    }


def test_category_labels_wrap_and_shorten_only_what_does_not_fit():
    assert charts._wrap("Podpisanie umowy", 14) == ["Podpisanie", "umowy"]
    assert charts._wrap("Analiza potrzeb", 15) == ["Analiza potrzeb"]
    assert charts._wrap("Bardzo długa nazwa etapu w lejku", 10) == ["Bardzo", "długa naz…"]
    assert charts._wrap("Konstantynopolitańczykowianeczka", 8) == ["Konstan…"]
    assert charts.value_text(Decimal("33.3"), "percent") == "33,3%"
    assert charts.value_text(Decimal("100"), "percent") == "100%"
    assert charts.value_text(Decimal("41.6667"), "number") == "41,67"


def text_of_fragment(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.mark.parametrize("chart", ["bar", "pie", "line"])
def test_charts_are_well_formed_svg_with_titles_and_polish_numbers(crm, chart):
    args = {"source": "activities", "group1": "owner", "a1_fn": "avg", "a1_field": "percent", "chart": chart}
    html = crm.get("reports/builder", query_string=args).get_data(as_text=True)
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) == 1
    root = ET.fromstring(svgs[0])
    assert root.get("role") == "img" and root.get("aria-labelledby")
    assert root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text
    assert "41,67" in svgs[0] and ME in svgs[0]
    assert crm.log("report.run")[-1]["details"]["rows"] == 3


def test_csv_has_bom_semicolons_and_polish_characters(crm):
    response = crm.get(
        "reports/export.csv", query_string={"source": "accounts", "columns": ["name", "city", "voivodeship"]}
    )
    data = response.data
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "Nazwa;Miejscowość;Województwo"
    assert "Piekarnia Złoty Kłos Anna Mazur;Lublin;lubelskie" in text and "Białystok" in text and "śląskie" in text
    assert response.headers["Content-Disposition"] == 'attachment; filename="raport-ad-hoc.csv"'
    exported = crm.log("report.exported")[-1]
    assert exported["details"]["format"] == "csv" and len(exported["details"]["sha256"]) == 64


def test_xlsx_opens_and_holds_the_same_values(crm):
    args = {"source": "activities", "group1": "owner", "a1_fn": "count", "a2_fn": "avg", "a2_field": "percent"}
    table = export_csv(crm, args)
    response = crm.get("reports/export.xlsx", query_string=args)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    values = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert values[0] == table[0]
    assert values[1:] == [[ME, 6, 41.67], [MARTA, 2, 50], [PIOTR, 1, 0]]
    assert crm.log("report.exported")[-1]["details"]["format"] == "xlsx"


def test_save_a_definition_then_run_and_export_it(crm):
    definition = {"source": "activities", "pivot": {"rows": "owner", "columns": "done", "fn": "count"}, "chart": "bar"}
    response = crm.post("reports/save", {"name": "Moje zadania", "definition": json.dumps(definition)})
    assert response.status_code == 302
    report_id, owner, saved = crm.one("SELECT id, owner_id, definition FROM saved_report WHERE name = 'Moje zadania'")
    assert owner == crm.one("SELECT id FROM crm_user WHERE is_me") and json.loads(saved)["pivot"]["rows"] == "owner"
    page = crm.get(f"reports/{report_id}")
    assert "Moje zadania" in text_of(page) and "Razem 6 3 9" in text_of(page)
    assert crm.log("report.saved")[-1]["entity_id"] == report_id
    assert crm.log("report.run")[-1]["entity_id"] == report_id
    rows = list(
        csv.reader(io.StringIO(crm.get(f"reports/{report_id}/export.csv").data.decode("utf-8-sig")), delimiter=";")
    )
    assert rows[-1] == ["Razem", "6", "3", "9"]
    assert crm.get(f"reports/{report_id}/export.xlsx").data.startswith(b"PK")
    bad = crm.post("reports/save", {"name": "Zły", "definition": '{"source": "nieznane"}'}, follow_redirects=True)
    assert "Nie zapisano raportu" in text_of(bad)
    assert crm.one("SELECT count(*) FROM saved_report WHERE name = 'Zły'") == 0


def test_viewer_can_run_and_export_reports_but_not_save(crm):
    viewer = Crm(crm.client, crm.info, crm.root, viewer=True)
    assert viewer.get("reports/1").status_code == 200
    assert viewer.get("reports/1/export.csv").status_code == 200
    assert 'method="post"' not in viewer.get("reports/builder", query_string={"source": "accounts"}).get_data(
        as_text=True
    )
    assert viewer.post("reports/save", {"name": "x", "definition": "{}"}).status_code == 403


def test_aggregates_of_amounts_count_only_pln_and_say_what_they_left_out(crm):
    data = {"name": "Licencje dla Wiednia", "account_id": "1", "value": "12000", "stage_id": "1", "owner_id": "1"}
    assert crm.post("opportunities/new", {**data, "currency": "EUR"}).status_code == 302
    open_pln = sum(value for _, value, _ in _open_opportunities(crm)) - Decimal("12000.00")
    args = {"source": "opportunities", "group1": "status", "a1_fn": "count", "a2_fn": "sum", "a2_field": "value"}
    assert body_rows(crm, args)["otwarta"] == ["5", f"{open_pln:f}".replace(".", ",")]  # counted, not added
    page = text_of(crm.get("reports/builder", query_string=args))
    assert "Sumy, średnie, minima i maksima kwot obejmują tylko szanse w PLN; pominięto 1 szansę w EUR" in page
    listing = {"source": "opportunities", "columns": ["name", "value", "currency"], "f1_field": "currency"}
    listing |= {"f1_op": "eq", "f1_value": "EUR"}
    page = text_of(crm.get("reports/builder", query_string=listing))
    assert "Licencje dla Wiednia 12 000,00 EUR EUR" in page and "pominięto" not in page  # no total, no note
    book = openpyxl.load_workbook(io.BytesIO(crm.get("reports/export.xlsx", query_string=listing).data))
    cell = book.active["B2"]
    assert cell.value == 12000 and '"EUR"' in cell.number_format


def test_an_adhoc_export_of_a_broken_definition_is_refused_and_logged(crm):
    response = crm.get("reports/export.csv?source=nieznane_zrodlo", follow_redirects=True)
    assert response.status_code == 200 and "text/csv" not in response.content_type
    refused = crm.log("validation_error")[-1]
    assert refused["entity_type"] == "report" and refused["summary"].startswith("Błąd definicji raportu")


def test_opportunities_are_grouped_by_their_pipelines_customer_type_and_form_of_sale(crm):
    crm.post("pipelines/new", {"name": "Przetargi", "customer_type": "sektor_publiczny", "sale_form": "przetargowa"})
    crm.post("pipelines/2/stages/new", {"name": "Analiza zapytania", "probability": "10"})
    stage_id = crm.one("SELECT id FROM stage WHERE pipeline_id = 2")
    data = {"name": "Helpdesk dla szpitala", "account_id": "1", "value": "50000", "stage_id": stage_id, "owner_id": "1"}
    assert crm.post("opportunities/new", data).status_code == 302
    seeded = crm.one("SELECT count(*) FROM opportunity WHERE pipeline_id = 1")
    args = {"source": "opportunities", "group1": "customer_type", "group2": "sale_form", "a1_fn": "count"}
    table = export_csv(crm, args)
    assert table[0] == ["Typ klienta (lejka)", "Forma sprzedaży (lejka)", "Liczba"]
    assert table[1:] == [
        ["Firmy (B2B)", "Sprzedaż bezpośrednia (spotkania)", str(seeded)],
        ["Sektor publiczny (B2G, zamawiający publiczni)", "Sprzedaż przetargowa (przetargi, zapytania ofertowe)", "1"],
    ]
    filtered = {"source": "opportunities", "columns": ["name"], "f1_field": "customer_type"}
    filtered |= {"f1_op": "eq", "f1_value": "sektor publiczny (b2g, zamawiający publiczni)"}
    assert export_csv(crm, filtered)[1:] == [["Helpdesk dla szpitala"]]


# -- the measure a chart plots (chart_measure) --------------------------------------------------------------------
BY_OWNER = {"source": "activities", "group1": "owner", "a1_fn": "count", "a2_fn": "avg", "a2_field": "percent"}
AVG = "Średnia: Stopień wykonania (%)"
WEEKS = {"compare_field": "due_date", "compare_preset": "custom", "a_from": "2026-03-16", "a_to": "2026-03-22"}
WEEKS |= {"b_from": "2026-03-09", "b_to": "2026-03-15"}


def _svg(html: str) -> ET.Element:
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) == 1, len(svgs)
    return ET.fromstring(svgs[0])


def _bars(root: ET.Element) -> list[str]:
    """Return the tooltip of every bar: "label – series: value"."""
    return [rect.find(f"{SVG}title").text for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]


def _chart_page(crm: Crm, args: dict) -> tuple[ET.Element, str]:
    page = crm.get("reports/builder", query_string=args)
    assert page.status_code == 200
    return _svg(page.get_data(as_text=True)), text_of(page)


def test_the_chart_of_a_grouped_report_plots_the_chosen_measure_and_names_it(crm):
    root, text = _chart_page(crm, {**BY_OWNER, "chart": "bar", "chart_measure": "1"})
    assert _bars(root) == [f"{ME} – {AVG}: 41,67", f"{MARTA} – {AVG}: 50", f"{PIOTR} – {AVG}: 0"]
    assert root.find(f"{SVG}title").text == f"Raport ({AVG})"
    assert root.find(f"{SVG}desc").text.startswith(f"{AVG} – {ME}: 41,67")
    assert f"Na wykresie: {AVG}" in text
    assert crm.log("report.run")[-1]["details"]["definition"]["chart_measure"] == 1


def test_the_chart_plots_the_first_measure_by_default(crm):
    root, text = _chart_page(crm, {**BY_OWNER, "chart": "bar"})  # no chart_measure: an old link or definition
    assert _bars(root) == [f"{ME} – Liczba: 6", f"{MARTA} – Liczba: 2", f"{PIOTR} – Liczba: 1"]
    assert root.find(f"{SVG}title").text == "Raport (Liczba)" and "Na wykresie: Liczba" in text
    page = crm.get("reports/builder", query_string={**BY_OWNER, "chart": "bar"}).get_data(as_text=True)
    select = re.search(r'<select[^>]*name="chart_measure".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option (selected )?value="(\d)">([^<]*)</option>', select) == [
        ("selected ", "0", "1. Liczba"),
        ("", "1", f"2. {AVG}"),
    ]


def test_a_comparison_of_periods_plots_the_chosen_measure_in_both_periods(crm):
    args = {"source": "activities", "group1": "owner", "a1_fn": "count", "a2_fn": "sum", "a2_field": "percent"}
    args |= {**WEEKS, "chart": "bar", "chart_measure": "1"}
    table = body_rows(crm, args)  # the export reads the same columns: sum in both periods at positions 4 and 5
    root, text = _chart_page(crm, args)
    measure = "Suma: Stopień wykonania (%) – porównanie okresów"
    assert root.find(f"{SVG}title").text == f"Raport ({measure})" and f"Na wykresie: {measure}" in text
    assert root.find(f"{SVG}desc").text.startswith(f"{measure}. 16.03.2026–22.03.2026 – {ME}: ")
    expected = []
    for owner in (ME, MARTA, PIOTR):
        expected += [f"{owner} – 16.03.2026–22.03.2026: {table[owner][4]}"]
        expected += [f"{owner} – 09.03.2026–15.03.2026: {table[owner][5]}"]
    assert _bars(root) == expected
    assert table[ME][4:6] != table[ME][0:2]  # the sums differ from the counts, so the chart is of the sums
    first, _ = _chart_page(crm, {**args, "chart_measure": "0"})
    assert _bars(first)[0] == f"{ME} – 16.03.2026–22.03.2026: {table[ME][0]}"


def test_a_pie_of_a_comparison_draws_one_pie_per_period_with_each_owner_in_the_same_colour(crm):
    args = {"source": "activities", "group1": "owner", "a1_fn": "count", **WEEKS, "chart": "pie"}
    root, _ = _chart_page(crm, args)  # counts: me 4 and 2, Marta 1 and 1, Piotr 0 and 1 (see the table test)
    headings = [t.text for t in root.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert headings == ["16.03.2026–22.03.2026", "09.03.2026–15.03.2026"]
    slices = [(el.get("fill"), el.find(f"{SVG}title").text) for el in root if el.tag in (f"{SVG}path", f"{SVG}circle")]
    assert [tip for _, tip in slices] == [
        f"{ME}: 4 (80,0%)",
        f"{MARTA}: 1 (20,0%)",  # Piotr has nothing in the first week: no slice
        f"{ME}: 2 (50,0%)",
        f"{MARTA}: 1 (25,0%)",
        f"{PIOTR}: 1 (25,0%)",
    ]
    colour = {tip.split(":")[0]: fill for fill, tip in slices[:2]}
    assert [fill for fill, _ in slices[2:4]] == [colour[ME], colour[MARTA]] and slices[4][0] not in colour.values()
    desc = root.find(f"{SVG}desc").text
    assert f"16.03.2026–22.03.2026 – {ME}: 4" in desc and f"09.03.2026–15.03.2026 – {ME}: 2" in desc
    assert int(root.get("viewBox").split()[3]) >= 2 * 360  # both pies fit in the picture


def test_a_pie_of_one_series_has_no_period_heading(crm):
    root, _ = _chart_page(crm, {**BY_OWNER, "chart": "pie"})
    assert not [t for t in root.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert [el.find(f"{SVG}title").text for el in root if el.tag == f"{SVG}path"] == [
        f"{ME}: 6 (66,7%)",
        f"{MARTA}: 2 (22,2%)",
        f"{PIOTR}: 1 (11,1%)",
    ]


def test_a_measure_that_is_not_a_number_gives_no_chart_and_says_why(crm):
    args = {"source": "activities", "group1": "owner", "a1_fn": "count", "a2_fn": "max", "a2_field": "due_date"}
    page = crm.get("reports/builder", query_string={**args, "chart": "bar", "chart_measure": "1"})
    assert "<svg" not in page.get_data(as_text=True)
    assert "Brak wykresu: miara „Maksimum: Termin” nie jest liczbą ani kwotą" in text_of(page)
    assert "<svg" in crm.get("reports/builder", query_string={**args, "chart": "bar"}).get_data(as_text=True)


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ("5", "Miara na wykresie: raport nie ma funkcji nr 6 – ma 2 funkcje; wybierz jedną z nich."),
        ("dużo", "Miara na wykresie: „dużo” nie jest numerem funkcji raportu."),
    ],
)
def test_a_measure_out_of_range_is_refused_next_to_its_field_and_nothing_typed_is_lost(crm, chosen, message):
    args = {**BY_OWNER, "chart": "line", "chart_measure": chosen}
    page = crm.get("reports/builder", query_string=args)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" not in html
    assert f'<div class="invalid-feedback d-block" data-field="chart_measure">{message}</div>' in html
    assert re.search(r'<select[^>]*class="form-select is-invalid"[^>]*name="chart_measure"', html)
    assert re.search(rf'<option selected value="{chosen}">', html)  # kept as chosen
    assert re.search(r'<option selected value="avg">', html) and re.search(r'<option selected value="percent">', html)
    assert re.search(r'<option selected value="line">', html) and re.search(r'<option selected value="owner">', html)
    refused = crm.log("validation_error")[-1]
    assert refused["entity_type"] == "report" and message in refused["summary"]


def test_saving_a_definition_whose_measure_is_out_of_range_is_refused_back_in_the_builder(crm):
    definition = {"source": "activities", "group_by": ["owner"], "aggregates": [{"fn": "count"}], "chart": "bar"}
    page = crm.post(
        "reports/save",
        {"name": "Zła miara", "definition": json.dumps({**definition, "chart_measure": 2})},
        follow_redirects=True,
    )
    message = "Miara na wykresie: raport nie ma funkcji nr 3 – ma 1 funkcję; wybierz jedną z nich."
    assert f"Nie zapisano raportu: {message}" in text_of(page)
    html = page.get_data(as_text=True)
    assert f'data-field="chart_measure">{message}</div>' in html and '<option selected value="2">' in html
    assert crm.one("SELECT count(*) FROM saved_report WHERE name = 'Zła miara'") == 0


def test_a_saved_report_keeps_its_chart_measure_through_save_view_and_edit(crm):
    definition = {"source": "activities", "group_by": ["owner"], "chart": "bar", "chart_measure": 1}
    definition["aggregates"] = [{"fn": "count"}, {"fn": "avg", "field": "percent"}]
    response = crm.post("reports/save", {"name": "Postęp wg osób", "definition": json.dumps(definition)})
    assert response.status_code == 302
    report_id, saved = crm.one("SELECT id, definition FROM saved_report WHERE name = 'Postęp wg osób'")
    assert json.loads(saved)["chart_measure"] == 1
    html = crm.get(f"reports/{report_id}").get_data(as_text=True)
    root = _svg(html)
    assert root.find(f"{SVG}title").text == f"Postęp wg osób ({AVG})" and _bars(root)[0] == f"{ME} – {AVG}: 41,67"
    edit = re.search(r'href="([^"]*/reports/builder\?[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "chart_measure=1" in edit
    builder = crm.client.get(edit).get_data(as_text=True)
    assert re.search(r'<option selected value="1">2\. ' + re.escape(AVG), builder)
    resaved = json.loads(re.search(r'name="definition"[^>]*value="([^"]*)"', builder).group(1).replace("&#34;", '"'))
    assert resaved["chart_measure"] == 1 and resaved["aggregates"][1] == {"fn": "avg", "field": "percent"}


def test_an_old_saved_definition_without_a_chart_measure_plots_the_first(crm):
    saved = json.loads(crm.one("SELECT definition FROM saved_report WHERE id = 1"))  # a sample report of the seed
    saved.pop("chart_measure", None)  # as saved before the chart had a measure of its own
    instance_write(
        crm.root, crm.info.instance_id, "UPDATE saved_report SET definition = :d WHERE id = 1", {"d": json.dumps(saved)}
    )
    assert [a["fn"] for a in saved["aggregates"]] == ["count", "sum", "sum"]
    html = crm.get("reports/1").get_data(as_text=True)
    root = _svg(html)
    assert root.find(f"{SVG}title").text.endswith("(Liczba)")
    assert all(re.fullmatch(r".+ – Liczba: \d+", tip) for tip in _bars(root))
    assert "chart_measure=0" in html


def test_exports_do_not_depend_on_the_chart_measure(crm):
    args = {**BY_OWNER, **WEEKS, "chart": "bar"}
    assert export_csv(crm, {**args, "chart_measure": "1"}) == export_csv(crm, {**args, "chart_measure": "0"})
    books = [
        openpyxl.load_workbook(
            io.BytesIO(crm.get("reports/export.xlsx", query_string={**args, "chart_measure": m}).data)
        )
        for m in ("0", "1")
    ]
    first, second = ([list(r) for r in b.active.iter_rows(values_only=True)] for b in books)
    assert first == second and len(first[0]) == 1 + 2 * 4


def test_the_definition_normaliser_reads_the_chart_measure():
    base = {"source": "activities", "group_by": ["owner"], "aggregates": [{"fn": "count"}, {"fn": "sum"}]}
    base["aggregates"][1]["field"] = "percent"
    assert validate(base)["chart_measure"] == 0  # an old definition: the first measure
    assert validate({**base, "chart_measure": "1"})["chart_measure"] == 1  # as the builder sends it
    assert validate({"source": "activities", "group_by": ["owner"], "chart_measure": 0})["chart_measure"] == 0
    pivot = {"source": "activities", "pivot": {"rows": "owner", "columns": "done"}, "chart_measure": 7}
    assert validate(pivot)["chart_measure"] == 0  # a pivot has one measure: ignored
    for bad in (2, "3", -1, True, 1.5, [1], "pierwsza"):
        with pytest.raises(CrmError) as caught:
            validate({**base, "chart_measure": bad})
        assert caught.value.message.startswith("Miara na wykresie: ")
        assert caught.value.field_errors["chart_measure"] == [caught.value.message]


def test_the_activities_source_reads_each_relation_in_one_query(crm):
    """The activity report names each activity's opportunity without a query per activity."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from simulator.crm.services.report_sources import SOURCES
    from simulator.storage import store_for

    statements: list[str] = []
    with store_for(crm.root).connect(crm.info.instance_id) as conn:
        event.listen(conn, "before_cursor_execute", lambda *args: statements.append(args[2]))
        rows = SOURCES["activities"].load(Session(bind=conn))
    linked = {row["opportunity"] for row in rows if row["opportunity"]}
    assert len(linked) >= 3  # several activities of different opportunities, all named
    # activities, then owners, accounts and opportunities, one query each
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 4, selects
