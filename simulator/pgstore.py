"""The PostgreSQL store: one schema per candidate instance, so any app node can serve any candidate.

Chosen when the simulator's ``DATABASE_URL`` names PostgreSQL (see ``storage.store_for``). Layout in that
database, nothing on a local disk::

    sim_registry.instance   instances with the digests of their tokens (the columns of registry.sqlite3,
                            plus ``namespace``: several simulators or test runs may share one database)
    sim_registry.template   every template's name and the exact scenario text it was built from (reset)
    simtpl_<hash>           the seeded tables of one (scenario digest, schema digest), built once
    simdata_<hash>          the rows of every instance: the CRM's tables with an ``instance_id`` column
                            leading every key, unique constraint and foreign key (one set per schema digest)
    siminst_<instance id>   one candidate's CRM: a view per CRM table, ``… WHERE instance_id = '<id>'
                            WITH CHECK OPTION``, with exactly the table's columns

Why views over shared tables rather than tables of its own: every table, key, sequence and TOAST table of a
schema is a file the server creates, about a millisecond each on a 2-core VM, so a schema of its own tables
cost an instance 110 files and 150–250 ms, and a server holding a few hundred instances slowed to seconds per
new one (one directory of tens of thousands of files, a backend cache of every relation). Views are catalog
rows only. A provision creates the schema and its views, copies the template's rows into the shared tables
under the new instance id (``INSERT … SELECT``) with the seed's variations written as they are copied (the same
values as the file store's), writes the same task set-up and first log entry as the file store, and registers
the tokens — all in one transaction, so a failure leaves nothing.

Ids: a row inserted without an id gets one more than the highest id of its table in its instance (a trigger
on the shared table), as SQLite gives an INTEGER PRIMARY KEY, so both stores number records alike. The
instance's advisory lock, which every writing transaction holds, keeps two inserts from taking the same id.

Every connection on an instance sets ``search_path`` to the instance's schema and ``sim.instance`` to its
id for its transaction only (``set_config(…, true)``); the shared tables take ``instance_id`` from that
setting, and the views' check option refuses a row for any other instance. The Core statements and the ORM
shared with the file store therefore need no schema names. Every writing transaction (and every ORM
transaction of a request, as BEGIN IMMEDIATE on SQLite) first takes ``pg_advisory_xact_lock(hashtext(schema))``:
two requests never race for the same log position. Read-only work (evaluation, timeline) runs in a
``REPEATABLE READ, READ ONLY`` transaction. One pooled engine per URL serves every instance.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    Engine,
    ForeignKeyConstraint,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    create_mock_engine,
    event,
    text,
)
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from simulator import actionlog, registry, tasks, upgrade, variations
from simulator.crm.base import Base
from simulator.errors import SimulatorError, UnknownInstance
from simulator.registry import FIELDS, INSTANCE_COLUMNS, InstanceRecord, insert_params, new_tokens, token_digest
from simulator.sandbox import Provisioned, schema_digest, write_settings
from simulator.scenario import Scenario, parse_scenario
from simulator.seed import seed_scenario
from simulator.storage import Store, provisioned_entry
from simulator.variations import Changes

REGISTRY_SCHEMA = "sim_registry"
TEMPLATE_PREFIX = "simtpl_"
DATA_PREFIX = "simdata_"
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
_MISSING = {"42P01", "3F000"}  # undefined table, schema: a template dropped under a provision
_ENTER = text(
    "SELECT set_config('search_path', :schema, true), set_config('sim.instance', :instance, true), "
    "pg_advisory_xact_lock(hashtext(:schema))"
)
_PATH = text("SELECT set_config('search_path', :schema, true), set_config('sim.instance', :instance, true)")
_TEMPLATE_PATH = text("SELECT set_config('search_path', :schema, true)")
_READ_ONLY = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
_SCHEMA_EXISTS = text("SELECT 1 FROM pg_namespace WHERE nspname = :schema")
_TEMPLATE_SOURCE = text(f"SELECT source FROM {_T} WHERE name = :name")  # noqa: S608
# the shared lock first (in FROM), then whether the template is registered: one round trip
_HOLD = text(
    f"SELECT (SELECT 1 FROM {_T} WHERE name = :key) FROM (SELECT pg_advisory_xact_lock_shared(hashtext(:key))) AS held"  # noqa: S608
)
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
_present: set[tuple[str, str]] = set()  # (url, template) built or found by this process (a provision re-checks)
_log_tails: dict[tuple[str, str], tuple[int, str]] = {}  # (url, template) → its log's last (seq, hash)
_start_ids: dict[tuple[str, str], dict[str, int]] = {}  # (url, template) → its highest ids


def _engine(url: str) -> Engine:
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = create_engine(url, pool_pre_ping=True)
    return engine


def engine_for(url: str) -> Engine:
    """Return the one pooled engine of a database URL (its registry and shared data tables created on first use)."""
    engine = _engine(url)
    if url not in _ready:
        with engine.begin() as conn:
            conn.execute(_LOCK, {"key": REGISTRY_SCHEMA})  # CREATE … IF NOT EXISTS still races without it
            conn.exec_driver_sql(_REGISTRY_DDL)
            if conn.execute(_SCHEMA_EXISTS, {"schema": data_schema()}).first() is None:
                conn.exec_driver_sql(data_ddl())
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


_VIEW_SOURCES = text(
    "SELECT DISTINCT table_schema FROM information_schema.view_table_usage WHERE view_schema = :schema"
)
_COLUMNS = text("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = :schema")


def _columns_of(conn: Connection, schema: str) -> dict[str, set[str]]:
    """Return every table (or view) of a schema with its column names."""
    found: dict[str, set[str]] = {}
    for table, column in conn.execute(_COLUMNS, {"schema": schema}):
        found.setdefault(table, set()).add(column)
    return found


def _quoted(schema: str, table: str) -> str:
    return f'"{schema}"."{table}"'


def data_schema() -> str:
    """Return the schema of the shared tables holding every instance's rows (one per CRM schema digest)."""
    return f"{DATA_PREFIX}{schema_digest()[:16]}"


