"""SQL text built from our own vocabulary (table and column names), made once per distinct statement.

SQLAlchemy memoises a statement's cache key on the statement object, so reusing the object skips parsing the
text and computing its key on every call (the hot path is provisioning, ~15 statements per instance).

``DirectSQLite`` runs the same statement objects straight on a ``sqlite3`` connection: each is compiled once
for SQLite (positional parameters) and then executed
without an engine's per-call work. The file store's provisioning uses it; there a provision must stay within
a few times a plain file copy, and SQLAlchemy's execution path alone costs more than the statements.
"""

from __future__ import annotations

import functools
import operator
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, TextClause, text
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite


@functools.lru_cache(maxsize=1024)
def sql(statement: str) -> TextClause:
    """Return the (shared) text clause of ``statement``; its bound parameters are named ``:name``."""
    return text(statement)


_SQLITE = SQLiteDialect_pysqlite()


class _SQLiteForm:
    """A clause compiled for SQLite: ``?`` placeholders and a getter of its values in order."""

    __slots__ = ("clause", "names", "statement", "values")

    def __init__(self, clause: TextClause) -> None:
        compiled = clause.compile(dialect=_SQLITE)
        self.clause, self.statement = clause, compiled.string
        self.names = tuple(compiled.positiontup or ())
        getter = operator.itemgetter(*self.names) if self.names else (lambda _p: ())
        self.values = getter if len(self.names) != 1 else (lambda p, g=getter: (g(p),))

    def row(self, params: Mapping[str, Any]) -> tuple:
        return self.values(params)


_forms: dict[int, _SQLiteForm] = {}


def _sqlite_form(clause: TextClause) -> _SQLiteForm:
    form = _forms.get(id(clause))
    if form is None or form.clause is not clause:
        form = _forms[id(clause)] = _SQLiteForm(clause)
    return form


class DirectResult:
    """The part of SQLAlchemy's ``Result`` our shared statements use, over a ``sqlite3`` cursor."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._cursor)

    def all(self) -> list[tuple]:
        return self._cursor.fetchall()

    def first(self) -> tuple | None:
        row = self._cursor.fetchone()
        self._cursor.close()
        return row

    def scalar(self) -> Any:
        row = self.first()
        return row[0] if row else None

    def tuples(self) -> DirectResult:
        return self


class DirectSQLite:
    """A ``sqlite3`` connection that executes our text clauses like a SQLAlchemy ``Connection`` would.

    Only ``execute(clause, params)`` with one mapping or a list of mappings (executemany); the caller opens
    and ends the transaction on the raw connection.
    """

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, clause: TextClause, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None):
        form = _sqlite_form(clause)
        if isinstance(params, Sequence):
            return DirectResult(self.raw.executemany(form.statement, [form.row(p) for p in params]))
        return DirectResult(self.raw.execute(form.statement, form.row(params or {})))


# what the shared statements (variations, task set-up, the action log) run on
Runner = Connection | DirectSQLite
__all__ = ["DirectSQLite", "Runner", "sql"]
