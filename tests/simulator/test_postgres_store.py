"""The PostgreSQL store: schemas per instance, the registry table, templates, and any node serving any candidate.

Runs when the suite runs on PostgreSQL (``EXAMPLATFORM_TEST_DATABASE_URL``); every other simulator test runs
on it too through the fixtures, these add what only schemas have.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from simulator import api, pgstore
from simulator.errors import SimulatorError, UnknownInstance
from simulator.pgstore import PostgresStore
from simulator.registry import token_digest
from simulator.scenario import load_scenario
from tests.conftest import postgres_sandboxes
from tests.simulator.conftest import Crm, _sim_app, instance_rows

pytestmark = pytest.mark.postgres_only


def _schemas(store: PostgresStore, like: str) -> list[str]:
    with store.engine.connect() as conn:
        query = text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :like ORDER BY nspname")
        return list(conn.execute(query, {"like": like}).scalars())


def _registry_row(store: PostgresStore, instance_id: str) -> dict | None:
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM sim_registry.instance WHERE id = :id"), {"id": instance_id}).first()
    return dict(row._mapping) if row else None


def _other_node(store: PostgresStore) -> PostgresStore:
    """The same database and namespace reached through another engine (another app node's pool)."""
    separator = "&" if "?" in store.url else "?"
    return PostgresStore(f"{store.url}{separator}application_name=node-b", store.namespace)


def test_provision_creates_a_schema_and_a_registry_row_with_digests_only(provision, sandbox_root):
    info = provision("kandydat-A", 7)
    schema = f"siminst_{info.instance_id}"
    assert _schemas(sandbox_root, schema) == [schema]
    row = _registry_row(sandbox_root, info.instance_id)
    assert row["namespace"] == sandbox_root.namespace and row["template"].startswith("simtpl_")
    assert (row["scenario"], row["candidate_key"], row["seed"]) == ("practice", "kandydat-A", 7)
    stored = " ".join(str(v) for v in row.values())
    assert info.token not in stored and info.viewer_token not in stored
    assert row["token_hash"] == token_digest(info.token)
    with sandbox_root.engine.connect() as conn:
        kinds = conn.execute(
            text("SELECT DISTINCT table_type FROM information_schema.tables WHERE table_schema = :s"), {"s": schema}
        )
        assert list(kinds.scalars()) == ["VIEW"]  # no files of its own: views onto the shared tables


def test_an_instance_is_a_schema_of_views_onto_its_own_rows(sim_app, provision, sandbox_root):
    a, b = Crm(sim_app.test_client(), provision("A", 1), sandbox_root), provision("B", 2)
    last = a.one("SELECT max(id) FROM account")
    new = {"name": "Nowa Firma Widok sp. z o.o.", "data_source": "targi", "owner_id": "1"}
    assert a.post("accounts/new", new).status_code == 302
    # numbered as SQLite numbers an INTEGER PRIMARY KEY: one more than the instance's highest id
    assert a.one("SELECT id FROM account WHERE name = :n", {"n": new["name"]}) == last + 1
    assert instance_rows(sandbox_root, b.instance_id, "SELECT count(*) FROM account WHERE name = :name", new)[0][0] == 0
    data = pgstore.data_schema()
    with sandbox_root.engine.connect() as conn:
        owners = conn.execute(text(f'SELECT instance_id FROM "{data}".account WHERE name = :n'), {"n": new["name"]})
        assert list(owners.scalars()) == [a.info.instance_id]
    # a row for another instance is refused by the view's check option, even with the id set by hand
    with pytest.raises(DBAPIError, match="check option"), sandbox_root.connect(a.info.instance_id, write=True) as conn:
        conn.execute(text("SELECT set_config('sim.instance', :other, true)"), {"other": b.instance_id})
        conn.execute(text("INSERT INTO instance_meta (key, value) VALUES ('x', 'y')"))
    # two records added in one statement get consecutive ids
    with sandbox_root.connect(a.info.instance_id, write=True) as conn:
        rows = (
            conn.execute(
                text(
                    "INSERT INTO task_answer (task_key, answer_key, value, updated_at) VALUES "
                    "('t', 'a', '1', 'x'), ('t', 'b', '2', 'x') RETURNING id"
                )
            )
            .scalars()
            .all()
        )
    assert rows[1] == rows[0] + 1


def test_destroy_drops_the_schema_and_the_registry_row(provision, sandbox_root):
    info = provision()
    api.destroy(info.instance_id, root=sandbox_root)
    assert _schemas(sandbox_root, f"siminst_{info.instance_id}") == []
    assert _registry_row(sandbox_root, info.instance_id) is None
    with pytest.raises(UnknownInstance):
        api.destroy(info.instance_id, root=sandbox_root)


def test_the_template_is_a_schema_built_once_with_its_scenario_text_stored(sandbox_root):
    scenario = load_scenario("practice")
    name = sandbox_root.build_template(scenario)
    assert name == pgstore.template_name(scenario) and _schemas(sandbox_root, name) == [name]
    assert sandbox_root.build_template(scenario) == name
    with sandbox_root.engine.connect() as conn:
        source = conn.execute(text("SELECT source FROM sim_registry.template WHERE name = :n"), {"n": name}).scalar()
    assert bytes(source) == scenario.source  # reset works on any node: nothing only on a local disk
    assert sandbox_root.template_scenario(name).digest == scenario.digest


def test_concurrent_builders_of_a_new_template_do_not_collide(sandbox_root, tmp_path):
    source = load_scenario("practice").path.read_text(encoding="utf-8")
    folder = tmp_path / "bank" / "practice"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(source.replace("business_date: 2026-03-16", "business_date: 2026-03-18"))
    scenario = load_scenario("practice", tmp_path / "bank")
    names, errors = [], []

    def build():
        try:
            names.append(PostgresStore(sandbox_root.url, sandbox_root.namespace).build_template(scenario))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(names)) == 1
    assert sandbox_root.template_scenario(names[0]).business_date == date(2026, 3, 18)


