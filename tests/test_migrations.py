"""The migrations produce exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from examplatform.extensions import db


def test_models_and_migrations_agree(csrf_app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"run `flask --app examplatform db migrate`: {diff}"


def test_audit_table_is_protected_by_triggers(csrf_app):
    dialect = db.engine.dialect.name
    with db.engine.connect() as connection:
        if dialect == "sqlite":
            names = {r[0] for r in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
            assert {"audit_entry_no_update", "audit_entry_no_delete"} <= names
        else:
            names = {r[0] for r in connection.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
            assert {"audit_entry_no_change", "audit_entry_no_truncate"} <= names
