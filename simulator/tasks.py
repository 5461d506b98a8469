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


def _read_expression(entity: str, path: str, param: str) -> tuple[str, str]:
    """Return a scalar SQL expression reading ``path`` of the ``entity`` record whose id is ``:param`` (following
    references hop by hop; NULL where a hop is empty or the record is missing), and the field's kind."""
    fields, _ = voc.resolve_path(entity, path)
    current, record = entity, f":{param}"
    for f in fields[:-1]:
        record = f"(SELECT {f.sql} FROM {voc.table(current)} WHERE id = {record})"  # noqa: S608  (our vocabulary)
        current = f.ref
    last = fields[-1]
    return f"(SELECT {last.sql} FROM {voc.table(current)} WHERE id = {record})", last.kind  # noqa: S608


_VARIABLE_QUERIES: dict[str, tuple[TextClause | None, tuple[tuple[str, str, int, str], ...], dict]] = {}


def _variables_query(scenario: Scenario) -> tuple[TextClause | None, tuple[tuple[str, str, int, str], ...], dict]:
    """Return the one statement reading every variable field of a scenario's tasks (one round trip), the place
    of each column (task, variable, key index, kind), and its parameters (the seeded records' ids); made once
    per scenario version."""
    if scenario.digest not in _VARIABLE_QUERIES:
        _VARIABLE_QUERIES[scenario.digest] = _make_variables_query(scenario)
    return _VARIABLE_QUERIES[scenario.digest]


def _make_variables_query(scenario: Scenario) -> tuple[TextClause | None, tuple[tuple[str, str, int, str], ...], dict]:
    ids = scenario.seed_ids
    columns, places, params = [], [], {}
    for task in scenario.tasks:
        for name, spec in task.get("variables", {}).items():
            keys = spec["key"] if isinstance(spec["key"], list) else [spec["key"]]
            for index, key in enumerate(keys):
                param = f"r{len(columns)}"
                expression, kind = _read_expression(spec["entity"], spec["field"], param)
                record_id = ids.get(spec["entity"], {}).get(key)
                # a key with no seeded record reads nothing (NULL), as a missing record does
                params[param] = record_id if record_id else 0
                columns.append(f"{expression} AS c{len(columns)}")
                places.append((task["key"], name, index, kind if record_id else "text"))
    if not columns:
        return None, (), {}
    return sql("SELECT " + ", ".join(columns)), tuple(places), params


def _variable(spec: dict[str, Any], found: list[tuple[Any, str]]) -> dict[str, Any]:
    """Make one variable of the values read for it: a field of a seeded record, or the sum of it over several
    records, times a factor."""
    value, kind = found[0]
    if isinstance(spec["key"], list) or "times" in spec:
        if any(v is None for v, _ in found):
            return {"value": None, "kind": kind}
        value = sum((Decimal(v) for v, _ in found), Decimal(0)) * Decimal(str(spec.get("times", 1)))
        value = value.quantize(Decimal("0.01")) if kind == "money" else value
    return {"value": plain(value), "kind": kind}


def compute_variables(conn: Connection, scenario: Scenario) -> dict[str, dict[str, dict[str, Any]]]:
    """Return task key → variable → {value, kind} read from the instance's current data (in one query)."""
    statement, places, params = _variables_query(scenario)
    row = conn.execute(statement, params).first() if statement is not None else ()
    read: dict[tuple[str, str], list[tuple[Any, str]]] = {}
    for (task_key, name, _index, kind), value in zip(places, row, strict=True):
        read.setdefault((task_key, name), []).append((convert(kind, value) if value is not None else None, kind))
    return {
        task["key"]: {
            name: _variable(spec, read[task["key"], name]) for name, spec in task.get("variables", {}).items()
        }
        for task in scenario.tasks
    }


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
    if rows:
        conn.execute(_delete_meta(len(rows)), {f"k{i}": row["key"] for i, row in enumerate(rows)})
        conn.execute(_INSERT_META, rows)


def initialise(conn: Connection, scenario: Scenario) -> None:
    """Store the task variables and the start-state ids of a fresh (or reset) instance in its settings."""
    write_meta(conn, meta_rows(conn, scenario))


@functools.lru_cache(maxsize=8)
def _delete_meta(count: int) -> TextClause:
    """Delete ``count`` settings (named ``:k0`` …) in one statement."""
    return sql(f"DELETE FROM instance_meta WHERE key IN ({', '.join(f':k{i}' for i in range(count))})")  # noqa: S608


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
