"""The instance registry: one small SQLite file per sandbox root (``registry.sqlite3``).

It maps capability tokens to instances. Only SHA-256 digests of the tokens are stored, so a copy of the
registry does not open anyone's instance.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

REGISTRY_FILE = "registry.sqlite3"

# The registry's columns, the same in the SQLite file and the PostgreSQL schema (``{seed}`` is the 64-bit type).
INSTANCE_COLUMNS = """
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    viewer_token_hash TEXT NOT NULL UNIQUE,
    scenario TEXT NOT NULL,
    template TEXT NOT NULL,
    candidate_key TEXT NOT NULL,
    seed {seed} NOT NULL,
    created_at TEXT NOT NULL,
    frozen_at TEXT,
    business_date TEXT NOT NULL"""
FIELDS = "id, scenario, template, candidate_key, seed, created_at, frozen_at, business_date"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS instance ({INSTANCE_COLUMNS.format(seed="INTEGER")}
);
CREATE INDEX IF NOT EXISTS ix_instance_candidate_key ON instance (candidate_key);
"""
_ready: set[Path] = set()


def token_digest(token: str) -> str:
    """Return the stored form of a capability token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class InstanceRecord:
    """One instance as the registry knows it."""

    id: str
    scenario: str
    template: str
    candidate_key: str
    seed: int
    created_at: datetime
    frozen_at: datetime | None
    business_date: date

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    @classmethod
    def new(
        cls, *, scenario: str, business_date: date, template: str, candidate_key: str, seed: int, now: datetime
    ) -> InstanceRecord:
        """The record of an instance about to be created: a fresh random id, not frozen."""
        return cls(
            id=secrets.token_hex(8),
            scenario=scenario,
            template=template,
            candidate_key=candidate_key,
            seed=seed,
            created_at=now,
            frozen_at=None,
            business_date=business_date,
        )


def new_tokens() -> tuple[str, str]:
    """A new pair of capability tokens: the candidate's and the commission's (read-only)."""
    return secrets.token_urlsafe(24), secrets.token_urlsafe(24)


def insert_params(record: InstanceRecord, token: str, viewer_token: str) -> dict[str, object]:
    """The registry row of a new instance as named parameters (the same on SQLite and PostgreSQL)."""
    return {
        "id": record.id,
        "token_hash": token_digest(token),
        "viewer_token_hash": token_digest(viewer_token),
        "scenario": record.scenario,
        "template": record.template,
        "candidate_key": record.candidate_key,
        "seed": record.seed,
        "created_at": record.created_at.isoformat(timespec="microseconds"),
        "business_date": record.business_date.isoformat(),
    }


def _record(row: tuple) -> InstanceRecord:
    return InstanceRecord(
        id=row[0],
        scenario=row[1],
        template=row[2],
        candidate_key=row[3],
        seed=row[4],
        created_at=datetime.fromisoformat(row[5]),
        frozen_at=datetime.fromisoformat(row[6]) if row[6] else None,
        business_date=date.fromisoformat(row[7]),
    )


from_row = _record  # the PostgreSQL registry stores the same columns and reads them the same way

_local = threading.local()
_MAX_OPEN = 8  # registries kept open per thread (one in production; tests use many roots)


def _open(path: Path) -> sqlite3.Connection:
    fresh = path not in _ready or not path.exists()
    if fresh:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=True)
    conn.execute("PRAGMA synchronous=NORMAL")
    if fresh:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
        _ready.add(path)
    return conn


@contextmanager
def connect(root: Path) -> Iterator[sqlite3.Connection]:
    """Use the registry of ``root`` (created on first use) in autocommit mode.

    The connection stays open for the thread: opening and closing a WAL database costs more than the
    statements a provision runs.
    """
    path = root / REGISTRY_FILE
    if getattr(_local, "pid", None) != os.getpid():  # never reuse a connection inherited through fork()
        _local.cache, _local.pid = OrderedDict(), os.getpid()
    cache: OrderedDict[Path, sqlite3.Connection] = _local.cache
    conn = cache.pop(path, None)
    if conn is not None and not path.exists():  # the root was removed under us
        conn.close()
        conn = None
    if conn is None:
        conn = _open(path)
    cache[path] = conn
    while len(cache) > _MAX_OPEN:
        cache.popitem(last=False)[1].close()
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


def close_all() -> None:
    """Close this thread's open registries (before a root is deleted)."""
    cache = getattr(_local, "cache", None) or {}
    for conn in cache.values():
        conn.close()
    cache.clear()


def insert(conn: sqlite3.Connection, record: InstanceRecord, token: str, viewer_token: str) -> None:
    """Register a new instance with the digests of its two tokens."""
    conn.execute(
        "INSERT INTO instance (id, token_hash, viewer_token_hash, scenario, template, candidate_key, seed, "
        "created_at, frozen_at, business_date) VALUES (:id, :token_hash, :viewer_token_hash, :scenario, "
        ":template, :candidate_key, :seed, :created_at, NULL, :business_date)",
        insert_params(record, token, viewer_token),
    )


def get(conn: sqlite3.Connection, instance_id: str) -> InstanceRecord | None:
    """Return the instance with this id, if registered."""
    row = conn.execute(f"SELECT {FIELDS} FROM instance WHERE id = ?", (instance_id,)).fetchone()  # noqa: S608
    return _record(row) if row else None


def find_by_token(conn: sqlite3.Connection, token: str) -> tuple[InstanceRecord, str] | None:
    """Return the instance a token opens and the role it grants ("candidate" or "commission")."""
    digest = token_digest(token)
    row = conn.execute(
        f"SELECT {FIELDS}, token_hash = ? FROM instance WHERE token_hash = ? OR viewer_token_hash = ?",  # noqa: S608
        (digest, digest, digest),
    ).fetchone()
    if row is None:
        return None
    return _record(row[:-1]), ("candidate" if row[-1] else "commission")


def mark_frozen(conn: sqlite3.Connection, instance_id: str, when: datetime) -> None:
    """Record the moment an instance was frozen (only the first time)."""
    conn.execute(
        "UPDATE instance SET frozen_at = ? WHERE id = ? AND frozen_at IS NULL",
        (when.isoformat(timespec="microseconds"), instance_id),
    )


def delete(conn: sqlite3.Connection, instance_id: str) -> None:
    """Forget an instance: its tokens stop working at once."""
    conn.execute("DELETE FROM instance WHERE id = ?", (instance_id,))


def all_records(conn: sqlite3.Connection) -> list[InstanceRecord]:
    """Return every registered instance, oldest first."""
    rows = conn.execute(f"SELECT {FIELDS} FROM instance ORDER BY created_at").fetchall()  # noqa: S608
    return [_record(row) for row in rows]
