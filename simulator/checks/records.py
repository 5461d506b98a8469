"""Check types over records: record_exists, field_equals, count."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.checks import CheckResult, CheckType, register
from simulator.checks import vocabulary as voc
from simulator.checks.normalise import IDENTIFIER_DEFAULT, TEXT_DEFAULT, normalise, parse_number, phone_digits
from simulator.checks.params import (
    COUNT,
    ENTITY,
    NORMALISE,
    TOLERANCE,
    WHERE,
    check_where,
    enum_value,
    obj,
    seed_key,
    value_refs,
)
from simulator.checks.snapshot import Snapshot, compare, plain


@register
class RecordExists(CheckType):
    """At least one record of the entity satisfies ``where`` (e.g. the company with a given NIP was created)."""

    name = "record_exists"
    label = "rekord istnieje"
    schema = obj(["entity"], {"entity": ENTITY, "where": WHERE})

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
    schema = obj(
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
            value_refs(expected, ("fields", name), problems)
            enum_value(fields[-1], expected, ("fields", name), problems)
            if fields[-1].ref:
                seed_key(fields[-1].ref, expected, ("fields", name), problems)

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
    schema = obj(
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