def test_a_failed_provision_leaves_nothing_behind(sandbox_root, monkeypatch):
    sandbox_root.build_template(load_scenario("practice"))
    before = _schemas(sandbox_root, "siminst_%")

    def broken(*args, **kwargs):
        raise RuntimeError("awaria w połowie")

    monkeypatch.setattr(pgstore.actionlog, "append_raw", broken)
    with pytest.raises(RuntimeError):
        api.provision("practice", "kandydat", 1, root=sandbox_root)
    assert _schemas(sandbox_root, "siminst_%") == before and sandbox_root.records() == []


def test_a_template_dropped_behind_the_process_is_built_again_by_the_next_provision(sandbox_root):
    """A process remembers the templates it has seen; one dropped since (another node's clean-up) makes the
    provision's copy fail, and the provision builds the template again instead of failing."""
    scenario = load_scenario("practice")
    name = sandbox_root.build_template(scenario)
    with sandbox_root.engine.begin() as conn:
        conn.execute(text("DELETE FROM sim_registry.template WHERE name = :n"), {"n": name})
        conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
    info = api.provision("practice", "kandydat", 1, root=sandbox_root)
    assert _schemas(sandbox_root, name) == [name] and sandbox_root.get_record(info.instance_id).template == name
    assert api.verify_log(info.instance_id, root=sandbox_root) == (True, None)


def test_a_second_node_serves_the_candidate_provisioned_on_the_first(sandbox_root, tmp_path):
    node_a = _sim_app(sandbox_root, SANDBOX_ROOT=str(tmp_path / "node-a"))
    other = _other_node(sandbox_root)
    node_b = _sim_app(other, SANDBOX_ROOT=str(tmp_path / "node-b"))  # no folder in common
    with node_a.app_context():
        info = api.provision("practice", "kandydat-A", 5)
    on_b = Crm(node_b.test_client(), info, other)
    assert "Techbud" in on_b.get("accounts/").get_data(as_text=True)
    edit = {"name": "Zmienione na B", "data_source": "targi", "owner_id": "1"}
    assert on_b.post("accounts/1/edit", edit).status_code == 302
    on_a = Crm(node_a.test_client(), info, sandbox_root)
    assert "Zmienione na B" in on_a.get("accounts/1").get_data(as_text=True)
    viewer_on_b = Crm(node_b.test_client(), info, other, viewer=True)
    assert viewer_on_b.get("accounts/1").status_code == 200
    assert viewer_on_b.post("accounts/1/edit", {"name": "x"}).status_code == 403
    actions = [e["action"] for e in on_a.log()]
    assert "account.updated" in actions and actions[-1] == "write_refused"
    assert api.verify_log(info.instance_id, root=sandbox_root) == (True, None)


