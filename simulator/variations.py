"""Deterministic per-seed variations of a provisioned instance (names, amounts, dates).

The same scenario and seed always give the same instance; different seeds give candidates sitting side
by side different numbers and names, so copying a neighbour's answer does not work. The rules come from
the scenario's ``variations`` section; targets are a closed list mapped to columns here. The statements are
SQLAlchemy Core with named parameters, so they run on a SQLite instance file and a PostgreSQL schema alike.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection, TextClause

from simulator.scenario import Scenario
from simulator.sqltext import sql, sql_dates

AMOUNT_TARGETS = {"opportunity.value": ("opportunity", "value"), "product.net_price": ("product", "net_price")}
DATE_TARGETS = {
    "opportunity.expected_close": ("opportunity", "expected_close"),
    "activity.due_date": ("activity", "due_date"),
}


def rng_for(scenario_id: str, seed: int) -> random.Random:
    """Return the deterministic generator of one (scenario, seed) pair."""
    # a simulation stream, not a secret: string seeding is stable across processes and versions
    return random.Random(f"{scenario_id}:{seed}")  # noqa: S311


_START_VALUES: dict[tuple[str, str, str], list[tuple[int, object]]] = {}


def apply_variations(conn: Connection, scenario: Scenario, seed: int) -> None:
    """Vary amounts, dates and person names of a fresh copy of the template in place.

    The values a rule starts from are the template's, the same for every instance of a scenario version: they
    are read once per process (a second rule on the same column reads the values the first one left).
    """
    rules = scenario.variations
    rng = rng_for(scenario.id, seed)
    seen: set[str] = set()
    for rule in rules.get("amounts", []):
        table, column = AMOUNT_TARGETS[rule["target"]]
        rows = _start_values(conn, scenario.digest if rule["target"] not in seen else None, table, column)
        seen.add(rule["target"])
        _vary_amounts(conn, rng, table, column, rows, spread=rule["spread_percent"], round_to=rule["round_to"])
    for rule in rules.get("dates", []):
        table, column = DATE_TARGETS[rule["target"]]
        rows = _start_values(conn, scenario.digest if rule["target"] not in seen else None, table, column)
        seen.add(rule["target"])
        _shift_dates(conn, rng, table, column, rows, days=rule["shift_days"])
    if "contact_names" in rules:
        _rename_contacts(conn, rng, scenario, rules["contact_names"])


def remember_start_values(conn: Connection, scenario: Scenario) -> None:
    """Read the values the scenario's rules start from out of ``conn``, a pristine copy of its template.

    A caller that varies the same connection again and again (the file store's workbench) calls this first, so
    that every instance starts from the template's values, never from the previous instance's.
    """
    rules = scenario.variations
    for group, targets in (("amounts", AMOUNT_TARGETS), ("dates", DATE_TARGETS)):
        for rule in rules.get(group, []):
            _start_values(conn, scenario.digest, *targets[rule["target"]])


def _start_values(conn, digest: str | None, table: str, column: str) -> list[tuple[int, object]]:
    """Return ``(id, value)`` of every row, from the cache of the template's values when ``digest`` is given."""
    key = (digest or "", table, column)
    if digest is None or key not in _START_VALUES:
        rows = [tuple(row) for row in conn.execute(sql(f"SELECT id, {column} FROM {table} ORDER BY id")).all()]  # noqa: S608
        if digest is None:
            return rows
        _START_VALUES[key] = rows
    return _START_VALUES[key]


def _vary_amounts(conn, rng, table: str, column: str, rows, *, spread: int, round_to: float) -> None:
    step = int((Decimal(str(round_to)) * 100).to_integral_value(rounding=ROUND_HALF_UP)) or 1
    updates = []
    for row_id, grosze in rows:
        factor = 1 + rng.uniform(-spread, spread) / 100
        varied = round(grosze * factor / step) * step
        updates.append((row_id, max(varied, step) if grosze else 0))
    _update_rows(conn, table, [column], updates)


def _shift_dates(conn, rng, table: str, column: str, rows, *, days: int) -> None:
    updates = []
    for row_id, value in rows:
        shift = rng.randint(-days, days)
        if value:  # ISO text in a SQLite file, a date in PostgreSQL
            day = value if isinstance(value, date) else date.fromisoformat(value)
            updates.append((row_id, day + timedelta(days=shift)))
    _update_rows(conn, table, [column], updates, dates=True)


@functools.lru_cache(maxsize=4096)  # a pure function of a few hundred pool names
def ascii_fold(text: str) -> str:
    """Return lower-case ASCII for an e-mail local part (Łukasz Żółć → lukasz, zolc)."""
    text = text.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch == "-")).lower()


