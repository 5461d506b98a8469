"""The PostgreSQL store: one schema per candidate instance, so any app node can serve any candidate.

Chosen when the simulator's ``DATABASE_URL`` names PostgreSQL (see ``storage.store_for``). Layout in that
database, nothing on a local disk::

    sim_registry.instance   instances with the digests of their tokens (the columns of registry.sqlite3,
                            plus ``namespace``: several simulators or test runs may share one database)
    sim_registry.template   every template's name and the exact scenario text it was built from (reset)
    simtpl_<hash>           the seeded tables of one (scenario digest, schema digest), built once
    siminst_<instance id>   one candidate's CRM

A template is built under ``pg_advisory_xact_lock`` (concurrent builders wait, the loser reuses the winner's
schema) and seeded by ``seed_scenario`` through the ORM with ``schema_translate_map``. A provision creates the
instance's tables with the DDL of ``create_all`` (compiled once, run in the new schema), copies every table
from the template (``INSERT … SELECT``), moves every id sequence past the copied rows, then applies the same
variations, task set-up and first log entry as the file store, and registers the tokens — all in one
transaction, so a failure leaves nothing behind.

Every connection on an instance sets ``search_path`` to the instance's schema for its transaction only
(``set_config(…, true)``), so the Core statements and the ORM shared with the file store need no schema
names. Every writing transaction (and every ORM transaction of a request, as BEGIN IMMEDIATE on SQLite) first
takes ``pg_advisory_xact_lock(hashtext(schema))``: two requests never race for the same log position. Read-only
work (evaluation, timeline) runs in a ``REPEATABLE READ, READ ONLY`` transaction. One pooled engine per URL
serves every instance.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, create_mock_engine, event, text
from sqlalchemy.orm import Session

from simulator import actionlog, registry
from simulator.crm.base import Base
from simulator.errors import SimulatorError, UnknownInstance
from simulator.registry import FIELDS, INSTANCE_COLUMNS, InstanceRecord, insert_params, new_tokens, token_digest
from simulator.sandbox import Provisioned, _initialise, schema_digest
from simulator.scenario import Scenario, parse_scenario
from simulator.seed import seed_scenario
from simulator.storage import Store, provisioned_entry

REGISTRY_SCHEMA = "sim_registry"
TEMPLATE_PREFIX = "simtpl_"
INSTANCE_PREFIX = "siminst_"
INSTANCE_ID = re.compile(r"[0-9a-f]{16}")
NAMESPACE = re.compile(r"[A-Za-z0-9_.:-]{0,60}")

_REGISTRY_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {REGISTRY_SCHEMA};
CREATE TABLE IF NOT EXISTS {REGISTRY_SCHEMA}.instance ({INSTANCE_COLUMNS.format(seed="BIGINT")},
    namespace TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ix_instance_candidate_key ON {REGISTRY_SCHEMA}.instance (candidate_key);
CREATE INDEX IF NOT EXISTS ix_instance_namespace ON {REGISTRY_SCHEMA}.instance (namespace, created_at);
CREATE TABLE IF NOT EXISTS {REGISTRY_SCHEMA}.template (
    name TEXT PRIMARY KEY,
    scenario TEXT NOT NULL,
    source BYTEA NOT NULL,
    built_at TEXT NOT NULL
);
"""
_R = f"{REGISTRY_SCHEMA}.instance"
_T = f"{REGISTRY_SCHEMA}.template"

# The registry's and templates' statements (PostgreSQL only; the instance-level SQL is shared with SQLite).
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:key))")
_LOCK_SHARED = text("SELECT pg_advisory_xact_lock_shared(hashtext(:key))")
_ENTER = text("SELECT set_config('search_path', :schema, true), pg_advisory_xact_lock(hashtext(:schema))")
_PATH = text("SELECT set_config('search_path', :schema, true)")
_READ_ONLY = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
_SCHEMA_EXISTS = text("SELECT 1 FROM pg_namespace WHERE nspname = :schema")
_TEMPLATE_SOURCE = text(f"SELECT source FROM {_T} WHERE name = :name")  # noqa: S608
_TEMPLATE_INSERT = text(
    f"INSERT INTO {_T} (name, scenario, source, built_at) VALUES (:name, :scenario, :source, :built_at)"  # noqa: S608
)
_INSERT = text(
    f"INSERT INTO {_R} (id, token_hash, viewer_token_hash, scenario, template, candidate_key, seed, created_at, "  # noqa: S608
    "frozen_at, business_date, namespace) VALUES (:id, :token_hash, :viewer_token_hash, :scenario, :template, "
    ":candidate_key, :seed, :created_at, NULL, :business_date, :namespace)"
)
_GET = text(f"SELECT {FIELDS} FROM {_R} WHERE id = :id AND namespace = :namespace")  # noqa: S608
_FIND = text(
    f"SELECT {FIELDS}, token_hash = :digest FROM {_R} "  # noqa: S608
    "WHERE (token_hash = :digest OR viewer_token_hash = :digest) AND namespace = :namespace"
)
_ALL = text(f"SELECT {FIELDS} FROM {_R} WHERE namespace = :namespace ORDER BY created_at")  # noqa: S608
_FREEZE = text(
    f"UPDATE {_R} SET frozen_at = :when WHERE id = :id AND namespace = :namespace AND frozen_at IS NULL"  # noqa: S608
)
_DELETE = text(f"DELETE FROM {_R} WHERE id = :id AND namespace = :namespace")  # noqa: S608

