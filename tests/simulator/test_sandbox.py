"""Sandboxes: provision from a cached template, per-seed variation, freeze, reset and destroy.

These run on the configured backend (SQLite files, or PostgreSQL schemas with EXAMPLATFORM_TEST_DATABASE_URL);
the ones about files are marked ``sqlite_only`` and have PostgreSQL counterparts in ``test_postgres_store.py``.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from simulator import api, registry, sandbox
from simulator.crm.base import Base
from simulator.errors import InstanceFrozen, SimulatorError, UnknownInstance
from simulator.scenario import load_scenario
from simulator.storage import store_for
from tests.simulator.conftest import instance_rows as _rows


def test_provision_creates_an_instance_and_a_registry_record(provision, sandbox_root):
    info = provision("kandydat-A", 7)
    assert store_for(sandbox_root).exists(info.instance_id)
    assert info.url_path == f"/sim/i/{info.token}/"
    assert info.viewer_url_path == f"/sim/i/{info.viewer_token}/"
    assert info.token != info.viewer_token and len(info.token) == 32
    record = store_for(sandbox_root).get_record(info.instance_id)
    assert (record.scenario, record.candidate_key, record.seed) == ("practice", "kandydat-A", 7)
    assert record.business_date == date(2026, 3, 16) and record.frozen_at is None
    assert record.created_at.tzinfo is not None


@pytest.mark.sqlite_only
def test_registry_stores_only_token_digests(provision, sandbox_root):
    info = provision()
    registry.close_all()  # flush the WAL into the file we read raw
    raw = b"".join(p.read_bytes() for p in sandbox_root.glob("registry.sqlite3*"))
    assert info.token.encode() not in raw and info.viewer_token.encode() not in raw
    assert registry.token_digest(info.token).encode() in raw


def test_instance_knows_its_scenario_seed_and_frozen_business_date(provision, sandbox_root):
    info = provision("k", 3)
    meta = dict(_rows(sandbox_root, info.instance_id, "SELECT key, value FROM instance_meta"))
    assert meta["business_date"] == "2026-03-16"
    assert (meta["seed"], meta["instance_id"], meta["scenario_id"]) == ("3", info.instance_id, "practice")
    first = api.timeline(info.instance_id, root=sandbox_root)[0]
    assert (first["seq"], first["action"], first["actor_kind"]) == (1, "instance.provisioned", "system")


@pytest.mark.sqlite_only
def test_template_is_built_once_and_reused(sandbox_root):
    scenario = load_scenario("practice")
    template = sandbox.build_template(scenario, sandbox_root)
    stamp = template.stat().st_mtime_ns
    api.provision("practice", "a", 1, root=sandbox_root)
    api.provision("practice", "b", 2, root=sandbox_root)
    assert sandbox.build_template(scenario, sandbox_root) == template
    assert template.stat().st_mtime_ns == stamp
    assert len(list((sandbox_root / "templates").glob("*.sqlite3"))) == 1


def test_a_changed_scenario_file_gets_a_new_template(sandbox_root, tmp_path):
    store = store_for(sandbox_root)
    source = load_scenario("practice").path.read_text(encoding="utf-8")
    folder = tmp_path / "bank" / "practice"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(source, encoding="utf-8")
    first = store.build_template(load_scenario("practice", tmp_path / "bank"))
    (folder / "scenario.yaml").write_text(source.replace("business_date: 2026-03-16", "business_date: 2026-03-17"))
    changed = load_scenario("practice", tmp_path / "bank")
    second = store.build_template(changed)
    assert first != second and store.build_template(changed) == second
    assert store.template_scenario(second).business_date == date(2026, 3, 17)
    assert store.template_scenario(first).business_date == date(2026, 3, 16)


def test_same_seed_gives_the_same_instance_and_different_seeds_differ(provision, sandbox_root):
    query = "SELECT value, expected_close FROM opportunity ORDER BY id"
    names = "SELECT first_name, last_name, email FROM contact ORDER BY id"
    a, b, c = provision("a", 11), provision("b", 11), provision("c", 12)
    assert _rows(sandbox_root, a.instance_id, query) == _rows(sandbox_root, b.instance_id, query)
    assert _rows(sandbox_root, a.instance_id, names) == _rows(sandbox_root, b.instance_id, names)
    assert _rows(sandbox_root, a.instance_id, query) != _rows(sandbox_root, c.instance_id, query)
    assert _rows(sandbox_root, a.instance_id, names) != _rows(sandbox_root, c.instance_id, names)


def test_variation_keeps_values_plausible(provision, sandbox_root):
    info = provision("a", 99)
    seed = {o["key"]: o for o in load_scenario("practice").seed["opportunities"]}
    values = [v for (v,) in _rows(sandbox_root, info.instance_id, "SELECT value FROM opportunity ORDER BY id")]
    for grosze, item in zip(values, seed.values(), strict=True):
        assert grosze % 10000 == 0  # rounded to 100 zł
        assert 0.75 * item["value"] * 100 <= grosze <= 1.25 * item["value"] * 100
    kept = _rows(sandbox_root, info.instance_id, "SELECT first_name, last_name FROM contact WHERE id = 3")
    assert kept == [("Anna", "Mazur")]  # named in her company's name, so never varied
    emails = _rows(sandbox_root, info.instance_id, "SELECT first_name, last_name, email FROM contact WHERE id = 1")
    _, _, email = emails[0]
    assert email.endswith("@techbud.pl") and email.isascii()


def test_closing_dates_move_by_at_most_the_rules_days_either_way(provision, sandbox_root):
    """The practice rule shifts expected closing dates by -5 … +5 days; an empty date stays empty."""
    seeded = [o.get("expected_close") for o in load_scenario("practice").seed["opportunities"]]
    shifts = set()
    for seed in range(12):
        info = provision(f"k{seed}", seed)
        rows = _rows(sandbox_root, info.instance_id, "SELECT expected_close FROM opportunity ORDER BY id")
        for (day,), start in zip(rows, seeded, strict=True):
            if start is None:
                assert day is None
                continue
            shifts.add((date.fromisoformat(str(day)) - date.fromisoformat(str(start))).days)
    assert shifts <= set(range(-5, 6))
    assert min(shifts) < 0 < max(shifts) and len(shifts) >= 8  # both ways, most of the range


def test_destroy_removes_the_data_and_the_tokens(sim_app, provision, sandbox_root):
    info = provision()
    client = sim_app.test_client()
    assert client.get(f"/i/{info.token}/").status_code == 200
    api.destroy(info.instance_id, root=sandbox_root)
    assert not store_for(sandbox_root).exists(info.instance_id)
    assert client.get(f"/i/{info.token}/").status_code == 404
    assert client.get(f"/i/{info.viewer_token}/").status_code == 404
    with pytest.raises(UnknownInstance):
        api.destroy(info.instance_id, root=sandbox_root)
    with pytest.raises(UnknownInstance):
        api.timeline(info.instance_id, root=sandbox_root)


def test_reset_restores_the_start_state_and_keeps_the_log(crm):
    start = crm.sql("SELECT * FROM account ORDER BY id")
    start_opps = crm.sql("SELECT id, value, stage_id, status FROM opportunity ORDER BY id")
    crm.post("accounts/1/edit", {"name": "Zmieniona nazwa", "data_source": "targi", "owner_id": "1"})
    crm.post("opportunities/4/move", {"target": "lost", "loss_reason": "cena"})
    assert crm.one("SELECT name FROM account WHERE id = 1") == "Zmieniona nazwa"
    before_reset = crm.log()
    api.reset(crm.info.instance_id, actor="operator@osrodek.pl", reason="awaria przeglądarki", root=crm.root)
    assert crm.sql("SELECT * FROM account ORDER BY id") == start
    assert crm.sql("SELECT id, value, stage_id, status FROM opportunity ORDER BY id") == start_opps
    after = crm.log()
    assert after[: len(before_reset)] == before_reset  # nothing the candidate did is forgotten
    last = after[-1]
    assert (last["action"], last["actor_kind"], last["actor_label"]) == (
        "instance.reset",
        "system",
        "operator@osrodek.pl",
    )
    assert last["details"]["reason"] == "awaria przeglądarki"
    assert api.verify_log(crm.info.instance_id, root=crm.root) == (True, None)
    assert crm.get("accounts/1").status_code == 200


@pytest.mark.parametrize("scenario_id", ["practice", "egzamin-b2b-it", "egzamin-b2c-ubezpieczenia"])
def test_reset_rebuilds_exactly_the_provisioned_instance(sandbox_root, scenario_id):
    """Provision (the file store varies the template on a bare sqlite3 connection) and reset (a SQLAlchemy
    connection on the file) run the same statements; on PostgreSQL both go through SQLAlchemy. Every table but
    the log must come out the same."""
    info = api.provision(scenario_id, "kandydat-R", 20261127, root=sandbox_root)
    tables = [t.name for t in Base.metadata.sorted_tables if t.name != "action_log"]

    def state():
        return {name: _rows(sandbox_root, info.instance_id, f'SELECT * FROM "{name}" ORDER BY 1') for name in tables}

    provisioned = state()
    assert provisioned["opportunity"] and provisioned["instance_meta"]
    api.reset(info.instance_id, actor="operator@osrodek.pl", reason="sprawdzenie", root=sandbox_root)
    assert state() == provisioned


@pytest.mark.sqlite_only
@pytest.mark.parametrize("scenario_id", ["practice", "egzamin-b2c-ubezpieczenia"])
def test_an_instance_does_not_depend_on_the_instances_provisioned_before_it(sandbox_root, scenario_id):
    """The file store varies the last instance in place (its workbench) instead of reloading the template: every
    row of an instance, its log entry included, must be what a workbench fresh from the template gives."""
    scenario = load_scenario(scenario_id)
    template = sandbox.build_template(scenario, sandbox_root)
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def rows(image: bytes) -> dict[str, list]:
        conn = sqlite3.connect(":memory:")
        conn.deserialize(image)
        return {
            t.name: conn.execute(f'SELECT * FROM "{t.name}" ORDER BY 1').fetchall() for t in Base.metadata.sorted_tables
        }

    sandbox._workbench.discard(template)
    fresh = rows(sandbox._instance_bytes(template, scenario, 42, "a" * 16, now))
    for seed in (1, 2, 3):  # other candidates' instances, varied in the same connection
        sandbox._instance_bytes(template, scenario, seed, f"{seed:016d}", now)
    assert rows(sandbox._instance_bytes(template, scenario, 42, "a" * 16, now)) == fresh
    assert fresh["action_log"] and [r[0] for r in fresh["action_log"]] == [1]  # one entry, the first of the chain


@pytest.mark.sqlite_only
def test_a_failed_provision_leaves_no_half_varied_start_for_the_next(sandbox_root, monkeypatch):
    scenario = load_scenario("practice")
    template = sandbox.build_template(scenario, sandbox_root)
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    sandbox._workbench.discard(template)
    expected = sandbox._instance_bytes(template, scenario, 5, "b" * 16, now)

    def broken(*args, **kwargs):
        raise RuntimeError("dysk pełny")

    monkeypatch.setattr(sandbox.tasks, "write_meta", broken)  # after the variations ran on the connection
    with pytest.raises(RuntimeError):
        sandbox._instance_bytes(template, scenario, 9, "c" * 16, now)
    monkeypatch.undo()
    assert sandbox._instance_bytes(template, scenario, 5, "b" * 16, now) == expected


def test_reset_needs_a_reason_and_an_actor(provision, sandbox_root):
    info = provision()
    with pytest.raises(SimulatorError, match="powód"):
        api.reset(info.instance_id, actor="operator", reason="  ", root=sandbox_root)
    with pytest.raises(SimulatorError, match="kto"):
        api.reset(info.instance_id, actor="", reason="awaria", root=sandbox_root)


def test_the_deadline_survives_a_reset_stops_late_writes_and_cannot_be_set_once_frozen(crm):
    """Before the deadline the candidate writes; a reset keeps it (the time goes on); after it the first write
    freezes the instance and is refused with 423; a frozen instance takes no new deadline."""
    instance_id, root = crm.info.instance_id, crm.root
    soon = datetime.now(UTC) + timedelta(hours=1)
    api.set_deadline(instance_id, soon.replace(tzinfo=None), root=root)  # naive means UTC
    assert (
        crm.post("accounts/1/edit", {"name": "Przed terminem", "data_source": "targi", "owner_id": "1"}).status_code
        == 302
    )
    api.reset(instance_id, actor="operator", reason="awaria", root=root)
    assert crm.one("SELECT value FROM instance_meta WHERE key = 'deadline'") == soon.isoformat()
    api.set_deadline(instance_id, datetime.now(UTC) - timedelta(seconds=1), root=root)
    late = crm.post("accounts/1/edit", {"name": "Po terminie", "data_source": "targi", "owner_id": "1"})
    assert late.status_code == 423 and store_for(root).get_record(instance_id).frozen
    assert crm.one("SELECT name FROM account WHERE id = 1") != "Po terminie"
    assert [e["action"] for e in crm.log()[-2:]] == ["instance.frozen", "write_refused"]
    with pytest.raises(InstanceFrozen):
        api.set_deadline(instance_id, soon, root=root)
    assert api.verify_log(instance_id, root=root) == (True, None)


def test_frozen_instance_cannot_be_reset(provision, sandbox_root):
    info = provision()
    api.freeze(info.instance_id, root=sandbox_root)
    with pytest.raises(InstanceFrozen):
        api.reset(info.instance_id, actor="operator", reason="prośba", root=sandbox_root)


def test_freeze_is_idempotent_and_logged_once(provision, sandbox_root):
    info = provision()
    first = api.freeze(info.instance_id, root=sandbox_root)
    assert api.freeze(info.instance_id, root=sandbox_root) == first
    frozen = [e for e in api.timeline(info.instance_id, root=sandbox_root) if e["action"] == "instance.frozen"]
    assert len(frozen) == 1


def test_unknown_instance_and_bad_arguments_are_refused(sandbox_root):
    with pytest.raises(UnknownInstance):
        api.freeze("nie-ma-takiej", root=sandbox_root)
    with pytest.raises(SimulatorError):
        api.provision("practice", "", 1, root=sandbox_root)
    with pytest.raises(SimulatorError):
        api.provision("practice", "k", "1", root=sandbox_root)  # type: ignore[arg-type]
    with pytest.raises(api.ContentError):
        api.provision("nie-ma-scenariusza", "k", 1, root=sandbox_root)
    with pytest.raises(api.ContentError):
        api.provision("../../etc", "k", 1, root=sandbox_root)
    assert store_for(sandbox_root).records() == []  # no half-made instance
    if store_for(sandbox_root).kind == "sqlite":
        assert [p.name for p in sandbox_root.glob("*.sqlite3")] == ["registry.sqlite3"]


def test_root_defaults_to_the_sim_app_config(sim_app, sandbox_root):
    with sim_app.app_context():
        info = api.provision("practice", "k", 1)
    assert store_for(sandbox_root).get_record(info.instance_id).candidate_key == "k"


@pytest.mark.sqlite_only
def test_an_instance_file_of_an_earlier_schema_is_brought_up_to_date_when_first_opened(crm):
    """A file made by an earlier release lacks a table and a column of today's CRM: the first open adds them
    (and to its template, so a reset still works); its data and log stay as they were; the change is logged."""
    import sqlite3

    from simulator import upgrade

    accounts, log = crm.sql("SELECT * FROM account ORDER BY id"), crm.log()
    record = store_for(crm.root).get_record(crm.info.instance_id)
    for path in (sandbox.instance_path(crm.root, record.id), crm.root / "templates" / record.template):
        with sqlite3.connect(path) as db:  # as the earlier release made them
            db.execute("ALTER TABLE opportunity DROP COLUMN expected_close")
            db.execute("DROP TABLE task_answer")
    upgrade.forget(str(crm.root), record.id)  # as a process that never opened it

    assert crm.get("opportunities/").status_code == 200
    assert crm.sql("SELECT * FROM account ORDER BY id") == accounts
    after = crm.log()
    assert after[: len(log)] == log and after[len(log)]["action"] == "instance.upgraded"
    assert set(after[len(log)]["details"]["changes"]) == {
        "nowa tabela task_answer",
        "nowa kolumna opportunity.expected_close",
    }
    assert api.verify_log(record.id, root=crm.root) == (True, None)
    assert crm.post("zadania", {"task": "odczyt-wartosci", "negocjacje": "1"}).status_code in (302, 400)
    api.reset(record.id, actor="operator", reason="po aktualizacji", root=crm.root)  # the template was brought up too
    assert crm.get("opportunities/").status_code == 200
    assert len([e for e in crm.log() if e["action"] == "instance.upgraded"]) == 1
