"""``DirectSQLite`` runs our shared text clauses on a bare sqlite3 connection exactly as SQLAlchemy would."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from simulator.sqltext import DirectSQLite, sql

SETUP = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, day DATE, amount INTEGER)"
ROWS = [{"id": 1, "name": "Łódź", "day": None, "amount": 10}, {"id": 2, "name": "Kraków", "day": None, "amount": 20}]


def _both():
    raw = sqlite3.connect(":memory:", isolation_level=None)
    raw.execute(SETUP)
    other = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    other.execute(SETUP)
    engine = create_engine("sqlite://", creator=lambda: other, poolclass=StaticPool)
    return DirectSQLite(raw), engine.connect()


@pytest.fixture
def pair():
    direct, alchemy = _both()
    yield direct, alchemy
    alchemy.close()


def _run_same(pair, clause, params=None):
    direct, alchemy = pair
    return direct.execute(clause, params), alchemy.execute(clause, params)


def test_inserts_updates_and_reads_give_what_sqlalchemy_gives(pair):
    insert = sql("INSERT INTO t (id, name, day, amount) VALUES (:id, :name, :day, :amount)")
    _run_same(pair, insert, ROWS)  # executemany
    _run_same(pair, sql("UPDATE t SET amount = :amount WHERE id = :id"), {"amount": 99, "id": 2})
    moved = sql("UPDATE t SET day = :value WHERE id = :id")
    _run_same(pair, moved, [{"value": "2026-03-16", "id": 1}, {"value": "2026-02-28", "id": 2}])
    query = sql("SELECT id, name, day, amount FROM t WHERE amount >= :least ORDER BY id")
    direct, alchemy = _run_same(pair, query, {"least": 0})
    rows = direct.all()
    assert rows == [tuple(r) for r in alchemy.all()]
    assert rows == [(1, "Łódź", "2026-03-16", 10), (2, "Kraków", "2026-02-28", 99)]  # dates as ISO text


def test_first_scalar_tuples_and_iteration(pair):
    _run_same(pair, sql("INSERT INTO t (id, name, day, amount) VALUES (:id, :name, :day, :amount)"), ROWS)
    direct, _ = pair
    count = sql("SELECT count(*) FROM t")
    assert direct.execute(count).scalar() == 2
    assert direct.execute(sql("SELECT name FROM t WHERE id = :id"), {"id": 3}).first() is None
    assert dict(direct.execute(sql("SELECT id, name FROM t ORDER BY id")).tuples().all()) == {1: "Łódź", 2: "Kraków"}
    assert [row[0] for row in direct.execute(sql("SELECT id FROM t ORDER BY id DESC"))] == [2, 1]


def test_a_parameter_used_twice_and_a_missing_one(pair):
    direct, alchemy = pair
    _run_same(pair, sql("INSERT INTO t (id, name, day, amount) VALUES (:id, :name, :day, :amount)"), ROWS)
    twice = sql("SELECT id FROM t WHERE amount > :n AND id <> :n ORDER BY id")
    assert direct.execute(twice, {"n": 10}).all() == [tuple(r) for r in alchemy.execute(twice, {"n": 10}).all()]
    with pytest.raises(KeyError):
        direct.execute(twice, {})
