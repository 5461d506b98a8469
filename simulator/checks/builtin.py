"""The built-in check types: record_exists, field_equals, count, event_exists, report_matches, answer_equals."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from simulator.checks import CheckResult, CheckType, ParamProblems, register
from simulator.checks import vocabulary as voc
from simulator.checks.normalise import IDENTIFIER_DEFAULT, OPTIONS, TEXT_DEFAULT, normalise, parse_number, phone_digits
from simulator.checks.snapshot import OPERATORS, Snapshot, compare, plain

ENTITY = {"enum": sorted(voc.ENTITY_MODELS)}
WHERE = {"type": "object"}
NORMALISE = {"type": "array", "items": {"enum": list(OPTIONS)}, "uniqueItems": True}
COUNT = {"type": "integer", "minimum": 0}
TOLERANCE = {"type": "number", "minimum": 0}
REFERENCE = {"anyOf": [{"type": ["string", "number", "boolean", "null"]}, {"type": "array"}, {"type": "object"}]}


def _object(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False, **extra}


def _value_refs(value: Any, at: tuple, problems: ParamProblems) -> None:
    """Report ``{var: …}`` naming no task variable and ``{answer: …}`` naming no answer field."""
    if isinstance(value, dict) and len(value) == 1:
        if "var" in value and value["var"] not in problems.variables:
            problems.error((*at, "var"), f"zadanie nie ma zmiennej „{value['var']}” (zdefiniuj ją w „variables”)")
        if "answer" in value and value["answer"] not in problems.answers:
            problems.error((*at, "answer"), f"zadanie nie ma pola odpowiedzi „{value['answer']}”")
    if isinstance(value, list):
        for i, item in enumerate(value):
            _value_refs(item, (*at, i), problems)


def _seed_key(entity: str, key: Any, at: tuple, problems: ParamProblems) -> None:
    if isinstance(key, (dict, list)) or key is None or isinstance(key, (int, bool)):
        return
    if str(key) not in problems.seed_ids.get(entity, {}):
        what = voc.ENTITY_LABELS.get(entity, entity)
        problems.error(at, f"w danych początkowych nie ma rekordu „{what}” ({entity}) o kluczu „{key}”")


def check_where(entity: str, where: Any, at: tuple, problems: ParamProblems) -> None:
    """Report unknown fields, operators, seed keys and variables of a ``where`` filter."""
    if where is None:
        return
    if not isinstance(where, dict):
        problems.error(at, "„where” musi być mapą pole: warunek")
        return
    for name, condition in where.items():
        here = (*at, name)
        if name == "key":
            for i, key in enumerate(condition if isinstance(condition, list) else [condition]):
                _seed_key(entity, key, (*here, i) if isinstance(condition, list) else here, problems)
        elif name == "new":
            if not isinstance(condition, bool):
                problems.error(here, "„new” przyjmuje true (rekord dodany przez kandydata) albo false")
        else:
            _check_condition(entity, name, condition, here, problems)


def _check_condition(entity: str, name: str, condition: Any, here: tuple, problems: ParamProblems) -> None:
    fields, error = voc.resolve_path(entity, name)
    if error:
        problems.error(here, error)
        return
    pairs = [("eq", condition)]
    if isinstance(condition, dict) and not (len(condition) == 1 and next(iter(condition)) in ("var", "answer")):
        unknown = [op for op in condition if op not in OPERATORS]
        if unknown or not condition:
            problems.error(here, f"nieznany warunek „{', '.join(unknown)}”; dozwolone: " + ", ".join(OPERATORS))
            return
        pairs = list(condition.items())
    target = fields[-1].ref
    for op, value in pairs:
        at_op = here if len(pairs) == 1 and op == "eq" else (*here, op)
        _value_refs(value, at_op, problems)
        if target and op in ("eq", "ne", "in", "not_in"):
            for i, key in enumerate(value if isinstance(value, list) else [value]):
                _seed_key(target, key, (*at_op, i) if isinstance(value, list) else at_op, problems)


@register
class RecordExists(CheckType):
    """At least one record of the entity satisfies ``where`` (e.g. the company with a given NIP was created)."""

    name = "record_exists"
    label = "rekord istnieje"
    schema = _object(["entity"], {"entity": ENTITY, "where": WHERE})

    def check_params(self, params, problems):
        check_where(params["entity"], params.get("where"), ("where",), problems)

    def evaluate(self, snapshot: Snapshot, params):
        rows = snapshot.match(params["entity"], params.get("where"))
        ids = [r["id"] for r in rows if "id" in r]
        detail = f"znaleziono {len(rows)} pasujący(ch) rekord(ów)" if rows else "nie znaleziono pasującego rekordu"
        return CheckResult(
            1.0 if rows else 0.0, detail, observed=len(rows), event_seqs=snapshot.evidence(params["entity"], ids)
        )


def _field_matches(
    kind: str, actual: Any, expected: Any, *, options: list[str] | None, tolerance: Any, seed_id
) -> bool:
    if kind == "phone" and not options:
        return actual is not None and phone_digits(actual) == phone_digits(expected)
    if kind in ("text", "identifier", "phone"):
        chosen = options or (IDENTIFIER_DEFAULT if kind in ("identifier", "phone") else TEXT_DEFAULT)
        return actual is not None and normalise(actual, chosen) == normalise(expected, chosen)
    if kind in ("money", "number") and tolerance:
        number = parse_number(expected)
        return actual is not None and number is not None and abs(Decimal(actual) - number) <= Decimal(str(tolerance))
    if kind == "enum":
        return actual is not None and normalise(actual, TEXT_DEFAULT) == normalise(expected, TEXT_DEFAULT)
    return compare(kind, actual, "eq", expected, seed_id)


@register
class FieldEquals(CheckType):
    """The record chosen by ``where`` has the expected values in ``fields`` (text normalised; partial credit)."""

    name = "field_equals"
    label = "pole ma wartość"
    partial_credit = True
    schema = _object(
        ["entity", "where", "fields"],
        {
            "entity": ENTITY,
            "where": WHERE,
            "fields": {"type": "object", "minProperties": 1},
            "normalise": NORMALISE,
            "tolerance": TOLERANCE,
        },
    )

    def check_params(self, params, problems):
        check_where(params["entity"], params.get("where"), ("where",), problems)
        for name, expected in params["fields"].items():
            fields, error = voc.resolve_path(params["entity"], name)
            if error:
                problems.error(("fields", name), error)
                continue
            _value_refs(expected, ("fields", name), problems)
            if fields[-1].ref:
                _seed_key(fields[-1].ref, expected, ("fields", name), problems)

    def evaluate(self, snapshot: Snapshot, params):
        entity, wanted = params["entity"], params["fields"]
        rows = snapshot.match(entity, params.get("where"))
        if not rows:
            return CheckResult(0.0, "nie znaleziono rekordu, którego dotyczy sprawdzenie", observed=None)
        best, best_ok, best_seen, best_wrong = None, -1, {}, []
        for row in rows:
            seen, wrong = {}, []
            for name, raw in wanted.items():
                fields, _ = voc.resolve_path(entity, name)
                actual, target = snapshot.value(entity, row, name), fields[-1].ref
                seen[name] = plain(actual)
                if not _field_matches(
                    fields[-1].kind,
                    actual,
                    snapshot.resolve(raw),
                    options=params.get("normalise"),
                    tolerance=params.get("tolerance"),
                    seed_id=lambda key, target=target: snapshot.seed_id(target, key),
                ):
                    wrong.append(name)
            ok = len(wanted) - len(wrong)
            if ok > best_ok:
                best, best_ok, best_seen, best_wrong = row, ok, seen, wrong
        total = len(wanted)
        detail = f"zgodne pola: {best_ok} z {total}" + (f"; niezgodne: {', '.join(best_wrong)}" if best_wrong else "")
        return CheckResult(
            best_ok / total,
            detail,
            observed=best_seen,
            expected={n: plain(snapshot.resolve(v)) for n, v in wanted.items()},
            event_seqs=snapshot.evidence(entity, [best["id"]]) if best and "id" in best else [],
        )


@register
class Count(CheckType):
    """The number of records satisfying ``where`` is at least ``min``, at most ``max`` or exactly ``equals``."""

    name = "count"
    label = "liczba rekordów"
    schema = _object(
        ["entity"],
        {"entity": ENTITY, "where": WHERE, "min": COUNT, "max": COUNT, "equals": COUNT},
        anyOf=[{"required": ["min"]}, {"required": ["max"]}, {"required": ["equals"]}],
    )

    def check_params(self, params, problems):
        check_where(params["entity"], params.get("where"), ("where",), problems)
        if "min" in params and "max" in params and params["min"] > params["max"]:
            problems.error(("min",), "„min” jest większe niż „max”")

    def evaluate(self, snapshot: Snapshot, params):
        rows = snapshot.match(params["entity"], params.get("where"))
        n = len(rows)
        ok = (
            n >= params.get("min", 0)
            and ("max" not in params or n <= params["max"])
            and ("equals" not in params or n == params["equals"])
        )
        bounds = ", ".join(
            f"{label} {params[k]}"
            for k, label in (("min", "co najmniej"), ("max", "co najwyżej"), ("equals", "dokładnie"))
            if k in params
        )
        ids = [r["id"] for r in rows if "id" in r]
        return CheckResult(
            1.0 if ok else 0.0,
            f"jest {n}, oczekiwano: {bounds}",
            observed=n,
            expected=bounds,
            event_seqs=snapshot.evidence(params["entity"], ids),
        )


@register
class EventExists(CheckType):
    """The action log holds an entry of the given action (on the given record / company, with given details)."""

    name = "event_exists"
    label = "zdarzenie w dzienniku"
    schema = _object(
        ["action"],
        {
            "action": {
                "anyOf": [
                    {"type": "string", "minLength": 1},
                    {"type": "array", "items": {"type": "string"}, "minItems": 1},
                ]
            },
            "entity": ENTITY,
            "where": WHERE,
            "account": {"type": "string"},
            "details": {"type": "object"},
            "after_start": {"type": "boolean"},
            "actor": {"enum": ["candidate", "commission", "system", "any"]},
            "min": {"type": "integer", "minimum": 1},
        },
    )

    def check_params(self, params, problems):
        if "where" in params and "entity" not in params:
            problems.error(("where",), "„where” wymaga wskazania encji w „entity”")
        if "entity" in params:
            check_where(params["entity"], params.get("where"), ("where",), problems)
        if "account" in params:
            _seed_key("account", params["account"], ("account",), problems)

    def evaluate(self, snapshot: Snapshot, params):
        actions = params["action"] if isinstance(params["action"], list) else [params["action"]]
        actor = params.get("actor", "candidate")
        start = snapshot.start_seq if params.get("after_start", True) else 0
        entity = params.get("entity")
        ids = None
        if entity and "where" in params:
            ids = {r["id"] for r in snapshot.match(entity, params["where"])}
        account = snapshot.seed_id("account", params["account"]) if "account" in params else None
        found = []
        for e in snapshot.log():
            if e["seq"] <= start or not any(_action_matches(a, e["action"]) for a in actions):
                continue
            if actor != "any" and e["actor_kind"] != actor:
                continue
            if entity and e["entity_type"] != voc.LOG_TYPES.get(entity, entity):
                continue
            if ids is not None and e["entity_id"] not in ids:
                continue
            if account is not None and e["account_id"] != account:
                continue
            if not all(
                _detail_matches(e["details"].get(k), snapshot.resolve(v)) for k, v in params.get("details", {}).items()
            ):
                continue
            found.append(e["seq"])
        needed = params.get("min", 1)
        return CheckResult(
            1.0 if len(found) >= needed else 0.0,
            f"znaleziono {len(found)} zdarzeń „{', '.join(actions)}” (potrzeba: {needed})",
            observed=len(found),
            expected=needed,
            event_seqs=found[-20:],
        )


def _action_matches(pattern: str, action: str) -> bool:
    return action.startswith(pattern[:-1]) if pattern.endswith("*") else action == pattern


def _detail_matches(actual: Any, expected: Any) -> bool:
    options = (*TEXT_DEFAULT, "diacritics")
    if isinstance(actual, list):
        return any(normalise(a, options) == normalise(expected, options) for a in actual)
    return normalise(actual, options) == normalise(expected, options)


AGGREGATE = _object(["fn"], {"fn": {"enum": ["count", "sum", "avg", "min", "max"]}, "field": {"type": "string"}})
FILTER = _object(
    ["field"], {"field": {"type": "string"}, "op": {"type": "string"}, "value": REFERENCE, "to": REFERENCE}
)


@register
class ReportMatches(CheckType):
    """A saved report has the expected source, grouping, aggregates and filters, or computes the same rows."""

    name = "report_matches"
    label = "raport zgodny z zapytaniem"
    partial_credit = True
    schema = _object(
        ["source"],
        {
            "source": {"type": "string"},
            "group_by": {"type": "array", "items": {"type": "string"}},
            "aggregates": {"type": "array", "items": AGGREGATE},
            "filters": {"type": "array", "items": FILTER},
            "name_contains": {"type": "string"},
            "new": {"type": "boolean"},
            "compare_rows": {"type": "boolean"},
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
            expected=_expected_definition(params),
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
        return parts


def _expected_definition(params: dict[str, Any]) -> dict[str, Any]:
    return {
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
    from simulator.crm.services.report_sources import SOURCES
    from simulator.crm.services.reports import run, validate

    try:
        normalised = validate(definition)
    except CrmError:
        return None
    rows = SOURCES[normalised["source"]].load(snapshot.orm_session())
    return [[plain(v) for v in row] for row in run(normalised, rows, snapshot.business_date).rows]


FUNCTIONS = ["count", "sum", "avg", "min", "max", "value"]


def _aggregate(fn: str, values: list[Any]) -> Any:
    """Return sum, avg, min, max or the single distinct value of ``values`` (None when undetermined)."""
    if fn == "value":
        return values[0] if len({plain(v) for v in values}) == 1 else None
    if not values:
        return Decimal(0) if fn == "sum" else None
    if fn in ("sum", "avg"):
        total = sum((Decimal(v) for v in values), Decimal(0))
        return total if fn == "sum" else total / len(values)
    return min(values) if fn == "min" else max(values)


COMPUTE = _object(
    ["fn", "entity"], {"fn": {"enum": FUNCTIONS}, "entity": ENTITY, "field": {"type": "string"}, "where": WHERE}
)


@register
class AnswerEquals(CheckType):
    """The candidate's typed answer equals a value computed from the live instance at check time."""

    name = "answer_equals"
    label = "odczytana wartość"
    schema = _object(
        ["answer", "expected"],
        {
            "answer": {"type": "string"},
            "expected": {"anyOf": [COMPUTE, _object(["value"], {"value": REFERENCE})]},
            "tolerance": TOLERANCE,
            "normalise": NORMALISE,
        },
    )

    def check_params(self, params, problems):
        if params["answer"] not in problems.answers:
            problems.error(("answer",), f"zadanie nie ma pola odpowiedzi „{params['answer']}”")
        expected = params["expected"]
        if "fn" in expected:
            entity = expected["entity"]
            if expected["fn"] != "count":
                if not expected.get("field"):
                    problems.error(("expected",), f"funkcja „{expected['fn']}” wymaga pola „field”")
                else:
                    _, error = voc.resolve_path(entity, expected["field"])
                    if error:
                        problems.error(("expected", "field"), error)
            check_where(entity, expected.get("where"), ("expected", "where"), problems)
        else:
            _value_refs(expected["value"], ("expected", "value"), problems)

    def expected_value(self, snapshot: Snapshot, params: dict[str, Any]) -> Any:
        """Compute the value the answer must equal (None when the instance does not determine one)."""
        expected = params["expected"]
        if "fn" not in expected:
            return snapshot.resolve(expected["value"])
        rows = snapshot.match(expected["entity"], expected.get("where"))
        if expected["fn"] == "count":
            return len(rows)
        values = [snapshot.value(expected["entity"], r, expected["field"]) for r in rows]
        return _aggregate(expected["fn"], [v for v in values if v is not None])

    def evaluate(self, snapshot: Snapshot, params):
        key = params["answer"]
        typed = snapshot.answers.get(key)
        expected = self.expected_value(snapshot, params)
        seqs = [
            e["seq"]
            for e in snapshot.log()
            if e["action"] == "task.answer_saved" and key in (e["details"].get("answers") or {})
        ][-5:]
        if typed in (None, ""):
            return CheckResult(0.0, "kandydat nie podał odpowiedzi", expected=plain(expected), event_seqs=seqs)
        if expected is None:
            return CheckResult(
                0.0, "w instancji nie da się ustalić oczekiwanej wartości", observed=typed, event_seqs=seqs
            )
        if snapshot.answer_kinds.get(key) == "number" or isinstance(expected, (int, Decimal)):
            number, target = parse_number(typed), parse_number(expected)
            tolerance = Decimal(str(params.get("tolerance", 0)))
            ok = number is not None and target is not None and abs(number - target) <= tolerance
        else:
            options = params.get("normalise") or (*TEXT_DEFAULT, "diacritics")
            ok = normalise(typed, options) == normalise(plain(expected), options)
        detail = f"odpowiedź „{typed}”, wartość w CRM w chwili sprawdzenia: {plain(expected)}"
        return CheckResult(1.0 if ok else 0.0, detail, observed=typed, expected=plain(expected), event_seqs=seqs)