# A row inserted without an id gets one more than the highest id of its table in its instance, SQLite's rule
# for an INTEGER PRIMARY KEY. VOLATILE: each row of a multi-row INSERT sees the rows inserted before it.
_NEXT_ID = """CREATE FUNCTION "{schema}".next_id() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF NEW.id IS NULL THEN
    EXECUTE 'SELECT coalesce(max(id), 0) + 1 FROM ' || quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME)
      || ' WHERE instance_id = $1' INTO NEW.id USING NEW.instance_id;
  END IF;
  RETURN NEW;
END $$"""
_data_ddl: str | None = None


def data_ddl() -> str:
    """Return the DDL of the shared tables, as one script (compiled once per process).

    Each CRM table gains ``instance_id`` (taken from the transaction's ``sim.instance`` setting), which leads
    its primary key, unique constraints and foreign keys (so a row can only refer to rows of its own instance).
    Check constraints are the CRM's own. Tables with an id get the trigger numbering new rows. Of the plain
    indexes only the action log's are kept (it grows through the exam and is read per account): an instance's
    rows are found through the primary key's ``instance_id`` prefix, and each index is work on every insert.
    """
    global _data_ddl  # noqa: PLW0603  (compiled once per process)
    if _data_ddl is None:
        schema = data_schema()
        shared = MetaData(schema=schema, naming_convention=Base.metadata.naming_convention)
        numbered = []
        for table in Base.metadata.sorted_tables:
            _shared_table(table, shared)
            if table.autoincrement_column is not None:
                if table.autoincrement_column.name != "id":
                    raise SimulatorError(f"Tabela {table.name}: numerowana kolumna musi się nazywać id.")
                numbered.append(table.name)
        statements: list[str] = [f'CREATE SCHEMA "{schema}"']
        recorder = create_mock_engine(
            "postgresql+psycopg://", lambda sql, *a, **k: statements.append(str(sql.compile(dialect=recorder.dialect)))
        )
        shared.create_all(recorder, checkfirst=False)
        statements.append(_NEXT_ID.format(schema=schema))
        statements.extend(
            f"CREATE TRIGGER next_id BEFORE INSERT ON {_quoted(schema, name)} "
            f'FOR EACH ROW EXECUTE FUNCTION "{schema}".next_id()'
            for name in numbered
        )
        _data_ddl = ";\n".join(statements)
    return _data_ddl


