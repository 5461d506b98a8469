"""A read-only view of one instance for the duration of one evaluation: rows by entity, the log, the meta.

Rows are read once per entity with plain SQL and converted by field kind (grosze → Decimal, ISO text or a
PostgreSQL date → date), so every check of every task shares them; an evaluation of all tasks stays a handful
of queries. The connection is a SQLAlchemy ``Connection`` on the instance inside a read-only transaction.
``where`` filters are applied in Python, which gives text comparisons the same normalisation as checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from simulator.checks import vocabulary as voc
from simulator.checks.normalise import IDENTIFIER_DEFAULT, TEXT_DEFAULT, normalise, parse_number, phone_digits
from simulator.sqltext import sql

OPERATORS = {
    "eq": "równa się",
    "ne": "różni się od",
    "in": "jedna z wartości",
    "not_in": "żadna z wartości",
    "contains": "zawiera",
    "starts": "zaczyna się od",
    "gt": "większa niż",
    "gte": "co najmniej",
    "lt": "mniejsza niż",
    "lte": "co najwyżej",
    "empty": "pusta (true) / niepusta (false)",
}


def is_operators(condition: Any) -> bool:
    """Return whether a ``where`` condition is a map of operators (``{gte: 1, lte: 5}``) rather than a value."""
    return isinstance(condition, dict) and bool(condition) and all(k in OPERATORS for k in condition)


def _typed(kind: type, parse):
    """Return a converter that parses ISO text (SQLite) and passes a driver's typed value (PostgreSQL) through."""
    return lambda raw: raw if isinstance(raw, kind) else parse(raw)


CONVERTERS = {
    "money": lambda raw: Decimal(raw).scaleb(-2),
    "date": _typed(date, date.fromisoformat),
    "datetime": _typed(datetime, datetime.fromisoformat),
    "time": _typed(time, time.fromisoformat),
    "bool": bool,
}


def convert(kind: str, raw: Any) -> Any:
    """Return a stored value (SQLite text and integers, or PostgreSQL's typed values) as its field kind's value."""
    if raw is None or kind not in CONVERTERS:
        return raw
    return CONVERTERS[kind](raw)


def plain(value: Any) -> Any:
    """Return a value as JSON-safe data (for variables, details and results)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    return value


@dataclass
class Snapshot:
    """What checks read: the instance's rows, action log and settings, plus the task's variables and answers."""

    conn: Connection
    seed_ids: dict[str, dict[str, int]]
    business_date: date
    seed_max_ids: dict[str, int] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    answer_kinds: dict[str, str] = field(default_factory=dict)
    all_variables: dict[str, dict[str, Any]] = field(default_factory=dict)  # task → variable → {value, kind}
    all_answers: dict[str, dict[str, str]] = field(default_factory=dict)  # task → answer key → typed value
    _rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _by_id: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    _log: list[dict[str, Any]] | None = None
    _session: Any = None
    _sources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def orm_session(self):
        """Return a SQLAlchemy session in the snapshot's own read-only transaction (for the CRM's report engine)."""
        if self._session is None:
            from sqlalchemy.orm import Session

            self._session = Session(bind=self.conn)
        return self._session

    def source_rows(self, source: str) -> list[dict[str, Any]]:
        """Return the rows of a report source, loaded once per snapshot (every report check reads the same ones).

        The report engine filters and groups them into new lists and never changes a row, so they are shared.
        """
        if source not in self._sources:
            from simulator.crm.services.report_sources import SOURCES

            self._sources[source] = SOURCES[source].load(self.orm_session())
        return self._sources[source]

    # -- rows -------------------------------------------------------------------------------------------
    def rows(self, entity: str) -> list[dict[str, Any]]:
        """Return every record of an entity as a dict of vocabulary field → Python value (plus ``id``)."""
        if entity not in self._rows:
            fields = list(voc.FIELDS[entity].values())
            has_id = "id" in voc.FIELDS[entity]
            columns = ", ".join(f.sql for f in fields)
            order = " ORDER BY id" if has_id else ""
            cursor = self.conn.execute(sql(f"SELECT {columns} FROM {voc.table(entity)}{order}"))  # noqa: S608
            rows = [{f.name: convert(f.kind, v) for f, v in zip(fields, values, strict=True)} for values in cursor]
            self._rows[entity] = rows
            self._by_id[entity] = {r["id"]: r for r in rows if has_id}
        return self._rows[entity]

    def get(self, entity: str, record_id: int | None) -> dict[str, Any] | None:
        """Return one record by id."""
        if record_id is None:
            return None
        self.rows(entity)
        return self._by_id[entity].get(record_id)

    def value(self, entity: str, row: dict[str, Any], path: str) -> Any:
        """Return the value at a dotted field path of a row (``account.nip``), None when a link is empty."""
        fields, error = voc.resolve_path(entity, path)
        if error:
            raise KeyError(error)
        current = row
        for f in fields[:-1]:
            current = self.get(f.ref, current.get(f.name))
            if current is None:
                return None
        return current.get(fields[-1].name)

    # -- action log ----------------------------------------------------------------------------------------
    def log(self) -> list[dict[str, Any]]:
        """Return the instance's action log, oldest first, with details decoded."""
        if self._log is None:
            cursor = self.conn.execute(_LOG)
            names = ("seq", "occurred_at", "actor_kind", "action", "entity_type", "entity_id", "account_id")
            self._log = []
            for values in cursor:
                entry = dict(zip(names, values[:7], strict=True))
                entry["before"], entry["after"], entry["details"] = (json.loads(v) for v in values[7:])
                self._log.append(entry)
        return self._log

    @property
    def start_seq(self) -> int:
        """Return the log position where the candidate's work starts (the last provisioning or reset)."""
        starts = [e["seq"] for e in self.log() if e["action"] in ("instance.provisioned", "instance.reset")]
        return starts[-1] if starts else 0

    def evidence(self, entity: str, ids: list[int], limit: int = 20) -> list[int]:
        """Return the log entries (seq) of the candidate's actions on these records."""
        wanted, log_type = set(ids), voc.LOG_TYPES.get(entity, entity)
        found = [
            e["seq"]
            for e in self.log()
            if e["entity_type"] == log_type and e["entity_id"] in wanted and e["actor_kind"] == "candidate"
        ]
        return found[-limit:]

    # -- filters ---------------------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """Replace ``{var: name}`` by the task variable's value and ``{answer: key}`` by the typed answer."""
        if isinstance(value, dict) and len(value) == 1:
            if "var" in value:
                return self.variables.get(value["var"])
            if "answer" in value:
                return self.answers.get(value["answer"])
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def seed_id(self, entity: str, key: Any) -> int | None:
        """Return the id of the seeded record of ``entity`` with ``key`` (an int passes through)."""
        if isinstance(key, int) and not isinstance(key, bool):
            return key
        return self.seed_ids.get(entity, {}).get(str(key))

    def match(self, entity: str, where: dict[str, Any] | None) -> list[dict[str, Any]]:
        """Return the records of ``entity`` satisfying every condition of ``where``."""
        rows = self.rows(entity)
        for name, condition in (where or {}).items():
            rows = [r for r in rows if self._holds(entity, r, name, condition)]
        return rows

    def _holds(self, entity: str, row: dict[str, Any], name: str, condition: Any) -> bool:
        if name == "key":
            keys = condition if isinstance(condition, list) else [condition]
            return row.get("id") in {self.seed_id(entity, k) for k in keys}
        if name == "new":
            is_new = row.get("id", 0) > self.seed_max_ids.get(entity, 0)
            return is_new == bool(condition)
        fields, _ = voc.resolve_path(entity, name)
        kind, target = fields[-1].kind, fields[-1].ref
        actual = self.value(entity, row, name)
        ops = condition.items() if is_operators(condition) else [("eq", condition)]
        return all(compare(kind, actual, op, self.resolve(v), lambda k: self.seed_id(target, k)) for op, v in ops)


