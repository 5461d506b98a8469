"""The file store (the default backend): one SQLite database per candidate instance, copied from a template.

Layout under the sandbox root (``<instance folder>/sandboxes`` by default)::

    registry.sqlite3                       instances and the digests of their tokens
    templates/<scenario>-<digest>.sqlite3  the seeded database of one scenario version (and the schema)
    templates/<scenario>-<digest>.yaml     the exact scenario text it was built from (used by reset)
    <instance id>.sqlite3                  one candidate's CRM

``FileStore`` wraps these functions in the ``storage.Store`` contract; with ``DATABASE_URL`` on PostgreSQL
``store_for`` returns the schema store (``simulator.pgstore``) instead. Raw work on an instance goes through a
SQLAlchemy ``Connection`` (the provisioning workbench's engine, ``file_connection`` for an instance file), so
variations, task set-up and the log run the same Core statements on both backends.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateTable

from simulator import actionlog, registry, tasks, upgrade, variations
from simulator.crm import models  # noqa: F401  (every table registered on the metadata)
from simulator.crm.base import Base
from simulator.errors import SimulatorError, UnknownInstance
from simulator.registry import InstanceRecord
from simulator.scenario import Scenario, parse_scenario
from simulator.seed import seed_scenario
from simulator.sqltext import DirectSQLite, Runner
from simulator.storage import DEFAULT_ROOT, PROJECT_ROOT, Store, provisioned_entry, store_for
from simulator.variations import apply_variations

__all__ = ["DEFAULT_ROOT", "PROJECT_ROOT", "FileStore", "Provisioned", "store_for"]
TEMPLATE_FORMAT = "1"  # bump when the seeding code changes meaning, so cached templates are rebuilt
SIDE_FILES = ("-wal", "-shm", "-journal")
_schema_digest: str | None = None


def schema_digest() -> str:
    """Return a digest of the CRM schema (DDL) and the template format: part of every template's name."""
    global _schema_digest  # noqa: PLW0603  (computed once per process)
    if _schema_digest is None:
        from sqlalchemy.dialects import sqlite

        ddl = "\n".join(str(CreateTable(t).compile(dialect=sqlite.dialect())) for t in Base.metadata.sorted_tables)
        _schema_digest = hashlib.sha256(f"{TEMPLATE_FORMAT}\n{ddl}".encode()).hexdigest()
    return _schema_digest


def template_path(root: Path, scenario: Scenario) -> Path:
    """Return where the template of this scenario version lives."""
    return root / "templates" / f"{scenario.id}-{scenario.digest[:16]}-{schema_digest()[:8]}.sqlite3"


