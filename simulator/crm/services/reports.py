"""The report builder: parse a definition, filter, group, aggregate, compare two periods and pivot.

A definition is plain JSON (saved as is)::

    {"source": "activities", "columns": ["subject", "owner"],
     "filters": [{"field": "status", "op": "eq", "value": "zakończone"}],
     "group_by": ["owner"], "aggregates": [{"fn": "count"}, {"fn": "avg", "field": "percent"}],
     "compare": {"field": "due_date", "preset": "quarter"},
     "pivot": {"rows": "owner", "columns": "priority", "fn": "count"}, "chart": "bar", "chart_measure": 1}

Filters combine with AND. ``compare`` and ``pivot`` are optional and exclusive of each other. ``chart_measure`` is the
0-based index into ``aggregates`` of the measure the chart of a grouped report or a comparison plots (default 0, the
first; a pivot has one measure and ignores it). Aggregates of amounts count only amounts in PLN (nothing is
converted); a result says which rows in other currencies it left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from simulator.crm.services.common import CrmError
from simulator.crm.services.currency import BASE, currency_of, left_out_note
from simulator.crm.services.report_sources import NUMERIC, ORDERED, SOURCES, Field, Source

FUNCTIONS = {"count": "liczba", "sum": "suma", "avg": "średnia", "min": "minimum", "max": "maksimum"}
OPERATORS = {"eq": "równa się", "contains": "zawiera", "range": "zakres liczb", "date_range": "zakres dat"}
CHARTS = {"table": "tabela", "bar": "wykres słupkowy", "pie": "wykres kołowy", "line": "wykres liniowy"}
PRESETS = {"month": "miesiąc", "quarter": "kwartał", "year": "rok", "custom": "własne okresy"}
MAX_GROUPS = 2
CENT = Decimal("0.01")


@dataclass
class Column:
    """A result column: its heading and kind (text, number, money, date, percent)."""

    label: str
    kind: str


@dataclass
class ChartData:
    """What a chart shows: category labels, one or more named series and the measure they plot."""

    labels: list[str]
    series: list[tuple[str, list[Decimal]]]
    kind: str  # the kind of the values: money, number or percent (a share of 100)
    subject: str = ""  # the measure plotted, e.g. "Suma: Wartość – porównanie okresów" (named in the SVG's title)


@dataclass
class ReportResult:
    """The computed report: columns, rows of typed values and the data for its chart."""

    mode: str  # list, grouped, compare or pivot
    columns: list[Column]
    rows: list[list[Any]]
    chart: ChartData | None = None
    notes: list[str] = field(default_factory=list)


def _fail(message: str, field_name: str | None = None) -> CrmError:
    """A refused definition; ``field_name`` names the builder field the message belongs next to, if any."""
    return CrmError(message, {"definition": [message], **({field_name: [message]} if field_name else {})})


def _field(source: Source, key: Any, what: str, kinds: Iterable[str] | None = None) -> Field:
    found = source.field(key) if isinstance(key, str) else None
    if found is None:
        raise _fail(f"{what}: nieznane pole „{key}” w źródle „{source.label}”.")
    if kinds is not None and found.kind not in kinds:
        raise _fail(f"{what}: pole „{found.label}” nie nadaje się do tej operacji.")
    return found


def _number(raw: Any, what: str) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation as exc:
        raise _fail(f"{what}: „{raw}” nie jest liczbą.") from exc
    if not value.is_finite():
        raise _fail(f"{what}: „{raw}” nie jest liczbą.")
    return value


def _day(raw: Any, what: str) -> date | None:
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise _fail(f"{what}: „{raw}” nie jest datą (RRRR-MM-DD).") from exc


def validate(definition: Any) -> dict[str, Any]:
    """Check a definition and return it normalised; raise ``CrmError`` with a Polish message."""
    if not isinstance(definition, dict):
        raise _fail("Definicja raportu musi być obiektem JSON.")
    source = SOURCES.get(definition.get("source"))
    if source is None:
        raise _fail("Wybierz źródło danych raportu.")
    columns = [_field(source, c, "Kolumny").key for c in definition.get("columns") or []]
    filters = []
    for item in definition.get("filters") or []:
        if not isinstance(item, dict) or not item.get("field"):
            continue
        op = item.get("op") or "eq"
        if op not in OPERATORS:
            raise _fail(f"Filtr: nieznany warunek „{op}”.")
        kinds = NUMERIC if op == "range" else {"date"} if op == "date_range" else None
        f = _field(source, item["field"], "Filtr", kinds)
        entry = {"field": f.key, "op": op, "value": str(item.get("value") or ""), "to": str(item.get("to") or "")}
        if op == "range":
            _number(entry["value"], "Filtr (od)"), _number(entry["to"], "Filtr (do)")
        if op == "date_range":
            _day(entry["value"], "Filtr (od)"), _day(entry["to"], "Filtr (do)")
        filters.append(entry)
    group_by = [_field(source, g, "Grupowanie").key for g in definition.get("group_by") or [] if g]
    if len(group_by) > MAX_GROUPS or len(set(group_by)) != len(group_by):
        raise _fail("Grupować można według najwyżej dwóch różnych pól.")
    aggregates = [_aggregate(source, a) for a in definition.get("aggregates") or [] if a and a.get("fn")]
    if group_by and not aggregates:
        aggregates = [{"fn": "count", "field": ""}]
    compare = _compare(source, definition.get("compare"))
    pivot = _pivot(source, definition.get("pivot"))
    if compare and pivot:
        raise _fail("Porównanie okresów i tabelę przestawną wybierz osobno.")
    chart = definition.get("chart") or "table"
    if chart not in CHARTS:
        raise _fail(f"Nieznany rodzaj prezentacji „{chart}”.")
    measure = 0 if pivot else _chart_measure(definition.get("chart_measure"), len(aggregates) or 1)
    if not columns and not group_by and not compare and not pivot:
        columns = [f.key for f in source.fields[:4]]
    return {
        "source": source.key,
        "columns": columns,
        "filters": filters,
        "group_by": group_by,
        "aggregates": aggregates,
        "compare": compare,
        "pivot": pivot,
        "chart": chart,
        "chart_measure": measure,
    }


def _chart_measure(raw: Any, count: int) -> int:
    """Read the index of the measure to plot (0-based; the builder shows positions from 1) among ``count``."""
    if raw is None or raw == "":
        return 0
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not str(raw).strip().isdecimal():
        raise _fail(f"Miara na wykresie: „{raw}” nie jest numerem funkcji raportu.", "chart_measure")
    index = int(raw)
    if index >= count:
        raise _fail(
            f"Miara na wykresie: raport nie ma funkcji nr {index + 1} – ma {_functions(count)}; wybierz jedną z nich.",
            "chart_measure",
        )
    return index


def _functions(count: int) -> str:
    """Return "1 funkcję", "2 funkcje", "5 funkcji" (Polish plural of the accusative)."""
    if count == 1:
        return "1 funkcję"
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return f"{count} funkcje"
    return f"{count} funkcji"


def _aggregate(source: Source, item: dict) -> dict[str, str]:
    fn = item.get("fn")
    if fn not in FUNCTIONS:
        raise _fail(f"Nieznana funkcja „{fn}”.")
    if fn == "count":
        return {"fn": "count", "field": ""}
    kinds = NUMERIC if fn in ("sum", "avg") else ORDERED
    return {"fn": fn, "field": _field(source, item.get("field"), f"Funkcja {FUNCTIONS[fn]}", kinds).key}


def _compare(source: Source, item: Any) -> dict[str, str] | None:
    if not isinstance(item, dict) or not item.get("field"):
        return None
    f = _field(source, item["field"], "Porównanie okresów", {"date"})
    preset = item.get("preset") or "quarter"
    if preset not in PRESETS:
        raise _fail(f"Porównanie okresów: nieznany okres „{preset}”.")
    result = {"field": f.key, "preset": preset}
    if preset == "custom":
        for name in ("a_from", "a_to", "b_from", "b_to"):
            if _day(item.get(name), "Porównanie okresów") is None:
                raise _fail("Porównanie okresów: podaj początek i koniec obu okresów.")
            result[name] = str(item[name])
    return result


def _pivot(source: Source, item: Any) -> dict[str, str] | None:
    if not isinstance(item, dict) or not item.get("rows") or not item.get("columns"):
        return None
    rows = _field(source, item["rows"], "Tabela przestawna (wiersze)")
    cols = _field(source, item["columns"], "Tabela przestawna (kolumny)")
    if rows.key == cols.key:
        raise _fail("Tabela przestawna: wiersze i kolumny muszą być różnymi polami.")
    agg = _aggregate(source, {"fn": item.get("fn") or "count", "field": item.get("field")})
    return {"rows": rows.key, "columns": cols.key, **agg}


def periods(compare: dict[str, str], today: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """Return (current period, previous period) as inclusive date ranges around the business date."""
    preset = compare["preset"]
    if preset == "custom":
        a = (date.fromisoformat(compare["a_from"]), date.fromisoformat(compare["a_to"]))
        return a, (date.fromisoformat(compare["b_from"]), date.fromisoformat(compare["b_to"]))
    months = {"month": 1, "quarter": 3, "year": 12}[preset]
    start_month = (today.month - 1) // months * months + 1
    a_start = date(today.year, start_month, 1)
    a_end = _add_months(a_start, months) - timedelta(days=1)
    b_start = _add_months(a_start, -months)
    return (a_start, a_end), (b_start, a_start - timedelta(days=1))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _matches(row: dict[str, Any], item: dict[str, str]) -> bool:
    value, op = row.get(item["field"]), item["op"]
    if op == "eq":
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return value == _number(item["value"], "Filtr")
        if isinstance(value, date):
            return value == _day(item["value"], "Filtr")
        return str(value or "").casefold().strip() == item["value"].casefold().strip()
    if op == "contains":
        return item["value"].casefold() in str(value or "").casefold()
    if value is None:
        return False
    low, high = (
        (_number(item["value"], "Filtr"), _number(item["to"], "Filtr"))
        if op == "range"
        else (_day(item["value"], "Filtr"), _day(item["to"], "Filtr"))
    )
    return (low is None or value >= low) and (high is None or value <= high)


def aggregate(fn: str, key: str, rows: list[dict[str, Any]]) -> Any:
    """Compute one aggregate over rows (None when there is nothing to compute)."""
    if fn == "count":
        return len(rows)
    values = [r[key] for r in rows if r.get(key) is not None and currency_of(r[key]) == BASE]
    if not values:
        return Decimal("0") if fn == "sum" else None
    if fn == "sum":
        return sum((Decimal(v) for v in values), Decimal("0"))
    if fn == "avg":
        return (sum(Decimal(v) for v in values) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(values) if fn == "min" else max(values)


def _sort_key(value: Any) -> tuple:
    return (value is None or value == "", str(type(value)), value if value is not None else "")


def _groups(rows: list[dict[str, Any]], keys: list[str]) -> list[tuple[tuple, list[dict[str, Any]]]]:
    grouped: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(tuple(row.get(k) for k in keys), []).append(row)
    return sorted(grouped.items(), key=lambda kv: tuple(_sort_key(v) for v in kv[0]))


def _agg_column(source: Source, agg: dict[str, str]) -> Column:
    if agg["fn"] == "count":
        return Column("Liczba", "number")
    f = source.field(agg["field"])
    return Column(f"{FUNCTIONS[agg['fn']].capitalize()}: {f.label}", f.kind)


def _text(value: Any) -> str:
    if value is None or value == "":
        return "(brak)"
    return f"{value:%d.%m.%Y}" if isinstance(value, date) else str(value)


def run(definition: dict[str, Any], rows: list[dict[str, Any]], today: date) -> ReportResult:
    """Compute a validated definition over a source's rows."""
    source = SOURCES[definition["source"]]
    rows = [r for r in rows if all(_matches(r, f) for f in definition["filters"])]
    result = _run(source, definition, rows, today)
    result.notes += _currency_notes(source, definition, rows)
    return result