_LOG = text(
    "SELECT seq, occurred_at, actor_kind, action, entity_type, entity_id, account_id, before, after, details "
    "FROM action_log ORDER BY seq"
)


def _same_number(actual: Any, expected: Any) -> bool:
    number = parse_number(expected)
    return number is not None and Decimal(actual) == number


def _same_text(kind: str, actual: Any, expected: Any) -> bool:
    if kind == "phone":
        return phone_digits(actual) == phone_digits(expected)
    options = IDENTIFIER_DEFAULT if kind == "identifier" else TEXT_DEFAULT
    return normalise(actual, options) == normalise(expected, options)


def _same(kind: str, actual: Any, expected: Any, seed_id) -> bool:
    if expected is None or actual is None:
        return actual in (None, "") and expected is None
    comparisons = {
        "ref": lambda: actual == seed_id(expected),
        "money": lambda: _same_number(actual, expected),
        "number": lambda: _same_number(actual, expected),
        "date": lambda: plain(actual)[: len(str(expected))] == str(expected),
        "datetime": lambda: plain(actual)[: len(str(expected))] == str(expected),
        "time": lambda: plain(actual)[: len(str(expected))] == str(expected),
        "bool": lambda: bool(actual) == bool(expected),
    }
    return comparisons[kind]() if kind in comparisons else _same_text(kind, actual, expected)


def _order(kind: str, actual: Any, expected: Any) -> tuple[Any, Any] | None:
    if actual is None or expected is None:
        return None
    if kind in ("money", "number"):
        number = parse_number(expected)
        return (Decimal(actual), number) if number is not None else None
    if kind in ("date", "datetime", "time"):
        return plain(actual)[: len(str(expected))], str(expected)
    return normalise(actual, TEXT_DEFAULT), normalise(expected, TEXT_DEFAULT)


def _contains(kind: str, actual: Any, op: str, expected: Any) -> bool:
    options = IDENTIFIER_DEFAULT if kind in ("identifier", "phone") else (*TEXT_DEFAULT, "diacritics")
    a, e = normalise(actual, options), normalise(expected, options)
    return actual is not None and (e in a if op == "contains" else a.startswith(e))


def compare(kind: str, actual: Any, op: str, expected: Any, seed_id) -> bool:
    """Return whether ``actual`` (a field of ``kind``) satisfies ``op expected``."""
    if op in ("eq", "ne"):
        return _same(kind, actual, expected, seed_id) == (op == "eq")
    if op in ("in", "not_in"):
        inside = any(_same(kind, actual, e, seed_id) for e in (expected or []))
        return inside == (op == "in")
    if op == "empty":
        return (actual in (None, "")) == bool(expected)
    if op in ("contains", "starts"):
        return _contains(kind, actual, op, expected)
    pair = _order(kind, actual, expected)
    if pair is None:
        return False
    a, e = pair
    return {"gt": a > e, "gte": a >= e, "lt": a < e, "lte": a <= e}[op]