def _rename_contacts(conn, rng, scenario: Scenario, pools: dict) -> None:
    updates = []
    from_name = bool(pools.get("email_from_name"))
    for pool_name, renamed in _renamed_people(scenario, pools):
        pool = pools[pool_name]
        firsts = rng.sample(pool["first_names"], len(renamed))
        lasts = rng.sample(pool["last_names"], len(renamed))
        for (contact_id, seeded, domain), first, last in zip(renamed, firsts, lasts, strict=True):
            email = f"{ascii_fold(first)}.{ascii_fold(last)}@{domain}" if from_name and domain else seeded
            updates.append((contact_id, first, last, email))
    _update_rows(conn, "contact", ["first_name", "last_name", "email"], updates)


_RENAMED: dict[str, list[tuple[str, list[tuple[int, str, str]]]]] = {}


def _renamed_people(scenario: Scenario, pools: dict) -> list[tuple[str, list[tuple[int, str, str]]]]:
    """Per name pool (female, male), the persons it renames: (id, e-mail as seeded, its domain); once per version."""
    if scenario.digest not in _RENAMED:
        contacts = scenario.seed.get("contacts", [])
        keep = set(pools.get("keep", []))
        found = []
        for sex, pool_name in (("K", "female"), ("M", "male")):
            renamed = [
                (i, (item.get("email") or "").strip().lower(), (item.get("email") or "").rpartition("@")[2].lower())
                for i, item in enumerate(contacts, start=1)
                if item.get("sex") == sex and item["key"] not in keep
            ]
            if renamed:
                found.append((pool_name, renamed))
        _RENAMED[scenario.digest] = found
    return _RENAMED[scenario.digest]


def _update_rows(conn, table: str, columns: list[str], rows: list[tuple], *, dates: bool = False) -> None:
    """Set ``columns`` of many rows of ``table`` in one statement (one round trip to PostgreSQL).

    Each row is ``(id, value of the first column, …)``. Each column is set to ``CASE id WHEN :id_0 THEN :v0_0 …
    END`` on the rows ``WHERE id IN (:id_0, …)``: SQLite and PostgreSQL both run it, and SQLite faster than a join
    of the table with the values as a derived table. With ``dates`` the values are bound as dates.
    """
    if rows:
        clause, keys = _update_statement(table, tuple(columns), len(rows), dates=dates)
        conn.execute(clause, dict(zip(keys, (value for row in rows for value in row), strict=True)))


@functools.lru_cache(maxsize=256)
def _update_statement(table: str, columns: tuple[str, ...], count: int, *, dates: bool) -> tuple[TextClause, tuple]:
    """Return the statement of ``_update_rows`` for ``count`` rows and its parameter names, row by row."""
    keys = [[f"id_{i}", *(f"v{j}_{i}" for j in range(len(columns)))] for i in range(count)]
    assignments = ", ".join(
        f"{column} = CASE id {' '.join(f'WHEN :{row[0]} THEN :{row[j + 1]}' for row in keys)} END"
        for j, column in enumerate(columns)
    )
    ids = ", ".join(f":{row[0]}" for row in keys)
    statement = f"UPDATE {table} SET {assignments} WHERE id IN ({ids})"  # noqa: S608
    clause = sql_dates(statement, tuple(k for row_keys in keys for k in row_keys[1:])) if dates else sql(statement)
    return clause, tuple(k for row_keys in keys for k in row_keys)