def _currency_notes(source: Source, definition: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """Say which rows in other currencies the aggregates of amounts left out."""
    aggregates = [*definition["aggregates"], *([definition["pivot"]] if definition["pivot"] else [])]
    if not any(a["fn"] != "count" and source.field(a["field"]).kind == "money" for a in aggregates):
        return []
    left_out = Counter(str(r["currency"]) for r in rows if r.get("currency", BASE) != BASE)
    note = left_out_note(left_out, "Sumy, średnie, minima i maksima kwot obejmują")
    return [note] if note else []


def _run(source: Source, definition: dict[str, Any], rows: list[dict[str, Any]], today: date) -> ReportResult:
    if definition["pivot"]:
        return _run_pivot(source, definition["pivot"], rows)
    if definition["compare"]:
        return _run_compare(source, definition, rows, today)
    if definition["group_by"]:
        keys, aggs = definition["group_by"], definition["aggregates"]
        columns = [Column(source.field(k).label, source.field(k).kind) for k in keys]
        columns += [_agg_column(source, a) for a in aggs]
        out = [
            [*values, *(aggregate(a["fn"], a["field"], members) for a in aggs)]
            for values, members in _groups(rows, keys)
        ]
        labels = [" / ".join(_text(v) for v in r[: len(keys)]) for r in out]
        at = len(keys) + definition.get("chart_measure", 0)
        measure, chart = columns[at], None
        if _chartable(measure):
            chart = ChartData(
                labels, [(measure.label, [Decimal(r[at] or 0) for r in out])], measure.kind, measure.label
            )
        return ReportResult("grouped", columns, out, chart, _unchartable(definition, measure))
    keys = definition["columns"]
    columns = [Column(source.field(k).label, source.field(k).kind) for k in keys]
    result = ReportResult("list", columns, [[r.get(k) for k in keys] for r in rows])
    if definition["aggregates"]:
        result.notes = [
            f"{_agg_column(source, a).label}: {_text(aggregate(a['fn'], a['field'], rows))}"
            for a in definition["aggregates"]
        ]
    return result


def _chartable(column: Column) -> bool:
    return column.kind in ("number", "money")


def _unchartable(definition: dict[str, Any], measure: Column) -> list[str]:
    """Say why a report that asks for a chart has none: its measure is not a number or an amount."""
    if definition["chart"] == "table" or _chartable(measure):
        return []
    return [
        f"Brak wykresu: miara „{measure.label}” nie jest liczbą ani kwotą, więc nie da się jej narysować – "
        "w polu „Miara na wykresie” wybierz funkcję, która daje liczbę lub kwotę."
    ]


def _run_compare(source: Source, definition: dict, rows: list[dict], today: date) -> ReportResult:
    compare, keys = definition["compare"], definition["group_by"]
    aggs = definition["aggregates"] or [{"fn": "count", "field": ""}]
    (a_from, a_to), (b_from, b_to) = periods(compare, today)
    key = compare["field"]
    in_a = [r for r in rows if r.get(key) is not None and a_from <= r[key] <= a_to]
    in_b = [r for r in rows if r.get(key) is not None and b_from <= r[key] <= b_to]
    label_a, label_b = f"{a_from:%d.%m.%Y}–{a_to:%d.%m.%Y}", f"{b_from:%d.%m.%Y}–{b_to:%d.%m.%Y}"
    columns = [Column(source.field(k).label, source.field(k).kind) for k in keys]
    for a in aggs:
        base = _agg_column(source, a)
        columns += [
            Column(f"{base.label} ({label_a})", base.kind),
            Column(f"{base.label} ({label_b})", base.kind),
            Column(f"{base.label}: różnica", base.kind),
            Column(f"{base.label}: zmiana %", "percent"),
        ]
    group_values = sorted(
        {tuple(r.get(k) for k in keys) for r in in_a + in_b} or {()}, key=lambda t: tuple(_sort_key(v) for v in t)
    )
    out = []
    for values in group_values:
        members_a = [r for r in in_a if tuple(r.get(k) for k in keys) == values]
        members_b = [r for r in in_b if tuple(r.get(k) for k in keys) == values]
        line: list[Any] = list(values)
        for a in aggs:
            va, vb = aggregate(a["fn"], a["field"], members_a), aggregate(a["fn"], a["field"], members_b)
            line += [va, vb, *_difference(va, vb)]
        out.append(line)
    labels = [" / ".join(_text(v) for v in r[: len(keys)]) or "Razem" for r in out]
    index = definition.get("chart_measure", 0)
    first, measure = len(keys) + 4 * index, _agg_column(source, aggs[index])
    chart = None
    if _chartable(measure):
        series = [
            (label_a, [Decimal(r[first] or 0) for r in out]),
            (label_b, [Decimal(r[first + 1] or 0) for r in out]),
        ]
        chart = ChartData(labels, series, measure.kind, f"{measure.label} – porównanie okresów")
    notes = [f"Okres bieżący: {label_a}; okres poprzedni: {label_b} (pole „{source.field(key).label}”)."]
    return ReportResult("compare", columns, out, chart, notes + _unchartable(definition, measure))


def _difference(current: Any, previous: Any) -> tuple[Any, Decimal | None]:
    if not isinstance(current, (int, Decimal)) or not isinstance(previous, (int, Decimal)):
        return None, None
    diff = Decimal(current) - Decimal(previous)
    if previous == 0:
        return diff, None
    return diff, (diff * 100 / Decimal(previous)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _run_pivot(source: Source, pivot: dict[str, str], rows: list[dict]) -> ReportResult:
    row_key, col_key, fn, key = pivot["rows"], pivot["columns"], pivot["fn"], pivot["field"]
    col_values = sorted({r.get(col_key) for r in rows}, key=_sort_key)
    row_values = sorted({r.get(row_key) for r in rows}, key=_sort_key)
    kind = _agg_column(source, pivot).kind
    columns = [Column(f"{source.field(row_key).label} \\ {source.field(col_key).label}", "text")]
    columns += [Column(_text(c), kind) for c in col_values] + [Column("Razem", kind)]
    out = []
    for rv in row_values:
        members = [r for r in rows if r.get(row_key) == rv]
        cells = [aggregate(fn, key, [r for r in members if r.get(col_key) == cv]) for cv in col_values]
        out.append([_text(rv), *cells, aggregate(fn, key, members)])
    totals = [aggregate(fn, key, [r for r in rows if r.get(col_key) == cv]) for cv in col_values]
    out.append(["Razem", *totals, aggregate(fn, key, rows)])
    chart = None
    if kind in ("number", "money") and col_values:
        series = [(_text(cv), [Decimal(line[i + 1] or 0) for line in out[:-1]]) for i, cv in enumerate(col_values)]
        chart = ChartData([line[0] for line in out[:-1]], series, kind, _agg_column(source, pivot).label)
    return ReportResult("pivot", columns, out, chart)
