"""Every CRM column added from now on can be added to an older instance (see ``simulator.upgrade``)."""

from __future__ import annotations

from pathlib import Path

from simulator.crm.base import Base

KNOWN = Path(__file__).with_name("required_columns.txt")


def test_no_new_column_is_required_without_a_server_default():
    known = {line for line in KNOWN.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")}
    required = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if not column.nullable and column.server_default is None and not column.primary_key
    }
    new = sorted(required - known)
    assert new == [], f"give these columns a server_default or make them nullable (older instances lack them): {new}"