def _shared_table(table: Table, shared: MetaData) -> Table:
    """Add to ``shared`` the instance-keyed twin of one CRM table."""
    key = Column("instance_id", String(16), nullable=False, server_default=text("current_setting('sim.instance')"))
    columns = [key, *(Column(c.name, c.type, nullable=c.nullable, autoincrement=False) for c in table.columns)]
    constraints: list = [PrimaryKeyConstraint("instance_id", *(c.name for c in table.primary_key.columns))]
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and not isinstance(constraint, PrimaryKeyConstraint):
            names = [c.name for c in constraint.columns]
            constraints.append(UniqueConstraint("instance_id", *names, name=f"uq_{table.name}_{'_'.join(names)}"[:63]))
        elif isinstance(constraint, ForeignKeyConstraint):
            referred = constraint.referred_table.name
            names = [e.parent.name for e in constraint.elements]
            target = f"{shared.schema}.{referred}"
            constraints.append(
                ForeignKeyConstraint(
                    ["instance_id", *names],
                    [f"{target}.instance_id", *(f"{target}.{e.column.name}" for e in constraint.elements)],
                    name=f"fk_{table.name}_{'_'.join(names)}_{referred}"[:63],
                )
            )
        elif isinstance(constraint, CheckConstraint):
            constraints.append(CheckConstraint(constraint.sqltext, name=constraint.name))
    twin = Table(table.name, shared, *columns, *constraints)
    for index in table.indexes if table.name == "action_log" else ():  # see data_ddl
        Index(index.name, twin.c.instance_id, *(twin.c[c.name] for c in index.columns), unique=index.unique)
    return twin


def _columns(table: Table) -> str:
    return ", ".join(f'"{c.name}"' for c in table.columns)


def _tables(*, with_log: bool) -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if with_log or t.name != "action_log"]


_ID = "\x00instance\x00"  # where an instance's (validated) id goes in the cached statement texts


@functools.lru_cache(maxsize=64)
def _copy_statements(template: str, *, with_log: bool) -> tuple[tuple[str, str], ...]:
    """Return (table, the statement copying its rows from the template) for every table, parents first."""
    data = data_schema()
    return tuple(
        (
            t.name,
            f"INSERT INTO {_quoted(data, t.name)} (instance_id, {_columns(t)}) "  # noqa: S608  (our own metadata)
            f"SELECT '{_ID}', {_columns(t)} FROM {_quoted(template, t.name)}",
        )
        for t in _tables(with_log=with_log)
    )


def _copy_sql(template: str, instance_id: str, *, with_log: bool, changes: Changes | None = None) -> str:
    """Return the statements copying every table of a template into the shared tables as ``instance_id``'s rows.

    ``changes`` (table → column → row id → value, see ``variations.variation_changes``) are written as the rows
    are copied: each varied column is selected as ``CASE id WHEN <id> THEN <value> … ELSE <column> END``, so
    a provision writes each row once, in the same single round trip, instead of updating it afterwards.
    """
    changes = changes or {}
    return ";\n".join(
        _varied_copy(template, Base.metadata.tables[name], changes[name]) if changes.get(name) else statement
        for name, statement in _copy_statements(template, with_log=with_log)
    ).replace(_ID, instance_id)


def _varied_copy(template: str, table: Table, columns: dict[str, dict[int, object]]) -> str:
    selected = ", ".join(_varied_column(c.name, columns.get(c.name)) for c in table.columns)
    return (
        f"INSERT INTO {_quoted(data_schema(), table.name)} (instance_id, {_columns(table)}) "  # noqa: S608
        f"SELECT '{_ID}', {selected} FROM {_quoted(template, table.name)}"
    )


def _varied_column(name: str, values: dict[int, object] | None) -> str:
    if not values:
        return f'"{name}"'
    whens = " ".join(f"WHEN {int(row_id)} THEN {sql_literal(value)}" for row_id, value in values.items())
    return f'CASE id {whens} ELSE "{name}" END AS "{name}"'


