"""Check type for read-the-value tasks: answer_equals.

Amounts in different currencies are never added together: as on the CRM's own pages, a sum, average,
minimum or maximum of an amount of records that have a currency (opportunities) counts only those in PLN,
unless the check's ``where`` names the currency itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.checks import CheckResult, CheckType, register
from simulator.checks import vocabulary as voc
from simulator.checks.normalise import TEXT_DEFAULT, normalise, parse_number
from simulator.checks.params import ENTITY, NORMALISE, REFERENCE, TOLERANCE, WHERE, check_where, obj, value_refs
from simulator.checks.snapshot import Snapshot, plain
from simulator.crm.enums import Currency

FUNCTIONS = ["count", "sum", "avg", "min", "max", "value"]
AMOUNT_FUNCTIONS = frozenset({"sum", "avg", "min", "max"})
BASE_CURRENCY = Currency.PLN.value


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


def _in_one_currency(expected: dict[str, Any]) -> dict[str, Any] | None:
    """Return the ``where`` of a computed value, limited to PLN records when it aggregates their amounts."""
    entity, where = expected["entity"], expected.get("where")
    if expected["fn"] not in AMOUNT_FUNCTIONS or "currency" not in voc.FIELDS[entity] or "currency" in (where or {}):
        return where
    fields, error = voc.resolve_path(entity, expected.get("field") or "")
    if error or fields[-1].kind != "money":
        return where
    return {**(where or {}), "currency": BASE_CURRENCY}


COMPUTE = obj(
    ["fn", "entity"], {"fn": {"enum": FUNCTIONS}, "entity": ENTITY, "field": {"type": "string"}, "where": WHERE}
)


@register
class AnswerEquals(CheckType):
    """The candidate's typed answer equals a value computed from the live instance at check time."""

    name = "answer_equals"
    label = "odczytana wartość"
    schema = obj(
        ["answer", "expected"],
        {
            "answer": {"type": "string"},
            "expected": {"anyOf": [COMPUTE, obj(["value"], {"value": REFERENCE})]},
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
            value_refs(expected["value"], ("expected", "value"), problems)

    def expected_value(self, snapshot: Snapshot, params: dict[str, Any]) -> Any:
        """Compute the value the answer must equal (None when the instance does not determine one)."""
        expected = params["expected"]
        if "fn" not in expected:
            return snapshot.resolve(expected["value"])
        rows = snapshot.match(expected["entity"], _in_one_currency(expected))
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
