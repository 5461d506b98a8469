"""Check type over the action log: event_exists."""

from __future__ import annotations

from typing import Any

from simulator.checks import CheckResult, CheckType, register
from simulator.checks import vocabulary as voc
from simulator.checks.normalise import TEXT_DEFAULT, normalise
from simulator.checks.params import ENTITY, WHERE, check_where, obj, seed_key
from simulator.checks.snapshot import Snapshot


@register
class EventExists(CheckType):
    """The action log holds an entry of the given action (on the given record / company, with given details)."""

    name = "event_exists"
    label = "zdarzenie w dzienniku"
    schema = obj(
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
            seed_key("account", params["account"], ("account",), problems)

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