def test_reset_and_freeze_from_a_second_node(sim_app, provision, sandbox_root):
    info = provision("kandydat-A", 3)
    crm = Crm(sim_app.test_client(), info, sandbox_root)
    start = crm.sql("SELECT id, name FROM account ORDER BY id")
    crm.post("accounts/1/edit", {"name": "Zmieniona", "data_source": "targi", "owner_id": "1"})
    crm.post("accounts/new", {"name": "Dodana", "data_source": "targi", "owner_id": "1"})
    other = _other_node(sandbox_root)
    api.reset(info.instance_id, actor="operator@osrodek.pl", reason="awaria", root=other)
    assert crm.sql("SELECT id, name FROM account ORDER BY id") == start
    assert crm.log()[-1]["action"] == "instance.reset"
    assert crm.post("accounts/new", {"name": "Po resecie", "data_source": "targi", "owner_id": "1"}).status_code == 302
    assert crm.one("SELECT max(id) FROM account") == start[-1][0] + 1  # the sequences follow the copy
    api.freeze(info.instance_id, root=other)
    assert crm.post("accounts/1/edit", {"name": "Po zamrożeniu"}).status_code == 423
    assert api.verify_log(info.instance_id, root=sandbox_root) == (True, None)
    assert api.evaluate(info.instance_id, root=other).instance_id == info.instance_id


def test_namespaces_do_not_see_each_others_instances(sim_database_url, provision, sandbox_root):
    mine = provision("kandydat-A", 1)
    with postgres_sandboxes(sim_database_url) as elsewhere:
        assert elsewhere.records() == [] and elsewhere.find_by_token(mine.token) is None
        with pytest.raises(UnknownInstance):
            api.timeline(mine.instance_id, root=elsewhere)
        theirs = api.provision("practice", "kandydat-B", 2, root=elsewhere)
        assert [r.id for r in sandbox_root.records()] == [mine.instance_id]
        assert sandbox_root.find_by_token(theirs.token) is None
    assert _schemas(sandbox_root, f"siminst_{theirs.instance_id}") == []  # dropped with its namespace


def test_instance_ids_that_are_not_ours_never_reach_sql(sandbox_root):
    for forged in ('x"; DROP SCHEMA sim_registry CASCADE; --', "../etc", ""):
        with pytest.raises(UnknownInstance):
            api.freeze(forged, root=sandbox_root)
    with pytest.raises(SimulatorError):
        PostgresStore(sandbox_root.url, "zła przestrzeń; DROP")


def test_an_instance_of_an_earlier_schema_moves_to_the_current_tables_when_first_opened(
    sim_app, provision, sandbox_root
):
    """An instance made by an earlier release (its rows in that release's shared tables, lacking a table and a
    column of today's CRM) opens: its rows move to the current tables, its views are made again, nothing of its
    data or log changes, and the upgrade is logged."""
    from simulator import upgrade
    from simulator.crm.base import Base

    store, old, current = sandbox_root, "simdata_earlierrelease0", pgstore.data_schema()
    info = provision("A", 1)
    crm = Crm(sim_app.test_client(), info, store)
    assert (
        crm.post(
            "accounts/new", {"name": "Sprzed aktualizacji sp. z o.o.", "data_source": "targi", "owner_id": "1"}
        ).status_code
        == 302
    )
    accounts, log = crm.sql("SELECT * FROM account ORDER BY id"), api.timeline(info.instance_id, root=store)
    schema = pgstore.instance_schema(info.instance_id)
    try:
        with store.engine.begin() as conn:  # the earlier release's layout, with this instance in it
            conn.exec_driver_sql(pgstore.data_ddl().replace(current, old))
            conn.exec_driver_sql(f'ALTER TABLE "{old}".opportunity DROP COLUMN expected_close')
            conn.exec_driver_sql(f'DROP TABLE "{old}".task_answer')
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            for table in Base.metadata.sorted_tables:
                if table.name == "task_answer":
                    continue
                names = ", ".join(
                    f'"{c.name}"' for c in table.columns if c.name != "expected_close" or table.name != "opportunity"
                )
                conn.exec_driver_sql(
                    f'INSERT INTO "{old}"."{table.name}" (instance_id, {names}) SELECT instance_id, {names} '
                    f'FROM "{current}"."{table.name}" WHERE instance_id = \'{info.instance_id}\''
                )
                conn.exec_driver_sql(
                    f'CREATE VIEW "{schema}"."{table.name}" AS SELECT {names} FROM "{old}"."{table.name}" '
                    f"WHERE instance_id = '{info.instance_id}' WITH CHECK OPTION"
                )
            for table in reversed(Base.metadata.sorted_tables):
                conn.exec_driver_sql(
                    f'DELETE FROM "{current}"."{table.name}" WHERE instance_id = \'{info.instance_id}\''
                )
        upgrade.forget(f"{store.url}#{store.namespace}", info.instance_id)  # as a process that never opened it

        assert crm.get("opportunities/").status_code == 200
        assert crm.sql("SELECT * FROM account ORDER BY id") == accounts
        assert crm.one("SELECT count(*) FROM opportunity WHERE expected_close IS NULL") >= 1
        after = api.timeline(info.instance_id, root=store)
        assert after[: len(log)] == log and after[len(log)]["action"] == "instance.upgraded"
        changes = after[len(log)]["details"]["changes"]
        assert "nowa tabela task_answer" in changes and "nowa kolumna opportunity.expected_close" in changes
        assert api.verify_log(info.instance_id, root=store) == (True, None)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql(f'SELECT count(*) FROM "{old}".account').scalar() == 0
        api.reset(info.instance_id, actor="operator", reason="po aktualizacji", root=store)
        assert crm.get("accounts/").status_code == 200
    finally:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{old}" CASCADE')