def sql_literal(value: object) -> str:
    """Return a PostgreSQL literal of a varied value: NULL, a whole number, a date or text.

    Text is an escape string (``E'…'``) with its backslashes and quotes doubled, which reads the same whatever
    ``standard_conforming_strings`` is. Any other type, or a NUL character, is refused: variations make only these.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        raise SimulatorError(f"Nieobsługiwana wartość zmienności: {value!r}.")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str) and "\x00" not in value:
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    raise SimulatorError(f"Nieobsługiwana wartość zmienności: {value!r}.")


def _delete_sql(instance_id: str, *, with_log: bool) -> str:
    """Return the statements deleting every row of an instance from the shared tables (children first)."""
    data = data_schema()
    return ";\n".join(
        f"DELETE FROM {_quoted(data, t.name)} WHERE instance_id = '{instance_id}'"  # noqa: S608  (validated id)
        for t in reversed(_tables(with_log=with_log))
    )


_views: str | None = None


def _views_sql(schema: str, instance_id: str) -> str:
    """Return the statements creating an instance's schema (one view per CRM table onto its rows) and entering it.

    Entering sets the transaction's path and instance setting and takes the instance's lock (as ``_ENTER``).
    """
    global _views  # noqa: PLW0603  (the statements' text, made once per process)
    if _views is None:
        data = data_schema()
        _views = ";\n".join(
            [
                'CREATE SCHEMA "{schema}"',
                *(
                    f'CREATE VIEW "{{schema}}"."{t.name}" AS SELECT {_columns(t)} '  # noqa: S608  (our own names)
                    f"FROM {_quoted(data, t.name)} WHERE instance_id = '{{instance_id}}' WITH CHECK OPTION"
                    for t in Base.metadata.sorted_tables
                ),
                "SELECT set_config('search_path', '{schema}', true), "
                "set_config('sim.instance', '{instance_id}', true), pg_advisory_xact_lock(hashtext('{schema}'))",
            ]
        )
    return _views.format(schema=schema, instance_id=instance_id)


def _where(schema: str) -> dict[str, str]:
    """The parameters of ``_ENTER`` and ``_PATH`` for an instance schema."""
    return {"schema": schema, "instance": schema.removeprefix(INSTANCE_PREFIX)}


class InstanceSession(Session):
    """An ORM session on one instance schema: each transaction sets the path and takes the instance's lock."""