def _remove(path: Path) -> None:
    for suffix in ("", *SIDE_FILES):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build_template(scenario: Scenario, root: Path) -> Path:
    """Create the seeded template database of a scenario once; later calls reuse the cached file."""
    path = template_path(root, scenario)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        engine = create_engine(URL.create("sqlite", database=str(tmp)), poolclass=NullPool)
        try:
            Base.metadata.create_all(engine)
            with Session(engine) as session:
                seed_scenario(session, scenario, datetime.now(UTC))
                session.commit()
        finally:
            engine.dispose()
        with closing(sqlite3.connect(tmp, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.execute("VACUUM")
        path.with_suffix(".yaml").write_bytes(scenario.source)
        os.replace(tmp, path)
    finally:
        _remove(tmp)
    return path


def template_scenario(template: Path) -> Scenario:
    """Return the scenario exactly as it was when this template was built."""
    source = template.with_suffix(".yaml")
    content = source.read_bytes() if source.exists() else b""
    if not content:
        raise SimulatorError(f"Brak treści scenariusza użytej do zbudowania szablonu {template.name}.")
    return parse_scenario(content, str(source), source)


def instance_path(root: Path, instance_id: str) -> Path:
    """Return the database file of an instance."""
    return root / f"{instance_id}.sqlite3"


_opening: ContextVar[tuple[str, tuple[tuple[str, tuple], ...]]] = ContextVar("sandbox_file")


def _open_file() -> sqlite3.Connection:
    path, setup = _opening.get()
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    for statement, params in setup:
        conn.execute(statement, params)
    return conn


# One engine for every instance file: the file and its PRAGMAs come with each connect (no pooling, as in
# crm.db: a reset or destroy in another worker must never meet a stale handle).
_files = create_engine("sqlite://", creator=_open_file, poolclass=NullPool)


@event.listens_for(_files, "begin")
def _begin(conn: Connection) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN IMMEDIATE"))


@contextmanager
def file_connection(
    path: Path, *setup: str | tuple[str, tuple], begin: str = "BEGIN IMMEDIATE"
) -> Iterator[Connection]:
    """Open an instance file as a SQLAlchemy connection: ``setup`` runs first, each transaction opens with ``begin``.

    The block does not commit by itself; leaving it without ``conn.commit()`` rolls back.
    """
    steps = tuple((s, ()) if isinstance(s, str) else s for s in setup)
    token = _opening.set((str(path), steps))
    try:
        conn = _files.connect()
    finally:
        _opening.reset(token)
    with conn:
        conn.execution_options(sqlite_begin=begin)
        yield conn


def _initialise(
    conn: Runner,
    scenario: Scenario,
    seed: int,
    instance_id: str,
    now: datetime,
    *,
    start_ids: dict[str, int] | None = None,
) -> None:
    """Turn a fresh template copy into an instance: variations and settings (``start_ids``: the template's)."""
    apply_variations(conn, scenario, seed)
    write_settings(conn, scenario, seed, instance_id, start_ids=start_ids)


def write_settings(
    conn: Runner, scenario: Scenario, seed: int, instance_id: str, *, start_ids: dict[str, int] | None = None
) -> None:
    """Store an instance's settings: its id, seed, business date, task variables (read from its varied rows) and
    the start state's highest ids (``start_ids``: the template's, when known)."""
    settings = [
        {"key": "instance_id", "value": instance_id},
        {"key": "seed", "value": str(seed)},
        {"key": "business_date", "value": scenario.business_date.isoformat()},
    ]
    tasks.write_meta(conn, settings + tasks.meta_rows(conn, scenario, start_ids))


@dataclass(frozen=True)
class Provisioned:
    """A new instance with its two capability tokens (shown once; only digests are stored)."""

    record: InstanceRecord
    token: str
    viewer_token: str


class _Workbench(threading.local):
    """Per thread: one in-memory connection per template, holding the last instance provisioned from it.

    Opening a SQLite database, or loading an image into a connection, costs more than varying it (the schema of
    every table and index is parsed again). Every value a provision writes is set outright, never derived from the
    value it replaces: variations start from the template's values (``variations.remember_start_values``), the
    settings are replaced by key and the log is emptied before its first entry. So the last instance is as good a
    start as the template, and a provision varies it in place, commits and writes the bytes of the result; a
    failed one leaves the connection to be loaded from the template again. ``test_sandbox`` proves that an
    instance's rows do not depend on what was provisioned before it.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.connections: dict[Path, tuple[sqlite3.Connection, dict[str, int]]] = {}

    def get(self, template: Path, scenario: Scenario) -> tuple[sqlite3.Connection, dict[str, int]]:
        """Return the connection and the template's highest ids (every instance starts with them)."""
        if self.pid != os.getpid():  # never reuse a connection inherited through fork()
            self.__init__()
        entry = self.connections.get(template)
        if entry is None:
            while len(self.connections) >= 8:
                self.connections.pop(next(iter(self.connections)))[0].close()
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            conn.deserialize(template.read_bytes())
            conn.execute("PRAGMA journal_mode=OFF")  # nothing to roll back to: a failure discards the connection
            work = DirectSQLite(conn)
            variations.remember_start_values(work, scenario)
            entry = self.connections[template] = (conn, tasks.seed_max_ids(work))
        return entry

    def discard(self, template: Path) -> None:
        """Forget the connection of a template (after a failed provision left it half-varied)."""
        entry = self.connections.pop(template, None)
        if entry is not None:
            entry[0].close()


_workbench = _Workbench()


def _instance_bytes(template: Path, scenario: Scenario, seed: int, instance_id: str, now: datetime) -> bytes:
    """Return the database image of a new instance: the template varied by the seed, with its first log entry.

    The shared statements run through ``DirectSQLite`` (compiled once, no engine per call): on a 300 KiB
    template they are most of a provision's time.
    """
    conn, start_ids = _workbench.get(template, scenario)
    try:
        conn.execute("BEGIN")
        conn.execute("DELETE FROM action_log")  # the previous instance's first entry
        work = DirectSQLite(conn)
        _initialise(work, scenario, seed, instance_id, now, start_ids=start_ids)
        actionlog.append_raw(work, now=now, last=(0, actionlog.GENESIS_HASH), **provisioned_entry(scenario, seed))
        conn.execute("COMMIT")
    except BaseException:
        _workbench.discard(template)
        raise
    return conn.serialize()


def provision(scenario: Scenario, candidate_key: str, seed: int, root: Path) -> Provisioned:
    """Create an isolated instance: vary the template by the seed, write it as the instance's file, register it."""
    template = build_template(scenario, root)
    now = datetime.now(UTC)
    record = InstanceRecord.new(
        scenario=scenario.id,
        business_date=scenario.business_date,
        template=template.name,
        candidate_key=candidate_key,
        seed=seed,
        now=now,
    )
    path = instance_path(root, record.id)
    image = _instance_bytes(template, scenario, seed, record.id, now)
    try:
        # written whole before it is registered: a crash leaves an unregistered file, never a broken instance
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(image)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        token, viewer_token = registry.new_tokens()
        with registry.connect(root) as reg:
            registry.insert(reg, record, token, viewer_token)
    except BaseException:
        _remove(path)
        raise
    return Provisioned(record, token, viewer_token)


def get_record(root: Path, instance_id: str) -> InstanceRecord:
    """Return the registry record of an instance or raise ``UnknownInstance``."""
    with registry.connect(root) as reg:
        record = registry.get(reg, instance_id)
    if record is None:
        raise UnknownInstance(instance_id)
    return record


def destroy(root: Path, instance_id: str) -> None:
    """Delete an instance: its tokens stop working and its database file is removed."""
    get_record(root, instance_id)
    with registry.connect(root) as reg:
        registry.delete(reg, instance_id)
    _remove(instance_path(root, instance_id))


def find_by_token(root: Path, token: str) -> tuple[InstanceRecord, str] | None:
    """Return the instance a capability token opens and the role it grants."""
    if not token or len(token) > 100:
        return None
    if not (root / registry.REGISTRY_FILE).exists():
        return None
    with registry.connect(root) as reg:
        return registry.find_by_token(reg, token)


class FileStore(Store):
    """Instances as SQLite files under one sandbox folder (the default backend)."""

    kind = "sqlite"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FileStore({str(self.root)!r})"

    def build_template(self, scenario: Scenario) -> str:
        return build_template(scenario, self.root).name

    def template_scenario(self, template: str) -> Scenario:
        return template_scenario(self.root / "templates" / template)

    def get(self, instance_id: str) -> InstanceRecord | None:
        if not (self.root / registry.REGISTRY_FILE).exists():
            return None
        with registry.connect(self.root) as reg:
            return registry.get(reg, instance_id)

    def find_by_token(self, token: str) -> tuple[InstanceRecord, str] | None:
        return find_by_token(self.root, token)

    def records(self) -> list[InstanceRecord]:
        with registry.connect(self.root) as reg:
            return registry.all_records(reg)

    def mark_frozen(self, instance_id: str, when: datetime) -> None:
        with registry.connect(self.root) as reg:
            registry.mark_frozen(reg, instance_id, when)

    def provision(self, scenario: Scenario, candidate_key: str, seed: int) -> Provisioned:
        return provision(scenario, candidate_key, seed, self.root)

    def restore(self, record: InstanceRecord, scenario: Scenario, now: datetime, entry: dict[str, Any]) -> None:
        template = self.root / "templates" / record.template
        attach = ("ATTACH DATABASE ? AS template", (str(template),))
        with file_connection(instance_path(self.root, record.id), "PRAGMA busy_timeout=10000", attach) as conn:
            tables = [t.name for t in Base.metadata.sorted_tables if t.name != "action_log"]
            for name in reversed(tables):
                conn.exec_driver_sql(f'DELETE FROM main."{name}"')  # noqa: S608  (names from our own metadata)
            for name in tables:
                conn.exec_driver_sql(f'INSERT INTO main."{name}" SELECT * FROM template."{name}"')  # noqa: S608
            _initialise(conn, scenario, record.seed, record.id, now)
            actionlog.append_raw(conn, now=now, **entry)
            conn.commit()

    def destroy(self, instance_id: str) -> None:
        from simulator.crm.db import forget

        destroy(self.root, instance_id)
        forget(instance_path(self.root, instance_id))

    def exists(self, instance_id: str) -> bool:
        return instance_path(self.root, instance_id).exists()

    @property
    def upgrade_key(self) -> str:
        return str(self.root)

    def _upgrade(self, instance_id: str) -> list[str]:
        """The file and its template get the missing tables and columns."""
        path = instance_path(self.root, instance_id)
        with file_connection(path, "PRAGMA busy_timeout=10000", begin="BEGIN") as conn:
            if not any(upgrade.missing(upgrade.sqlite_columns(conn))):
                return []
        with file_connection(path, "PRAGMA busy_timeout=10000") as conn:
            changes = upgrade.upgrade_sqlite(conn)
            if changes:
                actionlog.append_raw(conn, now=datetime.now(UTC), **upgrade.entry(changes))
            conn.commit()
        template = self.root / "templates" / self.get_record(instance_id).template
        if template.exists():  # a reset copies from it: it gets the same tables and columns
            with file_connection(template, "PRAGMA busy_timeout=10000") as conn:
                upgrade.upgrade_sqlite(conn)
                conn.commit()
        return changes

    @contextmanager
    def connect(self, instance_id: str, *, write: bool = False) -> Iterator[Connection]:
        self.get_record(instance_id)
        self.ensure_current(instance_id)
        setup = ("PRAGMA busy_timeout=10000",) if write else ("PRAGMA busy_timeout=10000", "PRAGMA query_only=ON")
        path = instance_path(self.root, instance_id)
        with file_connection(path, *setup, begin="BEGIN IMMEDIATE" if write else "BEGIN") as conn:
            yield conn
            if write:
                conn.commit()

    def open_session(self, instance_id: str) -> Session:
        from simulator.crm.db import open_session

        self.ensure_current(instance_id)
        return open_session(instance_path(self.root, instance_id))
