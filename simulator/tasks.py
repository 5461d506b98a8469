"""Scenario tasks at run time: per-instance variables, rendered instructions, answer fields and saved answers.

When an instance is provisioned (or reset) its task variables are read from the fresh, seed-varied data and
stored in ``instance_meta`` (``task_variables``), together with the highest id of every entity in the start
state (``seed_max_ids``, which tells records the candidate added from seeded ones). Instructions therefore
always show the start values, whatever the candidate later edits. Every function takes a SQLAlchemy
``Connection`` on the instance (a SQLite file or a PostgreSQL schema) and runs the same Core statements.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy import Connection, TextClause, text
from sqlalchemy.exc import OperationalError

from simulator.checks import vocabulary as voc
from simulator.checks.snapshot import convert, plain
from simulator.scenario import Scenario
from simulator.scenario_tasks import PLACEHOLDER
from simulator.sqltext import sql

VARIABLES_KEY = "task_variables"
SEED_MAX_KEY = "seed_max_ids"


@dataclass(frozen=True)
class AnswerField:
    """An answer the candidate types for a read-the-value task, with its current saved value."""

    key: str
    label: str
    kind: str  # number or text
    unit: str = ""
    help: str = ""
    value: str = ""


@dataclass(frozen=True)
class TaskView:
    """A task as the candidate (and the platform's task list) sees it: rendered instructions and answer fields."""

    key: str
    title: str
    minutes: int
    criteria: list[str]
    instructions: str
    answers: list[AnswerField] = field(default_factory=list)


def _read_field(conn: Connection, entity: str, record_id: int, path: str) -> tuple[Any, str]:
    fields, _ = voc.resolve_path(entity, path)
    current_entity, current_id = entity, record_id
    for f in fields[:-1]:
        query = sql(f"SELECT {f.sql} FROM {voc.table(current_entity)} WHERE id = :id")  # noqa: S608
        row = conn.execute(query, {"id": current_id}).first()
        if row is None or row[0] is None:
            return None, fields[-1].kind
        current_entity, current_id = f.ref, row[0]
    last = fields[-1]
    query = sql(f"SELECT {last.sql} FROM {voc.table(current_entity)} WHERE id = :id")  # noqa: S608
    row = conn.execute(query, {"id": current_id}).first()
    return (convert(last.kind, row[0]) if row else None), last.kind


def _variable(conn: Connection, ids: dict[str, dict[str, int]], spec: dict[str, Any]) -> dict[str, Any]:
    """Read one variable: a field of a seeded record, or the sum of it over several records, times a factor."""
    keys = spec["key"] if isinstance(spec["key"], list) else [spec["key"]]
    found = []
    for key in keys:
        record_id = ids.get(spec["entity"], {}).get(key)
        found.append(_read_field(conn, spec["entity"], record_id, spec["field"]) if record_id else (None, "text"))
    value, kind = found[0]
    if isinstance(spec["key"], list) or "times" in spec:
        if any(v is None for v, _ in found):
            return {"value": None, "kind": kind}
        value = sum((Decimal(v) for v, _ in found), Decimal(0)) * Decimal(str(spec.get("times", 1)))
        value = value.quantize(Decimal("0.01")) if kind == "money" else value
    return {"value": plain(value), "kind": kind}


def compute_variables(conn: Connection, scenario: Scenario) -> dict[str, dict[str, dict[str, Any]]]:
    """Return task key → variable → {value, kind} read from the instance's current data."""
    ids = scenario.seed_ids
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for task in scenario.tasks:
        values = {}
        for name, spec in task.get("variables", {}).items():
            values[name] = _variable(conn, ids, spec)
        found[task["key"]] = values
    return found


@functools.lru_cache(maxsize=1)
def _max_ids_query() -> TextClause:
    parts = [
        f"SELECT '{entity}', coalesce(max(id), 0) FROM {voc.table(entity)}"  # noqa: S608  (our own vocabulary)
        for entity in voc.ENTITY_MODELS
        if "id" in voc.FIELDS[entity]
    ]
    return text(" UNION ALL ".join(parts))  # one query: provisioning stays close to a file copy


def seed_max_ids(conn: Connection) -> dict[str, int]:
    """Return the highest id of every entity (the start state: larger ids were added by the candidate)."""
    return dict(conn.execute(_max_ids_query()).tuples().all())


def meta_rows(conn: Connection, scenario: Scenario, start_ids: dict[str, int] | None = None) -> list[dict[str, str]]:
    """The settings a fresh (or reset) instance stores for its tasks: task variables and start-state ids.

    ``start_ids`` may be given when known: they are the template's (variations change values, never add rows).
    """
    ids = seed_max_ids(conn) if start_ids is None else start_ids
    values = {VARIABLES_KEY: compute_variables(conn, scenario), SEED_MAX_KEY: ids}
    return [
        {"key": key, "value": json.dumps(value, ensure_ascii=False, sort_keys=True)} for key, value in values.items()
    ]


def write_meta(conn: Connection, rows: list[dict[str, str]]) -> None:
    """Store instance settings (key → text), replacing the values already there.

    Delete, then insert: an upsert (``ON CONFLICT (key)``) cannot name its conflict on a PostgreSQL instance,
    whose ``instance_meta`` is a view onto a table keyed by (instance, key).
    """
    conn.execute(_DELETE_META, [{"key": row["key"]} for row in rows])
    conn.execute(_INSERT_META, rows)


def initialise(conn: Connection, scenario: Scenario) -> None:
    """Store the task variables and the start-state ids of a fresh (or reset) instance in its settings."""
    write_meta(conn, meta_rows(conn, scenario))


_DELETE_META = text("DELETE FROM instance_meta WHERE key = :key")
_INSERT_META = text("INSERT INTO instance_meta (key, value) VALUES (:key, :value)")
_READ_META = text("SELECT key, value FROM instance_meta WHERE key IN (:variables, :max_ids)")


def stored(conn: Connection, scenario: Scenario) -> tuple[dict, dict[str, int]]:
    """Return (task variables, start-state ids) of an instance; computed now for instances made before tasks."""
    meta = dict(conn.execute(_READ_META, {"variables": VARIABLES_KEY, "max_ids": SEED_MAX_KEY}).tuples().all())
    variables = json.loads(meta[VARIABLES_KEY]) if VARIABLES_KEY in meta else compute_variables(conn, scenario)
    max_ids = json.loads(meta[SEED_MAX_KEY]) if SEED_MAX_KEY in meta else {}
    return variables, max_ids


def saved_answers(conn: Connection) -> dict[str, dict[str, str]]:
    """Return task key → answer key → the value the candidate saved."""
    found: dict[str, dict[str, str]] = {}
    try:
        rows = conn.execute(text("SELECT task_key, answer_key, value FROM task_answer ORDER BY id")).all()
    except OperationalError:  # a SQLite instance built before the task panel existed
        return found
    for task_key, answer_key, value in rows:
        found.setdefault(task_key, {})[answer_key] = value
    return found


def format_value(value: Any, kind: str) -> str:
    """Show a variable the Polish way: 48 000,00 zł, 16.03.2026, plain text."""
    if value is None:
        return "—"
    if kind == "money":
        return format_decimal(Decimal(value), format="#,##0.00", locale="pl_PL").replace("\u00a0", " ") + " zł"
    if kind == "date":
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    return str(value)


def render_instructions(text: str, variables: dict[str, dict[str, Any]]) -> str:
    """Replace ``{{ name }}`` in instructions by the formatted value of the task variable."""

    def one(match: re.Match) -> str:
        spec = variables.get(match.group(1))
        return format_value(spec["value"], spec["kind"]) if spec else match.group(0)

    return PLACEHOLDER.sub(one, text)


def task_views(conn: Connection, scenario: Scenario) -> list[TaskView]:
    """Return every task of the scenario as the candidate sees it in this instance."""
    variables, _ = stored(conn, scenario)
    answers = saved_answers(conn)
    views = []
    for task in scenario.tasks:
        given = answers.get(task["key"], {})
        views.append(
            TaskView(
                key=task["key"],
                title=task["title"],
                minutes=task["minutes"],
                criteria=list(task["criteria"]),
                instructions=render_instructions(task["instructions"], variables.get(task["key"], {})),
                answers=[
                    AnswerField(
                        a["key"], a["label"], a["kind"], a.get("unit", ""), a.get("help", ""), given.get(a["key"], "")
                    )
                    for a in task.get("answers", [])
                ],
            )
        )
    return views
