"""The action log: every change with before/after, reads of personal data, refusals; hash-chained per instance."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from simulator import api
from simulator.actionlog import SYSTEM, Actor
from simulator.crm.services.common import Ctx, record
from simulator.storage import store_for
from tests.simulator.conftest import instance_write


def _work(crm) -> None:
    crm.post("accounts/new", {"name": "Firma z dziennika", "data_source": "targi", "owner_id": "1"})
    crm.post("accounts/1/edit", {"name": "Techbud S.A.", "data_source": "targi", "owner_id": "1", "nip": "7794630539"})
    crm.get("contacts/1")
    crm.post("accounts/new", {"name": "", "data_source": "targi", "owner_id": "1"})
    crm.post("opportunities/1/move", {"target": "lost", "loss_reason": "cena"})


def test_changes_are_logged_with_before_and_after(crm):
    _work(crm)
    actions = [e["action"] for e in crm.log()]
    assert actions == [
        "instance.provisioned",
        "account.created",
        "account.updated",
        "contact.personal_data_read",
        "validation_error",
        "opportunity.lost",
    ]
    created, updated = crm.log("account.created")[0], crm.log("account.updated")[0]
    assert created["after"]["name"] == "Firma z dziennika" and created["before"] == {}
    assert updated["before"] == {"name": "Techbud sp. z o.o."} and updated["after"] == {"name": "Techbud S.A."}
    assert updated["account_id"] == 1 and updated["actor_kind"] == "candidate"
    lost = crm.log("opportunity.lost")[0]
    assert lost["before"]["status"] == "otwarta" and lost["details"]["via"] == "tablica"


def test_log_time_is_the_real_clock_not_the_business_date(crm):
    crm.get("contacts/1")
    moment = datetime.fromisoformat(crm.log()[-1]["occurred_at"])
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=1)
    assert "16.03.2026" in crm.get("").get_data(as_text=True)  # the UI shows the frozen business date


def test_chain_verifies_and_detects_tampering(crm):
    _work(crm)
    instance_id = crm.info.instance_id
    assert api.verify_log(instance_id, root=crm.root) == (True, None)
    instance_write(crm.root, instance_id, "UPDATE action_log SET summary = 'nic się nie stało' WHERE seq = 3")
    assert api.verify_log(instance_id, root=crm.root) == (False, 3)


@pytest.mark.parametrize(
    ("tamper", "broken"),
    [
        ("DELETE FROM action_log WHERE seq = 2", 2),
        ("UPDATE action_log SET actor_kind = 'system' WHERE seq = 4", 4),
        ("UPDATE action_log SET after = '{}' WHERE seq = 2", 2),
        ("UPDATE action_log SET occurred_at = '2020-01-01T00:00:00.000000+00:00' WHERE seq = 5", 5),
        ("UPDATE action_log SET entry_hash = prev_hash WHERE seq = 1", 1),
    ],
)
def test_any_change_to_a_stored_entry_breaks_the_chain(crm, tamper, broken):
    _work(crm)
    instance_write(crm.root, crm.info.instance_id, tamper)
    assert api.verify_log(crm.info.instance_id, root=crm.root) == (False, broken)


def test_timeline_since_seq_returns_only_newer_entries(crm):
    _work(crm)
    everything = api.timeline(crm.info.instance_id, root=crm.root)
    newer = api.timeline(crm.info.instance_id, since_seq=3, root=crm.root)
    assert [e["seq"] for e in newer] == [e["seq"] for e in everything if e["seq"] > 3]
    assert all(len(e["entry_hash"]) == 64 for e in newer)
    assert newer[0]["prev_hash"] == everything[2]["entry_hash"]


def test_account_timeline_shows_every_event_about_the_company(crm):
    crm.post("accounts/1/edit", {"name": "Techbud S.A.", "data_source": "targi", "owner_id": "1"})
    crm.get("contacts/1")
    crm.post("activities/2/complete")
    crm.post("opportunities/1/move", {"target": "lost", "loss_reason": "termin"})
    page = crm.get("accounts/1/timeline").get_data(as_text=True)
    for phrase in ("Zmieniono dane firmy", "Odczyt danych osobowych", "Zakończono działanie", "jako przegraną"):
        assert phrase in page, phrase
    assert "Odczyt danych osobowych" not in crm.get("accounts/2/timeline").get_data(as_text=True)


def test_two_writers_at_once_never_fork_the_chain(crm):
    """A system writer (raw connection) and request writers (ORM sessions) append at the same moment: the
    instance's write lock (BEGIN IMMEDIATE on SQLite, the advisory lock on PostgreSQL) serialises them."""
    store, instance_id = store_for(crm.root), crm.info.instance_id
    start = len(crm.log())
    errors: list[Exception] = []
    barrier = threading.Barrier(3)

    def system_writer():
        barrier.wait()
        for i in range(12):
            store.append_system_entry(instance_id, actor=SYSTEM, action="test.system", summary=f"system {i}")

    def request_writer(label: str):
        barrier.wait()
        for i in range(12):
            session = store.open_session(instance_id)
            try:
                ctx = Ctx(session, Actor("candidate", label), now=datetime.now(UTC), business_date=date(2026, 3, 16))
                record(ctx, "test.request", summary=f"{label} {i}")
                session.commit()
            finally:
                session.close()

    def guarded(target, *args):
        try:
            target(*args)
        except Exception as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=guarded, args=(system_writer,)),
        threading.Thread(target=guarded, args=(request_writer, "kandydat-1")),
        threading.Thread(target=guarded, args=(request_writer, "kandydat-2")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = crm.log()
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1)) and len(entries) == start + 36
    assert api.verify_log(instance_id, root=crm.root) == (True, None)


def test_the_read_only_connection_refuses_writes(crm):
    with (
        pytest.raises(DBAPIError),
        store_for(crm.root).connect(crm.info.instance_id) as conn,
    ):
        conn.execute(text("UPDATE account SET name = 'x' WHERE id = 1"))
    assert crm.one("SELECT name FROM account WHERE id = 1") != "x"
