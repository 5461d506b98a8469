"""Engines and sessions bound to one instance's database file (the SQLite file store).

On PostgreSQL, ``pgstore.PostgresStore.open_session`` opens the request's session instead: one pooled engine
for every instance, the schema chosen and the instance's advisory lock taken at the start of each transaction.

Each request opens one session on the instance its token names. Connections are not pooled (a reset or
destroy in another worker must never meet a stale handle), and every transaction starts with
BEGIN IMMEDIATE: almost every request appends to the action log, and taking the write lock up front
keeps two requests from racing for the same chain position.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

_MAX_ENGINES = 256
_engines: OrderedDict[str, Engine] = OrderedDict()
_lock = threading.Lock()


def _on_connect(dbapi_connection, connection_record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event emits BEGIN IMMEDIATE instead
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged change survives a machine crash
    cursor.close()


def _on_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def engine_for(path: Path) -> Engine:
    """Return the (cached) engine of one instance file."""
    key = str(path)
    with _lock:
        engine = _engines.pop(key, None)
        if engine is None:
            engine = create_engine(URL.create("sqlite", database=key), poolclass=NullPool)
            event.listen(engine, "connect", _on_connect)
            event.listen(engine, "begin", _on_begin)
        _engines[key] = engine
        while len(_engines) > _MAX_ENGINES:
            _engines.popitem(last=False)[1].dispose()
    return engine


def open_session(path: Path) -> Session:
    """Open a session on an instance file (the caller closes it)."""
    return Session(engine_for(path), expire_on_commit=False, autoflush=True)


def forget(path: Path) -> None:
    """Drop the cached engine of a removed instance."""
    with _lock:
        engine = _engines.pop(str(path), None)
    if engine is not None:
        engine.dispose()