_engines: dict[str, Engine] = {}
_ready: set[str] = set()
_lock = threading.Lock()
_built: set[tuple[str, str]] = set()  # (url, template) built by this process: ``cleanup`` may drop them


def _engine(url: str) -> Engine:
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = create_engine(url, pool_pre_ping=True)
    return engine


def engine_for(url: str) -> Engine:
    """Return the one pooled engine of a database URL (its registry schema created on first use)."""
    engine = _engine(url)
    if url not in _ready:
        with engine.begin() as conn:
            conn.execute(_LOCK, {"key": REGISTRY_SCHEMA})  # CREATE … IF NOT EXISTS still races without it
            conn.exec_driver_sql(_REGISTRY_DDL)
        _ready.add(url)
    return engine


def template_name(scenario: Scenario) -> str:
    """Return the schema of the template of this scenario version and CRM schema."""
    return f"{TEMPLATE_PREFIX}{scenario.digest[:16]}{schema_digest()[:8]}"


def instance_schema(instance_id: str) -> str:
    """Return the schema of an instance; an id that is not ours is an unknown instance (never SQL)."""
    if not INSTANCE_ID.fullmatch(instance_id or ""):
        raise UnknownInstance(instance_id)
    return f"{INSTANCE_PREFIX}{instance_id}"


def _quoted(schema: str, table: str) -> str:
    return f'"{schema}"."{table}"'


def _copy_sql(source: str, target: str, *, with_log: bool) -> str:
    """Return the statements copying every table of ``source`` into ``target`` and moving each id sequence."""
    tables = [t for t in Base.metadata.sorted_tables if with_log or t.name != "action_log"]
    statements = []
    for table in tables:
        columns = ", ".join(f'"{c.name}"' for c in table.columns)
        statements.append(
            f"INSERT INTO {_quoted(target, table.name)} ({columns}) "  # noqa: S608  (names from our own metadata)
            f"SELECT {columns} FROM {_quoted(source, table.name)}"
        )
    moves = []
    for t in tables:
        if t.autoincrement_column is not None:
            column, where = t.autoincrement_column.name, _quoted(target, t.name)
            highest = f'(SELECT max("{column}") FROM {where})'  # noqa: S608  (names from our own metadata)
            sequence = _quoted(target, f"{t.name}_{column}_seq")  # the name SERIAL gives its sequence
            moves.append(f"setval('{sequence}', coalesce({highest}, 0) + 1, false)")
    statements.append("SELECT " + ", ".join(moves))
    return ";\n".join(statements)


_ddl: str | None = None


def tables_ddl() -> str:
    """Return the DDL of an instance's tables, unqualified, as one script (compiled once per process).

    Run after ``SET LOCAL search_path`` to a new schema it creates the tables there in one round trip: the
    tables, id sequences, keys, unique and check constraints of ``create_all``, without its plain (non-unique)
    indexes. Every relation is a file the server creates (on a 2-core VM about a millisecond each, most of a
    provision), and an instance holds tens to a few thousand rows per table, where a scan costs less than
    keeping an index up to date. The template and the SQLite files keep them.
    """
    global _ddl  # noqa: PLW0603  (compiled once per process)
    if _ddl is None:
        statements: list[str] = []
        recorder = create_mock_engine(
            "postgresql+psycopg://", lambda sql, *a, **k: statements.append(str(sql.compile(dialect=recorder.dialect)))
        )
        Base.metadata.create_all(recorder, checkfirst=False)
        _ddl = ";\n".join(s for s in statements if not s.lstrip().startswith("CREATE INDEX"))
    return _ddl


def _create_tables(conn: Connection, schema: str) -> None:
    """Create a schema with the CRM's tables (with their own sequences, keys and indexes) and enter it."""
    conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    conn.execute(_PATH, {"schema": schema})
    conn.exec_driver_sql(tables_ddl())


