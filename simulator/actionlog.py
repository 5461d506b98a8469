"""The per-instance action log (dziennik działań): hash-chained, append-only.

Every entry hashes the previous entry's hash together with its own canonical JSON, so changing, removing
or inserting an entry breaks the chain from that point on. The same rules serve two writers: the CRM's
ORM session (candidate and commission actions) and a raw connection (system actions from the
sandbox manager), so both produce byte-identical payloads.

The raw writer and reader take a SQLAlchemy ``Connection`` and run the same Core statements (named
parameters) on both storage backends: a SQLite instance file or a PostgreSQL instance schema (the
connection's ``search_path`` names it). The caller holds the instance's write lock (BEGIN IMMEDIATE on
SQLite, the instance's advisory lock on PostgreSQL), so two writers never race for one chain position.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Connection, text

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_kind",
    "actor_label",
    "action",
    "entity_type",
    "entity_id",
    "account_id",
    "summary",
    "before",
    "after",
    "details",
)
COLUMNS = (*HASHED_FIELDS, "prev_hash", "entry_hash")


@dataclass(frozen=True)
class Actor:
    """Who acts: kind is candidate, commission or system; label says who exactly."""

    kind: str
    label: str


SYSTEM = Actor("system", "system")


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    raise TypeError(f"cannot log {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Serialise deterministically: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def timestamp(moment: datetime) -> str:
    """Return the stored text form of a log time."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def compute_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """Return SHA-256 over the previous hash and the row's canonical content."""
    content = {name: row[name] for name in HASHED_FIELDS}
    if isinstance(content["occurred_at"], datetime):
        content["occurred_at"] = timestamp(content["occurred_at"])
    return hashlib.sha256(f"{prev_hash}|{canonical_json(content)}".encode()).hexdigest()


def new_row(
    seq: int,
    prev_hash: str,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    entity_type: str = "",
    entity_id: int | None = None,
    account_id: int | None = None,
    summary: str = "",
    before: Mapping | None = None,
    after: Mapping | None = None,
    details: Mapping | None = None,
) -> dict[str, Any]:
    """Build a complete, hashed log row following ``prev_hash``."""
    row: dict[str, Any] = {
        "seq": seq,
        "occurred_at": timestamp(now),
        "actor_kind": actor.kind,
        "actor_label": actor.label,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "account_id": account_id,
        "summary": summary,
        "before": canonical_json(dict(before or {})),
        "after": canonical_json(dict(after or {})),
        "details": canonical_json(dict(details or {})),
        "prev_hash": prev_hash,
    }
    row["entry_hash"] = compute_hash(prev_hash, row)
    return row


_INSERT = text(
    f"INSERT INTO action_log ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + c for c in COLUMNS)})"  # noqa: S608
)
_LAST = text("SELECT seq, entry_hash FROM action_log ORDER BY seq DESC LIMIT 1")
_READ = text(f"SELECT {', '.join(COLUMNS)} FROM action_log WHERE seq > :since ORDER BY seq")  # noqa: S608


def insert_rows(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert complete rows as they are (used when rebuilding an instance)."""
    params = [{c: row[c] for c in COLUMNS} for row in rows]
    if params:
        conn.execute(_INSERT, params)


def append_raw(conn: Connection, *, last: tuple[int, str] | None = None, **fields: Any) -> dict[str, Any]:
    """Append one entry through a raw connection (the caller holds the instance's write transaction).

    ``last`` is the log's last (seq, hash) when the caller knows it (a fresh copy of a template whose log it
    has read), saving the query; otherwise it is read.
    """
    if last is None:
        row = conn.execute(_LAST).first()
        last = (row[0], row[1]) if row else (0, GENESIS_HASH)
    seq, prev = last[0] + 1, last[1]
    row = new_row(seq, prev, **fields)
    insert_rows(conn, [row])
    return row


def read_rows(conn: Connection, since_seq: int = 0) -> list[dict[str, Any]]:
    """Return the stored rows after ``since_seq`` in chain order."""
    return [dict(zip(COLUMNS, values, strict=True)) for values in conn.execute(_READ, {"since": since_seq})]


def verify_rows(rows: Iterable[Mapping[str, Any]]) -> tuple[bool, int | None]:
    """Walk the chain; return (True, None) or (False, seq of the first broken entry)."""
    expected, prev = 1, GENESIS_HASH
    for row in rows:
        if row["seq"] != expected:
            return False, expected
        if row["prev_hash"] != prev or compute_hash(prev, row) != row["entry_hash"]:
            return False, row["seq"]
        prev, expected = row["entry_hash"], expected + 1
    return True, None
