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

from sqlalchemy import Connection, text

from simulator.scenario import Scenario
from simulator.sqltext import sql, sql_with_date

AMOUNT_TARGETS = {"opportunity.value": ("opportunity", "value"), "product.net_price": ("product", "net_price")}
DATE_TARGETS = {
    "opportunity.expected_close": ("opportunity", "expected_close"),
    "activity.due_date": ("activity", "due_date"),
}


def rng_for(scenario_id: str, seed: int) -> random.Random:
    """Return the deterministic generator of one (scenario, seed) pair."""
    # a simulation stream, not a secret: string seeding is stable across processes and versions
    return random.Random(f"{scenario_id}:{seed}")  # noqa: S311


def apply_variations(conn: Connection, scenario: Scenario, seed: int) -> None:
    """Vary amounts, dates and person names of a fresh copy of the template in place."""
    rules = scenario.variations
    rng = rng_for(scenario.id, seed)
    for rule in rules.get("amounts", []):
        _vary_amounts(
            conn, rng, *AMOUNT_TARGETS[rule["target"]], spread=rule["spread_percent"], round_to=rule["round_to"]
        )
    for rule in rules.get("dates", []):
        _shift_dates(conn, rng, *DATE_TARGETS[rule["target"]], rule["shift_days"])
    if "contact_names" in rules:
        _rename_contacts(conn, rng, scenario, rules["contact_names"])


def _vary_amounts(conn, rng, table: str, column: str, *, spread: int, round_to: float) -> None:
    step = int((Decimal(str(round_to)) * 100).to_integral_value(rounding=ROUND_HALF_UP)) or 1
    rows = conn.execute(sql(f"SELECT id, {column} FROM {table} ORDER BY id")).all()  # noqa: S608  (fixed names)
    updates = []
    for row_id, grosze in rows:
        factor = 1 + rng.uniform(-spread, spread) / 100
        varied = round(grosze * factor / step) * step
        updates.append({"value": max(varied, step) if grosze else 0, "id": row_id})
    if updates:
        conn.execute(sql(f"UPDATE {table} SET {column} = :value WHERE id = :id"), updates)  # noqa: S608


def _shift_dates(conn, rng, table: str, column: str, days: int) -> None:
    rows = conn.execute(sql(f"SELECT id, {column} FROM {table} ORDER BY id")).all()  # noqa: S608
    updates = []
    for row_id, value in rows:
        shift = rng.randint(-days, days)
        if value:  # ISO text in a SQLite file, a date in PostgreSQL
            day = value if isinstance(value, date) else date.fromisoformat(value)
            updates.append({"value": day + timedelta(days=shift), "id": row_id})
    if updates:
        update = sql_with_date(f"UPDATE {table} SET {column} = :value WHERE id = :id", "value")  # noqa: S608
        conn.execute(update, updates)


@functools.lru_cache(maxsize=4096)  # a pure function of a few hundred pool names
def ascii_fold(text: str) -> str:
    """Return lower-case ASCII for an e-mail local part (Łukasz Żółć → lukasz, zolc)."""
    text = text.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch == "-")).lower()


def _rename_contacts(conn, rng, scenario: Scenario, pools: dict) -> None:
    contacts = scenario.seed.get("contacts", [])
    keep = set(pools.get("keep", []))
    updates = []
    for sex, pool_name in (("K", "female"), ("M", "male")):
        ids = [i for i, item in enumerate(contacts, start=1) if item.get("sex") == sex and item["key"] not in keep]
        if not ids:
            continue
        pool = pools[pool_name]
        firsts = rng.sample(pool["first_names"], len(ids))
        lasts = rng.sample(pool["last_names"], len(ids))
        for contact_id, first, last in zip(ids, firsts, lasts, strict=True):
            email = contacts[contact_id - 1].get("email") or ""
            if pools.get("email_from_name") and email:
                email = f"{ascii_fold(first)}.{ascii_fold(last)}@{email.rsplit('@', 1)[1].lower()}"
            elif email:
                email = email.strip().lower()
            updates.append({"first": first, "last": last, "email": email, "id": contact_id})
    if updates:
        conn.execute(_RENAME, updates)


_RENAME = text("UPDATE contact SET first_name = :first, last_name = :last, email = :email WHERE id = :id")