class InstanceSession(Session):
    """An ORM session on one instance schema: each transaction sets the path and takes the instance's lock."""


@event.listens_for(InstanceSession, "after_begin")
def _enter_instance(session: Session, transaction, connection: Connection) -> None:
    connection.execute(_ENTER, {"schema": session.info["schema"]})


class PostgresStore(Store):
    """Instances as schemas of one PostgreSQL database; ``namespace`` separates simulators sharing it."""

    kind = "postgresql"

    def __init__(self, url: str, namespace: str = "") -> None:
        if not NAMESPACE.fullmatch(namespace):
            raise SimulatorError(f"Niepoprawna przestrzeń nazw piaskownic: {namespace!r}.")
        self.url, self.namespace = url, namespace

    def __repr__(self) -> str:
        return f"PostgresStore({self.engine.url.render_as_string(hide_password=True)!r}, {self.namespace!r})"

    @property
    def engine(self) -> Engine:
        return engine_for(self.url)

    # -- templates ----------------------------------------------------------------------------------------
    def build_template(self, scenario: Scenario) -> str:
        name = template_name(scenario)
        with self.engine.connect() as conn:
            if conn.execute(_TEMPLATE_SOURCE, {"name": name}).first() is not None:
                return name
        with self.engine.begin() as conn:
            conn.execute(_LOCK, {"key": name})  # a concurrent builder waits here, then finds the template
            if conn.execute(_TEMPLATE_SOURCE, {"name": name}).first() is not None:
                return name
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')  # a leftover without its row
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
            seeding = conn.execution_options(schema_translate_map={None: name})
            Base.metadata.create_all(seeding, checkfirst=False)
            with Session(bind=seeding, autoflush=False) as session:
                seed_scenario(session, scenario, datetime.now(UTC))
                session.flush()
            conn.execution_options(schema_translate_map=None)
            conn.execute(
                _TEMPLATE_INSERT,
                {
                    "name": name,
                    "scenario": scenario.id,
                    "source": scenario.source,
                    "built_at": datetime.now(UTC).isoformat(timespec="microseconds"),
                },
            )
        _built.add((self.url, name))
        return name

    def template_scenario(self, template: str) -> Scenario:
        with self.engine.connect() as conn:
            row = conn.execute(_TEMPLATE_SOURCE, {"name": template}).first()
        if row is None or not row[0]:
            raise SimulatorError(f"Brak treści scenariusza użytej do zbudowania szablonu {template}.")
        where = f"{_T}/{template}"
        return parse_scenario(bytes(row[0]), where, Path(where))

    def _hold_template(self, conn: Connection, template: str) -> bool:
        """Keep the template from being dropped until this transaction ends; return whether it is there."""
        conn.execute(_LOCK_SHARED, {"key": template})
        return conn.execute(_TEMPLATE_SOURCE, {"name": template}).first() is not None

    # -- registry -----------------------------------------------------------------------------------------
    def get(self, instance_id: str) -> InstanceRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(_GET, {"id": instance_id, "namespace": self.namespace}).first()
        return registry.from_row(row) if row else None

    def find_by_token(self, token: str) -> tuple[InstanceRecord, str] | None:
        if not token or len(token) > 100:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(_FIND, {"digest": token_digest(token), "namespace": self.namespace}).first()
        if row is None:
            return None
        return registry.from_row(row[:-1]), ("candidate" if row[-1] else "commission")

    def records(self) -> list[InstanceRecord]:
        with self.engine.connect() as conn:
            return [registry.from_row(row) for row in conn.execute(_ALL, {"namespace": self.namespace})]

    def mark_frozen(self, instance_id: str, when: datetime) -> None:
        with self.engine.begin() as conn:
            params = {"when": when.isoformat(timespec="microseconds"), "id": instance_id}
            conn.execute(_FREEZE, {**params, "namespace": self.namespace})

    # -- instances ----------------------------------------------------------------------------------------
    def provision(self, scenario: Scenario, candidate_key: str, seed: int) -> Provisioned:
        for _attempt in range(2):  # the template may be dropped (tests' clean-up) between build and copy
            template = self.build_template(scenario)
            created = self._provision_from(template, scenario, candidate_key, seed)
            if created is not None:
                return created
            _built.discard((self.url, template))
        raise SimulatorError(f"Szablon scenariusza {scenario.id} zniknął w trakcie tworzenia instancji.")

    def _provision_from(self, template: str, scenario: Scenario, candidate_key: str, seed: int) -> Provisioned | None:
        now = datetime.now(UTC)
        record = InstanceRecord.new(
            scenario=scenario.id,
            business_date=scenario.business_date,
            template=template,
            candidate_key=candidate_key,
            seed=seed,
            now=now,
        )
        instance_id, schema = record.id, instance_schema(record.id)
        token, viewer_token = new_tokens()
        with self.engine.begin() as conn:
            if not self._hold_template(conn, template):
                return None
            _create_tables(conn, schema)
            conn.exec_driver_sql(_copy_sql(template, schema, with_log=True))
            _initialise(conn, scenario, seed, instance_id, now)
            actionlog.append_raw(conn, now=now, **provisioned_entry(scenario, seed))
            conn.execute(_INSERT, {**insert_params(record, token, viewer_token), "namespace": self.namespace})
        return Provisioned(record, token, viewer_token)

    def restore(self, record: InstanceRecord, scenario: Scenario, now: datetime, entry: dict[str, Any]) -> None:
        schema = instance_schema(record.id)
        tables = [t.name for t in Base.metadata.sorted_tables if t.name != "action_log"]
        with self.engine.begin() as conn:
            conn.execute(_ENTER, {"schema": schema})
            if not self._hold_template(conn, record.template):
                raise SimulatorError(f"Brak szablonu {record.template}: nie można przywrócić instancji.")
            conn.exec_driver_sql("TRUNCATE " + ", ".join(_quoted(schema, name) for name in tables))
            conn.exec_driver_sql(_copy_sql(record.template, schema, with_log=False))
            _initialise(conn, scenario, record.seed, record.id, now)
            actionlog.append_raw(conn, now=now, **entry)

    def destroy(self, instance_id: str) -> None:
        self.get_record(instance_id)
        schema = instance_schema(instance_id)
        with self.engine.begin() as conn:
            conn.execute(_LOCK, {"key": schema})  # after a request that is still writing to it
            conn.execute(_DELETE, {"id": instance_id, "namespace": self.namespace})
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def exists(self, instance_id: str) -> bool:
        schema = instance_schema(instance_id)
        with self.engine.connect() as conn:
            return conn.execute(_SCHEMA_EXISTS, {"schema": schema}).first() is not None

    @contextmanager
    def connect(self, instance_id: str, *, write: bool = False) -> Iterator[Connection]:
        self.get_record(instance_id)
        schema = instance_schema(instance_id)
        with self.engine.connect() as conn:
            if not write:
                conn.exec_driver_sql(_READ_ONLY)  # one consistent state; any write raises
            conn.execute(_ENTER if write else _PATH, {"schema": schema})
            yield conn
            if write:
                conn.commit()

    def open_session(self, instance_id: str) -> Session:
        schema = instance_schema(instance_id)
        return InstanceSession(bind=self.engine, expire_on_commit=False, autoflush=True, info={"schema": schema})

    # -- clean-up (tests, benchmarks) -----------------------------------------------------------------------
    def purge(self) -> int:
        """Destroy every instance of this namespace; return how many there were."""
        if self.url not in _ready:  # this process never reached the registry: it made nothing to drop
            return 0
        records = self.records()
        for record in records:
            self.destroy(record.id)
        return len(records)


