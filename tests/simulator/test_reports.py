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

from simulator.crm.services.reports import periods
from tests.simulator.conftest import Crm, text_of

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
    owners = re.search(r'data-testid="completion-by-owner">(.*?)</table>', html, re.S).group(1)
    assert text_of_fragment(owners).endswith(f"{ME} 6 2 33,3% {MARTA} 2 1 50,0% {PIOTR} 1 0 0,0%")
    priorities = text_of_fragment(re.search(r'data-testid="completion-by-priority">(.*?)</table>', html, re.S).group(1))
    assert priorities.endswith("pilny 1 0 0,0% wysoki 3 1 33,3% normalny 3 1 33,3% niski 2 1 50,0%")
    for svg in re.findall(r"<svg\b.*?</svg>", html, re.S):
        assert ET.fromstring(svg).find(f"{SVG}title") is not None
    assert crm.log("report.dashboard_viewed")[-1]["details"]["open_count"] == 4


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
