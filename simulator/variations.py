"""Deterministic per-seed variations of a provisioned instance (names, amounts, dates).

The same scenario and seed always give the same instance; different seeds give candidates sitting side
by side different numbers and names, so copying a neighbour's answer does not work. The rules come from
the scenario's ``variations`` section; targets are a closed list mapped to columns here. The values are
computed in Python (``variation_changes``). A SQLite instance file gets them with one ``UPDATE`` per table
(numbered parameters, run straight on ``sqlite3``); the PostgreSQL store writes them in the ``INSERT … SELECT``
that copies the template's rows (``pgstore``), so no row is written twice.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection

from simulator.scenario import Scenario
from simulator.sqltext import DirectSQLite, Runner, sql

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

# table → column → row id → new value: what one provision sets, gathered so that each table is updated once
Changes = dict[str, dict[str, dict[int, object]]]


def apply_variations(conn: Runner, scenario: Scenario, seed: int) -> None:
    """Vary amounts, dates and person names of a fresh copy of the template in place (a SQLite instance file).

    All values are computed first (``variation_changes``); then each table is updated in one statement.
    """
    for table, columns in variation_changes(conn, scenario, seed).items():
        _update_rows(conn, table, columns)


def variation_changes(conn: Runner, scenario: Scenario, seed: int) -> Changes:
    """Return what the seed varies: table → column → row id → new value (only rows whose rules reach them).

    The values a rule starts from are the template's, the same for every instance of a scenario version: they
    are read once per process, from ``conn`` (the template or a pristine copy of it; see
    ``remember_start_values``). A second rule on the same column starts from the values the first one gave.
    The PostgreSQL store writes these values as it copies the template's rows, instead of updating them after.
    """
    rules = scenario.variations
    rng = rng_for(scenario.id, seed)
    changes: Changes = {}
    for group, targets, vary in (("amounts", AMOUNT_TARGETS, _vary_amounts), ("dates", DATE_TARGETS, _shift_dates)):
        for rule in rules.get(group, []):
            table, column = targets[rule["target"]]
            varied = changes.setdefault(table, {})
            start = varied.get(column) or dict(_start_values(conn, scenario.digest, table, column))
            varied[column] = vary(rng, start, rule)
    if "contact_names" in rules:
        changes.setdefault("contact", {}).update(_rename_contacts(rng, scenario, rules["contact_names"]))
    return changes


def remember_start_values(conn: Connection, scenario: Scenario) -> None:
    """Read the values the scenario's rules start from out of ``conn``, a pristine copy of its template.

    A caller that varies the same connection again and again (the file store's workbench) calls this first, so
    that every instance starts from the template's values, never from the previous instance's.
    """
    rules = scenario.variations
    for group, targets in (("amounts", AMOUNT_TARGETS), ("dates", DATE_TARGETS)):
        for rule in rules.get(group, []):
            _start_values(conn, scenario.digest, *targets[rule["target"]])


def _start_values(conn, digest: str, table: str, column: str) -> list[tuple[int, object]]:
    """Return ``(id, value)`` of every row as in the template (read once per scenario version).

    Dates are kept as ``date`` whether the backend gave ISO text (SQLite) or a date (PostgreSQL).
    """
    key = (digest, table, column)
    if key not in _START_VALUES:
        rows = conn.execute(sql(f"SELECT id, {column} FROM {table} ORDER BY id")).all()  # noqa: S608
        _START_VALUES[key] = [(row_id, _as_date(value) if column in _DATE_COLUMNS else value) for row_id, value in rows]
    return _START_VALUES[key]


_DATE_COLUMNS = frozenset(column for _table, column in DATE_TARGETS.values())


def _as_date(value: object) -> object:
    return date.fromisoformat(value) if isinstance(value, str) and value else value


def _vary_amounts(rng, start: dict[int, object], rule: dict) -> dict[int, object]:
    spread = rule["spread_percent"]
    step = int((Decimal(str(rule["round_to"])) * 100).to_integral_value(rounding=ROUND_HALF_UP)) or 1
    random, varied = rng.random, {}
    for row_id, grosze in start.items():
        factor = 1 + (2 * spread * random() - spread) / 100  # uniform(-spread, spread), one C call
        varied[row_id] = max(round(grosze * factor / step) * step, step) if grosze else 0
    return varied


def _shift_dates(rng, start: dict[int, object], rule: dict) -> dict[int, object]:
    days = rule["shift_days"]
    width, random = 2 * days + 1, rng.random
    # a shift of -days … +days days, evenly likely; an empty date stays empty
    return {row_id: day + timedelta(days=int(random() * width) - days) if day else day for row_id, day in start.items()}


@functools.lru_cache(maxsize=4096)  # a pure function of a few hundred pool names
def ascii_fold(text: str) -> str:
    """Return lower-case ASCII for an e-mail local part (Łukasz Żółć → lukasz, zolc)."""
    text = text.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch == "-")).lower()


def _rename_contacts(rng, scenario: Scenario, pools: dict) -> dict[str, dict[int, object]]:
    """Return new first and last names (and e-mails derived from them) of the persons the pools rename."""
    firsts_of, lasts_of, emails_of = {}, {}, {}
    from_name = bool(pools.get("email_from_name"))
    for pool_name, renamed in _renamed_people(scenario, pools):
        pool = pools[pool_name]
        firsts = rng.sample(pool["first_names"], len(renamed))
        lasts = rng.sample(pool["last_names"], len(renamed))
        for (contact_id, seeded, domain), first, last in zip(renamed, firsts, lasts, strict=True):
            firsts_of[contact_id], lasts_of[contact_id] = first, last
            emails_of[contact_id] = (
                f"{ascii_fold(first)}.{ascii_fold(last)}@{domain}" if from_name and domain else seeded
            )
    return {"first_name": firsts_of, "last_name": lasts_of, "email": emails_of}


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


def _update_rows(conn: Runner, table: str, columns: dict[str, dict[int, object]]) -> None:
    """Set ``columns`` (column → row id → value) of ``table`` in a SQLite instance: one statement per set of rows
    the columns cover.

    Each column is set to ``CASE id WHEN ?<i> THEN ?<j> … END`` on the rows ``WHERE id IN (…)``, faster on SQLite
    than a join of the table with the values as a derived table. The parameters are numbered (each id bound once)
    and dates are bound as the ISO text SQLite stores. It runs straight on ``sqlite3`` for the provisioning
    workbench (``DirectSQLite``) and through the SQLAlchemy connection of an instance file for a reset.
    """
    by_rows: dict[tuple[int, ...], list[str]] = {}
    for column, values in columns.items():
        if values:
            by_rows.setdefault(tuple(values), []).append(column)
    for ids, names in by_rows.items():
        params = list(ids)
        for name in names:
            values = columns[name].values()
            params.extend(v.isoformat() if v and name in _DATE_COLUMNS else v for v in values)
        statement = _sqlite_update(table, tuple(names), len(ids))
        if isinstance(conn, DirectSQLite):
            conn.raw.execute(statement, params)
        else:
            conn.exec_driver_sql(statement, tuple(params))


@functools.lru_cache(maxsize=256)
def _sqlite_update(table: str, columns: tuple[str, ...], count: int) -> str:
    """Return the statement of ``_update_rows``: ids are ``?1 … ?count``, then each column's values in turn."""
    assignments = ", ".join(
        f"{column} = CASE id {' '.join(f'WHEN ?{i + 1} THEN ?{(j + 1) * count + i + 1}' for i in range(count))} END"
        for j, column in enumerate(columns)
    )
    ids = ", ".join(f"?{i + 1}" for i in range(count))
    return f"UPDATE {table} SET {assignments} WHERE id IN ({ids})"  # noqa: S608