@event.listens_for(InstanceSession, "after_begin")
def _enter_instance(session: Session, transaction, connection: Connection) -> None:
    connection.execute(_ENTER, _where(session.info["schema"]))


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
        if (self.url, name) in _present:  # a provision still checks it is there (and builds it again if not)
            return name
        with self.engine.connect() as conn:
            if conn.execute(_TEMPLATE_SOURCE, {"name": name}).first() is not None:
                _present.add((self.url, name))
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
        _present.add((self.url, name))
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
        return conn.execute(_HOLD, {"key": template}).scalar() is not None

    def _template_facts(self, conn: Connection, template: str, scenario: Scenario) -> tuple[dict[str, int], tuple]:
        """Return a template's highest id of every entity and its log's last (seq, hash), which a fresh copy
        continues, and remember the values the scenario's variations start from (``variation_changes``).

        Read once per process: templates never change. Reading sets the transaction's path to the template: call
        it before entering the instance.
        """
        key = (self.url, template)
        if key not in _start_ids:
            conn.execute(_TEMPLATE_PATH, {"schema": template})
            row = conn.execute(actionlog._LAST).first()
            _log_tails[key] = (row[0], row[1]) if row else (0, actionlog.GENESIS_HASH)
            variations.remember_start_values(conn, scenario)
            _start_ids[key] = tasks.seed_max_ids(conn)
        return _start_ids[key], _log_tails[key]

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
            _present.discard((self.url, template))
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
        try:
            with self.engine.begin() as conn:
                start_ids, tail = self._template_facts(conn, template, scenario)
                changes = variations.variation_changes(conn, scenario, seed)  # no query: the start values are known
                # one round trip: hold the template (a shared lock: it cannot be dropped until the end), the schema
                # of views, entering it (path, id, lock), the template's rows under the new id, varied by the seed
                copy = _copy_sql(template, instance_id, with_log=True, changes=changes)
                conn.exec_driver_sql(
                    f"SELECT pg_advisory_xact_lock_shared(hashtext('{template}'));\n"
                    f"{_views_sql(schema, instance_id)};\n{copy}"
                )
                write_settings(conn, scenario, seed, instance_id, start_ids=start_ids)
                actionlog.append_raw(conn, now=now, last=tail, **provisioned_entry(scenario, seed))
                conn.execute(_INSERT, {**insert_params(record, token, viewer_token), "namespace": self.namespace})
        except ProgrammingError as exc:
            if getattr(exc.orig, "sqlstate", None) in _MISSING:  # the template was dropped before it was held
                return None
            raise
        return Provisioned(record, token, viewer_token)

    def restore(self, record: InstanceRecord, scenario: Scenario, now: datetime, entry: dict[str, Any]) -> None:
        schema = instance_schema(record.id)
        with self.engine.begin() as conn:
            if not self._hold_template(conn, record.template):
                raise SimulatorError(f"Brak szablonu {record.template}: nie można przywrócić instancji.")
            start_ids, _tail = self._template_facts(conn, record.template, scenario)
            changes = variations.variation_changes(conn, scenario, record.seed)
            conn.execute(_ENTER, _where(schema))
            conn.exec_driver_sql(_delete_sql(record.id, with_log=False))
            conn.exec_driver_sql(_copy_sql(record.template, record.id, with_log=False, changes=changes))
            write_settings(conn, scenario, record.seed, record.id, start_ids=start_ids)
            actionlog.append_raw(conn, now=now, **entry)

    def destroy(self, instance_id: str) -> None:
        self.get_record(instance_id)
        schema = instance_schema(instance_id)
        with self.engine.begin() as conn:
            conn.execute(_LOCK, {"key": schema})  # after a request that is still writing to it
            conn.execute(_DELETE, {"id": instance_id, "namespace": self.namespace})
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.exec_driver_sql(_delete_sql(instance_id, with_log=True))

    def exists(self, instance_id: str) -> bool:
        schema = instance_schema(instance_id)
        with self.engine.connect() as conn:
            return conn.execute(_SCHEMA_EXISTS, {"schema": schema}).first() is not None

    @property
    def upgrade_key(self) -> str:
        return f"{self.url}#{self.namespace}"

    def _upgrade(self, instance_id: str) -> list[str]:
        """Its rows move to the current shared tables and its views are made again on them; its template gains
        the missing tables and columns."""
        schema, current = instance_schema(instance_id), data_schema()
        with self.engine.connect() as conn:
            sources = conn.execute(_VIEW_SOURCES, {"schema": schema}).scalars().all()
        if sources in ([], [current]):
            return []
        [old] = sources
        template = self.get_record(instance_id).template
        with self.engine.begin() as conn:
            conn.execute(_LOCK, {"key": schema})
            old_columns = _columns_of(conn, old)
            for columns in old_columns.values():
                columns.discard("instance_id")
            tables, added = upgrade.missing(old_columns)
            for table in Base.metadata.sorted_tables:  # parents first
                kept = [c.name for c in table.columns if c.name in old_columns.get(table.name, ())]
                if kept:
                    names = ", ".join(f'"{n}"' for n in kept)
                    conn.exec_driver_sql(
                        f"INSERT INTO {_quoted(current, table.name)} (instance_id, {names}) "  # noqa: S608  (our names)
                        f"SELECT instance_id, {names} FROM {_quoted(old, table.name)} WHERE instance_id = %(id)s",
                        {"id": instance_id},
                    )
            for table in reversed(Base.metadata.sorted_tables):
                if table.name in old_columns:
                    conn.exec_driver_sql(
                        f"DELETE FROM {_quoted(old, table.name)} WHERE instance_id = %(id)s",  # noqa: S608
                        {"id": instance_id},
                    )
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            conn.exec_driver_sql(_views_sql(schema, instance_id))
            changes = [f"dane przeniesione do {current}", *upgrade.describe(tables, added)]
            actionlog.append_raw(conn, now=datetime.now(UTC), **upgrade.entry(changes))
            self._upgrade_template(conn, template)
        return changes

    @staticmethod
    def _upgrade_template(conn: Connection, template: str) -> None:
        """Give an older template the current tables and columns (a reset copies every current column from it)."""
        have = _columns_of(conn, template)
        if not have:
            return
        conn.execute(_TEMPLATE_PATH, {"schema": template})
        upgrade.add(conn, *upgrade.missing(have))

    @contextmanager
    def connect(self, instance_id: str, *, write: bool = False) -> Iterator[Connection]:
        self.get_record(instance_id)
        self.ensure_current(instance_id)
        schema = instance_schema(instance_id)
        with self.engine.connect() as conn:
            if not write:
                conn.exec_driver_sql(_READ_ONLY)  # one consistent state; any write raises
            conn.execute(_ENTER if write else _PATH, _where(schema))
            yield conn
            if write:
                conn.commit()

    def open_session(self, instance_id: str) -> Session:
        self.ensure_current(instance_id)
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
    """Drop the templates this process built that no instance uses, then the registry and shared tables if empty.

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
        _present.discard((built_url, name))
    with engine.begin() as conn:
        conn.execute(_LOCK, {"key": REGISTRY_SCHEMA})
        left = conn.execute(text(f"SELECT (SELECT count(*) FROM {_R}) + (SELECT count(*) FROM {_T})")).scalar()  # noqa: S608
        if not left:
            conn.exec_driver_sql(
                f'DROP SCHEMA IF EXISTS {REGISTRY_SCHEMA} CASCADE; DROP SCHEMA IF EXISTS "{data_schema()}" CASCADE'
            )
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