_VARIED = {
    "opportunity": "SELECT id, value, expected_close FROM opportunity ORDER BY id",
    "product": "SELECT id, net_price FROM product ORDER BY id",
    "contact": "SELECT id, first_name, last_name, email FROM contact ORDER BY id",
    "settings": "SELECT key, value FROM instance_meta WHERE key NOT IN ('instance_id') ORDER BY key",
}


@pytest.mark.parametrize("scenario_id", ["egzamin-b2b-it", "egzamin-b2c-ubezpieczenia"])
def test_a_schema_instance_gets_the_same_variations_as_a_file_instance_of_the_same_seed(
    scenario_id, sandbox_root, tmp_path
):
    """Schemas write the seed's values as the template's rows are copied; files update them after the copy.

    Both give the same names, amounts, closing dates, prices and task variables, at provision and after a reset.
    """
    on_schema = api.provision(scenario_id, "kandydat-A", 4242, root=sandbox_root)
    in_file = api.provision(scenario_id, "kandydat-A", 4242, root=tmp_path / "files")
    other_seed = api.provision(scenario_id, "kandydat-B", 4243, root=sandbox_root)
    expected = {name: instance_rows(tmp_path / "files", in_file.instance_id, q) for name, q in _VARIED.items()}
    assert {name: instance_rows(sandbox_root, on_schema.instance_id, q) for name, q in _VARIED.items()} == expected
    assert instance_rows(sandbox_root, other_seed.instance_id, _VARIED["opportunity"]) != expected["opportunity"]
    assert instance_rows(sandbox_root, other_seed.instance_id, _VARIED["contact"]) != expected["contact"]

    with sandbox_root.connect(on_schema.instance_id, write=True) as conn:
        conn.execute(text("UPDATE opportunity SET value = 1, expected_close = NULL"))
        conn.execute(text("UPDATE contact SET first_name = 'Zmieniony'"))
    api.reset(on_schema.instance_id, actor="operator", reason="test", root=sandbox_root)
    assert {name: instance_rows(sandbox_root, on_schema.instance_id, q) for name, q in _VARIED.items()} == expected


def test_varied_values_reach_sql_only_as_literals_of_their_own_type(sandbox_root):
    values = [None, 0, -125000, 2**40, date(2026, 2, 28), "Łukasz", "O'Brien \\ '; DROP TABLE x; --", ""]
    with sandbox_root.engine.connect() as conn:
        for value in values:
            assert conn.exec_driver_sql(f"SELECT {pgstore.sql_literal(value)}").scalar() == value
    for refused in ["a\x00b", 1.5, True, b"bytes", ["Anna"]]:
        with pytest.raises(SimulatorError, match="Nieobsługiwana wartość"):
            pgstore.sql_literal(refused)
