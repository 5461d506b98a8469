"""Check type over saved reports: report_matches."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from simulator.checks import CheckResult, CheckType, ParamProblems, register
from simulator.checks.normalise import TEXT_DEFAULT, normalise
from simulator.checks.params import REFERENCE, obj
from simulator.checks.snapshot import Snapshot, plain

AGGREGATE = obj(["fn"], {"fn": {"enum": ["count", "sum", "avg", "min", "max"]}, "field": {"type": "string"}})
FILTER = obj(["field"], {"field": {"type": "string"}, "op": {"type": "string"}, "value": REFERENCE, "to": REFERENCE})
DAY = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
PERIOD_BOUNDS = ("a_from", "a_to", "b_from", "b_to")
COMPARE = obj(
    ["field"],
    {
        "field": {"type": "string"},
        "preset": {"enum": ["month", "quarter", "year", "custom"]},
        **dict.fromkeys(PERIOD_BOUNDS, DAY),
    },
)
PIVOT = obj(
    ["rows", "columns"],
    {
        "rows": {"type": "string"},
        "columns": {"type": "string"},
        "fn": {"enum": ["count", "sum", "avg", "min", "max"]},
        "field": {"type": "string"},
    },
)
CHART = {"enum": ["table", "bar", "pie", "line"]}


@register
class ReportMatches(CheckType):
    """A saved report has the expected source, grouping, aggregates, filters, comparison of two periods, pivot,
    form of presentation (``chart``: one kind or a list of acceptable kinds) and measure its chart plots
    (``chart_measure``: an aggregate, wherever it stands among the report's), or computes the same rows."""

    name = "report_matches"
    label = "raport zgodny z zapytaniem"
    partial_credit = True
    schema = obj(
        ["source"],
        {
            "source": {"type": "string"},
            "group_by": {"type": "array", "items": {"type": "string"}},
            "aggregates": {"type": "array", "items": AGGREGATE},
            "filters": {"type": "array", "items": FILTER},
            "name_contains": {"type": "string"},
            "new": {"type": "boolean"},
            "compare_rows": {"type": "boolean"},
            "compare": COMPARE,
            "pivot": PIVOT,
            "chart": {"anyOf": [CHART, {"type": "array", "items": CHART, "minItems": 1}]},
            "chart_measure": AGGREGATE,
        },
    )

    def check_params(self, params, problems):
        from simulator.crm.services.report_sources import SOURCES

        source = SOURCES.get(params["source"])
        if source is None:
            problems.error(
                ("source",), f"nieznane źródło raportu „{params['source']}”; dozwolone: " + ", ".join(SOURCES)
            )
            return
        known = {f.key for f in source.fields}
        for i, name in enumerate(params.get("group_by", [])):
            if name not in known:
                problems.error(("group_by", i), f"źródło „{source.key}” nie ma pola „{name}”")
        for i, item in enumerate(params.get("aggregates", [])):
            if item.get("field") and item["field"] not in known:
                problems.error(("aggregates", i, "field"), f"źródło „{source.key}” nie ma pola „{item['field']}”")
        for i, item in enumerate(params.get("filters", [])):
            if item["field"] not in known:
                problems.error(("filters", i, "field"), f"źródło „{source.key}” nie ma pola „{item['field']}”")
        for part, names in (("compare", ("field",)), ("pivot", ("rows", "columns", "field"))):
            for name in names:
                value = (params.get(part) or {}).get(name)
                if value and value not in known:
                    problems.error((part, name), f"źródło „{source.key}” nie ma pola „{value}”")
        _check_measure(source, params.get("chart_measure"), problems)
        if "compare" in params and "pivot" in params:
            problems.error(("pivot",), "raport nie może jednocześnie porównywać okresów i być tabelą przestawną")
        _check_periods(params.get("compare") or {}, problems)

    def evaluate(self, snapshot: Snapshot, params):
        expected_rows = None
        best: tuple[float, dict[str, Any] | None, list[str]] = (0.0, None, ["brak zapisanego raportu"])
        for report in snapshot.match("report", {"new": True} if params.get("new", True) else None):
            try:
                definition = json.loads(report["definition"])
            except ValueError:
                continue
            parts = self._parts(params, definition, report["name"])
            if params.get("compare_rows"):
                if expected_rows is None:
                    expected_rows = _report_rows(snapshot, _expected_definition(params))
                parts.append(("wynik (wiersze raportu)", _report_rows(snapshot, definition) == expected_rows))
            score = sum(ok for _, ok in parts) / len(parts)
            if score > best[0] or best[1] is None:
                best = (score, report, [label for label, ok in parts if not ok])
        score, report, missing = best
        if report is None:
            return CheckResult(0.0, "nie zapisano żadnego raportu")
        detail = f"najlepiej pasuje raport „{report['name']}”" + (f"; brakuje: {', '.join(missing)}" if missing else "")
        return CheckResult(
            score,
            detail,
            observed={"name": report["name"], "definition": json.loads(report["definition"])},
            expected=_expected_definition(params) | {k: params[k] for k in ("chart_measure",) if k in params},
            event_seqs=snapshot.evidence("report", [report["id"]]),
        )

    @staticmethod
    def _parts(params: dict[str, Any], definition: dict[str, Any], name: str) -> list[tuple[str, bool]]:
        if definition.get("source") != params["source"]:
            return [("źródło danych", False)]
        parts = [("źródło danych", True)]
        if "group_by" in params:
            parts.append(("grupowanie", set(definition.get("group_by") or []) == set(params["group_by"])))
        have = {(a.get("fn"), a.get("field") or "") for a in definition.get("aggregates") or []}
        for item in params.get("aggregates", []):
            parts.append(
                (f"funkcja {item['fn']} {item.get('field', '')}".strip(), (item["fn"], item.get("field", "")) in have)
            )
        options = (*TEXT_DEFAULT, "diacritics")
        for item in params.get("filters", []):
            ok = any(
                f.get("field") == item["field"]
                and (f.get("op") or "eq") == item.get("op", "eq")
                and normalise(f.get("value"), options) == normalise(item.get("value", ""), options)
                and normalise(f.get("to"), options) == normalise(item.get("to", ""), options)
                for f in definition.get("filters") or []
            )
            parts.append((f"filtr {item['field']}", ok))
        if "name_contains" in params:
            parts.append(("nazwa raportu", normalise(params["name_contains"], options) in normalise(name, options)))
        if "compare" in params:
            have_compare, wanted = definition.get("compare") or {}, params["compare"]
            preset = have_compare.get("preset") or "quarter"
            ok = have_compare.get("field") == wanted["field"] and preset == wanted.get("preset", preset)
            if "a_from" in wanted:  # own periods: the same two, in either order (current and previous)
                ok = ok and _periods(have_compare) == _periods(wanted)
            parts.append(("porównanie dwóch okresów", ok))
        if "pivot" in params:
            have_pivot, wanted = definition.get("pivot") or {}, params["pivot"]
            parts.append(
                (
                    "tabela przestawna",
                    have_pivot.get("rows") == wanted["rows"]
                    and have_pivot.get("columns") == wanted["columns"]
                    and (have_pivot.get("fn") or "count") == wanted.get("fn", "count")
                    and (have_pivot.get("field") or "") == wanted.get("field", ""),
                )
            )
        if "chart" in params:
            kinds = params["chart"] if isinstance(params["chart"], list) else [params["chart"]]
            parts.append(("forma prezentacji (wykres)", (definition.get("chart") or "table") in kinds))
        if "chart_measure" in params:
            parts.append(("miara na wykresie", _plotted(definition) == _measure(params["chart_measure"])))
        return parts


def _measure(item: dict[str, Any]) -> tuple[str, str]:
    return (item.get("fn") or "count", "" if (item.get("fn") or "count") == "count" else item.get("field") or "")


def _plotted(definition: dict[str, Any]) -> tuple[str, str] | None:
    """The aggregate a saved report's chart plots (as the report engine picks it), or None without a chart."""
    if (definition.get("chart") or "table") == "table":
        return None
    if definition.get("pivot"):
        return _measure(definition["pivot"])
    if not definition.get("group_by") and not definition.get("compare"):
        return None  # a list has no chart
    aggregates = definition.get("aggregates") or [{"fn": "count"}]
    index = definition.get("chart_measure") or 0
    if not isinstance(index, int) or not 0 <= index < len(aggregates):
        return None
    return _measure(aggregates[index])


def _check_measure(source: Any, item: dict[str, Any] | None, problems: ParamProblems) -> None:
    """The measure of a chart: an aggregate of a number or an amount of the source (a chart draws nothing else)."""
    if not item or item["fn"] == "count":
        return
    key = item.get("field")
    if not key:
        problems.error(("chart_measure",), f"funkcja „{item['fn']}” potrzebuje pola (field)")
    elif (found := source.field(key)) is None:
        problems.error(("chart_measure", "field"), f"źródło „{source.key}” nie ma pola „{key}”")
    elif found.kind not in ("number", "money"):
        problems.error(
            ("chart_measure", "field"),
            f"pole „{key}” nie jest liczbą ani kwotą – wykres go nie pokaże; wybierz pole liczbowe lub kwotę",
        )


def _check_periods(compare: dict[str, Any], problems: ParamProblems) -> None:
    """Own periods of a comparison: all four bounds, with the preset ``custom``, each period in order."""
    given = [name for name in PERIOD_BOUNDS if name in compare]
    if not given:
        return
    if len(given) != len(PERIOD_BOUNDS):
        problems.error(("compare",), "podaj wszystkie granice obu okresów: a_from, a_to, b_from, b_to")
        return
    if compare.get("preset") != "custom":
        problems.error(("compare", "preset"), "własne okresy (a_from … b_to) wymagają preset: custom")
    for start, end in (("a_from", "a_to"), ("b_from", "b_to")):
        try:
            first, last = date.fromisoformat(compare[start]), date.fromisoformat(compare[end])
        except ValueError:
            problems.error(("compare", start), f"niepoprawna data w okresie {start}–{end}")
            continue
        if first > last:
            problems.error(("compare", end), f"koniec okresu ({end}) jest przed jego początkiem ({start})")


def _periods(compare: dict[str, Any]) -> frozenset[tuple[str, str]]:
    return frozenset(
        {
            (str(compare.get("a_from") or ""), str(compare.get("a_to") or "")),
            (str(compare.get("b_from") or ""), str(compare.get("b_to") or "")),
        }
    )


def _expected_definition(params: dict[str, Any]) -> dict[str, Any]:
    extra = {name: params[name] for name in ("compare", "pivot", "chart") if name in params}
    return extra | {
        "source": params["source"],
        "group_by": params.get("group_by", []),
        "aggregates": [{"fn": a["fn"], "field": a.get("field", "")} for a in params.get("aggregates", [])],
        "filters": [
            {"field": f["field"], "op": f.get("op", "eq"), "value": str(f.get("value", "")), "to": str(f.get("to", ""))}
            for f in params.get("filters", [])
        ],
    }


def _report_rows(snapshot: Snapshot, definition: dict[str, Any]) -> Any:
    """Compute a report definition on the instance with the CRM's own report engine."""
    from simulator.crm.services.common import CrmError
    from simulator.crm.services.reports import run, validate

    try:
        normalised = validate(definition)
    except CrmError:
        return None
    rows = snapshot.source_rows(normalised["source"])
    return [[plain(v) for v in row] for row in run(normalised, rows, snapshot.business_date).rows]
