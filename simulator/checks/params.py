"""Shared pieces of the built-in check types: schema fragments and load-time checks of ``where`` filters."""

from __future__ import annotations

from typing import Any

from simulator.checks import ParamProblems
from simulator.checks import vocabulary as voc
from simulator.checks.normalise import OPTIONS, TEXT_DEFAULT, normalise
from simulator.checks.snapshot import OPERATORS

ENTITY = {"enum": sorted(voc.ENTITY_MODELS)}
WHERE = {"type": "object"}
NORMALISE = {"type": "array", "items": {"enum": list(OPTIONS)}, "uniqueItems": True}
COUNT = {"type": "integer", "minimum": 0}
TOLERANCE = {"type": "number", "minimum": 0}
REFERENCE = {"anyOf": [{"type": ["string", "number", "boolean", "null"]}, {"type": "array"}, {"type": "object"}]}


def obj(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False, **extra}


def value_refs(value: Any, at: tuple, problems: ParamProblems) -> None:
    """Report ``{var: …}`` naming no task variable and ``{answer: …}`` naming no answer field."""
    if isinstance(value, dict) and len(value) == 1:
        if "var" in value and value["var"] not in problems.variables:
            problems.error((*at, "var"), f"zadanie nie ma zmiennej „{value['var']}” (zdefiniuj ją w „variables”)")
        if "answer" in value and value["answer"] not in problems.answers:
            problems.error((*at, "answer"), f"zadanie nie ma pola odpowiedzi „{value['answer']}”")
    if isinstance(value, list):
        for i, item in enumerate(value):
            value_refs(item, (*at, i), problems)


def enum_value(field: voc.Field, value: Any, at: tuple, problems: ParamProblems) -> None:
    """Report a literal value an enum field can never hold (a typo would make the check fail for everyone)."""
    if not field.choices:
        return
    allowed = {normalise(choice, TEXT_DEFAULT) for choice in field.choices}  # compared as field_equals compares
    for i, item in enumerate(value if isinstance(value, list) else [value]):
        if isinstance(item, str) and normalise(item, TEXT_DEFAULT) not in allowed:
            problems.error(
                (*at, i) if isinstance(value, list) else at,
                f"pole „{field.name}” nie przyjmuje wartości „{item}”; dozwolone: " + ", ".join(field.choices),
            )


def seed_key(entity: str, key: Any, at: tuple, problems: ParamProblems) -> None:
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
                seed_key(entity, key, (*here, i) if isinstance(condition, list) else here, problems)
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
        value_refs(value, at_op, problems)
        if op in ("eq", "ne", "in", "not_in"):
            enum_value(fields[-1], value, at_op, problems)
        if target and op in ("eq", "ne", "in", "not_in"):
            for i, key in enumerate(value if isinstance(value, list) else [value]):
                seed_key(target, key, (*at_op, i) if isinstance(value, list) else at_op, problems)