def cleanup(url: str) -> None:
    """Drop the templates this process built that no instance uses, then the registry if it is empty.

    For test runs and benchmarks on a shared database; production keeps its templates (they are a cache).
    """
    if url not in _ready:
        return
    engine = engine_for(url)
    for built_url, name in sorted(_built):
        if built_url != url:
            continue
        with engine.begin() as conn:
            conn.execute(_LOCK, {"key": name})  # waits for provisions holding it (shared lock)
            in_use = conn.execute(text(f"SELECT 1 FROM {_R} WHERE template = :name LIMIT 1"), {"name": name})  # noqa: S608
            if in_use.first() is None:
                conn.execute(text(f"DELETE FROM {_T} WHERE name = :name"), {"name": name})  # noqa: S608
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        _built.discard((built_url, name))
    with engine.begin() as conn:
        conn.execute(_LOCK, {"key": REGISTRY_SCHEMA})
        left = conn.execute(text(f"SELECT (SELECT count(*) FROM {_R}) + (SELECT count(*) FROM {_T})")).scalar()  # noqa: S608
        if not left:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {REGISTRY_SCHEMA} CASCADE")
            _ready.discard(url)


def schemas_left(url: str) -> list[str]:
    """Return the simulator's schemas in the database (a test asserts its clean-up left none of its own)."""
    with _engine(url).connect() as conn:
        query = text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sim%' ORDER BY nspname")
        return list(conn.execute(query).scalars())


def dispose_all() -> None:
    """Close every pooled connection (at the end of a test run, before its database is dropped)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
