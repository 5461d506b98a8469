"""SQL text built from our own vocabulary (table and column names), made once per distinct statement.

SQLAlchemy memoises a statement's cache key on the statement object, so reusing the object skips parsing the
text and computing its key on every call (the hot path is provisioning, ~15 statements per instance).
"""

from __future__ import annotations

import functools

from sqlalchemy import Date, TextClause, bindparam, text


@functools.lru_cache(maxsize=1024)
def sql(statement: str) -> TextClause:
    """Return the (shared) text clause of ``statement``; its bound parameters are named ``:name``."""
    return text(statement)


@functools.lru_cache(maxsize=64)
def sql_with_date(statement: str, name: str) -> TextClause:
    """Like :func:`sql`, with the parameter ``name`` bound as a date (ISO text in SQLite, DATE in PostgreSQL)."""
    return text(statement).bindparams(bindparam(name, type_=Date))
