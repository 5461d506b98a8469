"""One isolated SQLite database per candidate instance, copied from a template built once per scenario.

Layout under the sandbox root (``<instance folder>/sandboxes`` by default)::

    registry.sqlite3                       instances and the digests of their tokens
    templates/<scenario>-<digest>.sqlite3  the seeded database of one scenario version (and the schema)
    templates/<scenario>-<digest>.yaml     the exact scenario text it was built from (used by reset)
    <instance id>.sqlite3                  one candidate's CRM
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateTable

from simulator import actionlog, registry, tasks
from simulator.crm import models  # noqa: F401  (every table registered on the metadata)
from simulator.crm.base import Base
from simulator.errors import InstanceFrozen, SimulatorError, UnknownInstance
from simulator.registry import InstanceRecord
from simulator.scenario import Scenario, parse_scenario
from simulator.seed import seed_scenario
from simulator.variations import apply_variations

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = PROJECT_ROOT / "instance" / "sandboxes"
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


def _initialise(conn: sqlite3.Connection, scenario: Scenario, seed: int, instance_id: str, now: datetime) -> None:
    """Turn a fresh template copy into an instance: variations, settings and the first log entry."""
    apply_variations(conn, scenario, seed)
    conn.executemany(
        "UPDATE instance_meta SET value = ? WHERE key = ?",
        [(instance_id, "instance_id"), (str(seed), "seed"), (scenario.business_date.isoformat(), "business_date")],
    )
    tasks.initialise(conn, scenario)


@dataclass(frozen=True)
class Provisioned:
    """A new instance with its two capability tokens (shown once; only digests are stored)."""

    record: InstanceRecord
    token: str
    viewer_token: str


class _Workbench(threading.local):
    """Per thread: one in-memory connection per template, whose parsed schema is reused by every provision.

    Opening a SQLite database costs more than varying it (the schema of ~60 tables and indexes is parsed on
    first use). Loading the template's bytes into the same connection again keeps the parsed schema, so a
    provision is: load the bytes, vary, commit, write the bytes of the result to the instance's file.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.connections: dict[Path, tuple[sqlite3.Connection, bytes]] = {}

    def get(self, template: Path) -> tuple[sqlite3.Connection, bytes]:
        if self.pid != os.getpid():  # never reuse a connection inherited through fork()
            self.__init__()
        entry = self.connections.get(template)
        if entry is None:
            while len(self.connections) >= 8:
                self.connections.pop(next(iter(self.connections)))[0].close()
            conn = sqlite3.connect(":memory:", isolation_level=None)
            entry = self.connections[template] = (conn, template.read_bytes())
        return entry


_workbench = _Workbench()


def _instance_bytes(template: Path, scenario: Scenario, seed: int, instance_id: str, now: datetime) -> bytes:
    """Return the database image of a new instance: the template varied by the seed, with its first log entry."""
    conn, image = _workbench.get(template)
    conn.deserialize(image)
    conn.execute("BEGIN")
    try:
        _initialise(conn, scenario, seed, instance_id, now)
        actionlog.append_raw(
            conn,
            actor=actionlog.SYSTEM,
            action="instance.provisioned",
            now=now,
            entity_type="instance",
            summary=f"Utworzono instancję scenariusza „{scenario.title}” (ziarno {seed})",
            details={"scenario": scenario.id, "seed": seed, "business_date": scenario.business_date},
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return conn.serialize()


def provision(scenario: Scenario, candidate_key: str, seed: int, root: Path) -> Provisioned:
    """Create an isolated instance: vary the template by the seed, write it as the instance's file, register it."""
    template = build_template(scenario, root)
    now = datetime.now(UTC)
    instance_id = secrets.token_hex(8)
    path = instance_path(root, instance_id)
    image = _instance_bytes(template, scenario, seed, instance_id, now)
    try:
        # written whole before it is registered: a crash leaves an unregistered file, never a broken instance
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(image)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        record = InstanceRecord(
            id=instance_id,
            scenario=scenario.id,
            template=template.name,
            candidate_key=candidate_key,
            seed=seed,
            created_at=now,
            frozen_at=None,
            business_date=scenario.business_date,
        )
        token, viewer_token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
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


def open_instance(root: Path, instance_id: str) -> sqlite3.Connection:
    """Open an existing instance's database with a raw connection (autocommit; the caller closes it)."""
    get_record(root, instance_id)
    conn = sqlite3.connect(instance_path(root, instance_id), timeout=10, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def append_system_entry(root: Path, instance_id: str, **fields) -> dict:
    """Append a system entry to an instance's log in its own write transaction."""
    with closing(open_instance(root, instance_id)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        row = actionlog.append_raw(conn, now=datetime.now(UTC), **fields)
        conn.execute("COMMIT")
    return row


def freeze(root: Path, instance_id: str) -> datetime:
    """Make an instance read-only from now on (idempotent); return the moment it was frozen."""
    record = get_record(root, instance_id)
    if record.frozen_at is not None:
        return record.frozen_at
    now = datetime.now(UTC)
    with registry.connect(root) as reg:
        registry.mark_frozen(reg, instance_id, now)
    append_system_entry(
        root,
        instance_id,
        actor=actionlog.SYSTEM,
        action="instance.frozen",
        entity_type="instance",
        summary="Instancja zamrożona: od teraz tylko do odczytu",
    )
    return now


def reset(root: Path, instance_id: str, *, actor: str, reason: str) -> None:
    """Bring an instance back to its start state in one transaction; the action log is kept and extended."""
    if not (reason or "").strip():
        raise SimulatorError("Podaj powód przywrócenia instancji do stanu początkowego.")
    record = get_record(root, instance_id)
    if record.frozen:
        raise InstanceFrozen(instance_id)
    template = root / "templates" / record.template
    scenario = template_scenario(template)
    now = datetime.now(UTC)
    with closing(open_instance(root, instance_id)) as conn:
        conn.execute("ATTACH DATABASE ? AS template", (str(template),))
        conn.execute("BEGIN IMMEDIATE")
        try:
            tables = [t.name for t in Base.metadata.sorted_tables if t.name != "action_log"]
            for name in reversed(tables):
                conn.execute(f'DELETE FROM main."{name}"')  # noqa: S608  (names from our own metadata)
            for name in tables:
                conn.execute(f'INSERT INTO main."{name}" SELECT * FROM template."{name}"')  # noqa: S608
            _initialise(conn, scenario, record.seed, instance_id, now)
            actionlog.append_raw(
                conn,
                actor=actionlog.Actor("system", actor),
                action="instance.reset",
                now=now,
                entity_type="instance",
                summary=f"Przywrócono stan początkowy instancji (powód: {reason.strip()})",
                details={"reason": reason.strip(), "requested_by": actor},
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.execute("DETACH DATABASE template")


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
