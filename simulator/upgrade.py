"""Bring an instance made under an earlier CRM schema up to the current one, so that it still opens.

Instances outlive releases: a frozen one is the commission's evidence, kept for appeals. When a release adds
tables or columns to the CRM, an older instance lacks them and the CRM's pages would fail on it. The first time
a process opens such an instance (and ``upgrade_all`` at deployment), it is brought up to date:

- **SQLite file**: the missing tables are created and the missing columns added (``ALTER TABLE … ADD COLUMN``,
  with the column's server default or NULL); the template it was made from gets the same, so a reset still works.
- **PostgreSQL**: the instance's rows move from the shared tables of its schema version into the current ones
  (columns they lack take their defaults), its views are made again on the current tables, and its template
  gains the missing tables and columns.

Only additions are made: nothing is dropped, renamed or rewritten, so the data and the hash-chained log stay
exactly as they were (the log's own columns are part of the chain; a change to them is refused). The upgrade is
logged in the instance (``instance.upgraded``, with every change). A new column must therefore be nullable or
have a server default; one that is not cannot be added to old data, and the upgrade says so.
"""

from __future__ import annotations

import threading

from sqlalchemy import Column, Connection, Table
from sqlalchemy.schema import CreateColumn, CreateTable

from simulator.crm.base import Base
from simulator.errors import SimulatorError

_checked: set[tuple[str, str]] = set()  # (store, instance) already current in this process
_lock = threading.Lock()


def missing(columns: dict[str, set[str]]) -> tuple[list[Table], list[tuple[Table, Column]]]:
    """Return the current schema's tables absent from ``columns`` (table → its column names), and the columns
    absent from the tables that are there."""
    tables, added = [], []
    for table in Base.metadata.sorted_tables:
        have = columns.get(table.name)
        if have is None:
            tables.append(table)
            continue
        added.extend((table, column) for column in table.columns if column.name not in have)
    for table, column in added:
        if table.name == "action_log":
            raise SimulatorError(
                f"Kolumna action_log.{column.name} zmieniłaby łańcuch skrótów dziennika: starszych instancji nie "
                "można uzupełnić."
            )
        if not column.nullable and column.server_default is None:
            raise SimulatorError(
                f"Nowa kolumna {table.name}.{column.name} nie ma wartości domyślnej w bazie ani nie dopuszcza NULL: "
                "nie można jej dodać do starszych instancji."
            )
    return tables, added


def describe(tables: list[Table], added: list[tuple[Table, Column]]) -> list[str]:
    """Name each change for the log."""
    return [f"nowa tabela {t.name}" for t in tables] + [f"nowa kolumna {t.name}.{c.name}" for t, c in added]


def sqlite_columns(conn: Connection) -> dict[str, set[str]]:
    names = [row[0] for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {name: {row[1] for row in conn.exec_driver_sql(f'PRAGMA table_info("{name}")')} for name in names}


def add(conn: Connection, tables: list[Table], added: list[tuple[Table, Column]]) -> None:
    """Create ``tables`` and add the ``added`` columns, by unqualified names (a SQLite file, or the PostgreSQL
    schema first on the transaction's path)."""
    for table in tables:
        conn.execute(CreateTable(table))
    for table, column in added:
        spec = CreateColumn(column).compile(dialect=conn.dialect)
        conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN {spec}')


def upgrade_sqlite(conn: Connection) -> list[str]:
    """Add the missing tables and columns to a SQLite database (the caller holds its write transaction)."""
    tables, added = missing(sqlite_columns(conn))
    add(conn, tables, added)
    return describe(tables, added)


def entry(changes: list[str]) -> dict:
    """The log entry recording an upgrade."""
    from simulator import actionlog
    from simulator.sandbox import schema_digest

    return {
        "actor": actionlog.SYSTEM,
        "action": "instance.upgraded",
        "entity_type": "instance",
        "summary": "Uzupełniono instancję do bieżącej wersji CRM: " + "; ".join(changes),
        "details": {"changes": changes, "schema": schema_digest()[:16]},
    }


def first_time(store_key: str, instance_id: str) -> bool:
    """Tell whether this process has not yet made sure the instance is current (and remember that it has)."""
    with _lock:
        if (store_key, instance_id) in _checked:
            return False
        _checked.add((store_key, instance_id))
        return True


def forget(store_key: str, instance_id: str) -> None:
    with _lock:
        _checked.discard((store_key, instance_id))
