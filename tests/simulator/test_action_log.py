"""The action log: every change with before/after, reads of personal data, refusals; hash-chained per instance."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from simulator import api
from simulator.actionlog import SYSTEM, Actor
from simulator.crm.services.common import Ctx, record
from simulator.storage import store_for
from tests.simulator.conftest import Crm, instance_write, text_of

ACTIVITY = {
    "type": "telefon",
    "subject": "Telefon w sprawie oferty",
    "due_date": "2026-03-18",
    "priority": "wysoki",
    "status": "w_toku",
    "percent_complete": "40",
    "owner_id": "1",
}
OFFER = {
    "template_id": "1",
    "opportunity_id": "1",
    "contact_id": "1",
    "valid_until": "2026-04-15",
    "items-0-product_id": "2",
    "items-0-quantity": "1",
}


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


def _timeline_seqs(page: str) -> list[int]:
    return [int(seq) for seq in re.findall(r'data-seq="(\d+)"', page)]


def _consent(crm, contact_id, source: str) -> None:
    data = {"purpose_id": "1", "channel": "email", "source": source}
    assert crm.post(f"contacts/{contact_id}/consents", data).status_code == 302


def _name(crm, contact_id) -> str:
    return " ".join(crm.sql("SELECT first_name, last_name FROM contact WHERE id = :id", {"id": contact_id})[0])


def test_contact_timeline_shows_every_event_about_the_person_newest_first(crm):
    crm.get("contacts/1")
    _consent(crm, 1, "rozmowa")
    assert crm.post("activities/new", {**ACTIVITY, "contact_id": "1"}).status_code == 302
    crm.post("opportunities/1/move", {"target": "lost", "loss_reason": "termin"})
    mine = [e["seq"] for e in crm.log()]
    crm.get("contacts/2")  # another person of the same company
    _consent(crm, 2, "formularz")
    theirs = [e["seq"] for e in crm.log() if e["seq"] > mine[-1]]
    page = crm.get("contacts/1/timeline").get_data(as_text=True)
    name, other = _name(crm, 1), _name(crm, 2)
    for phrase in (f"Odczyt danych osobowych: {name}", f"Zgoda: {name}", "Dodano działanie", "jako przegraną"):
        assert phrase in page, phrase
    seqs = _timeline_seqs(page)
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == len(set(seqs))  # newest first, each once
    assert set(mine[1:]) == set(seqs)  # everything after provisioning was about this person
    assert not set(theirs) & set(seqs) and other not in page
    assert f'href="/i/{crm.token}/opportunities/1"' in page  # each event links to its record
    assert f'href="/i/{crm.token}/contacts/1/rodo"' in page  # a consent: the person's RODO page
    # a read is logged when the page shows a protected value (PESEL, birth date, e-mail, phone); none appears here
    assert [r for r in crm.log("contact.personal_data_read") if r["details"]["view"] == "historia zdarzeń osoby"] == []
    assert f'href="/i/{crm.token}/contacts/1/timeline"' in crm.get("contacts/1").get_data(as_text=True)


def test_contact_timeline_of_a_person_without_a_company(crm):
    person = {"first_name": "Bożena", "last_name": "Klientka", "data_source": "polecenie"}
    assert crm.post("contacts/new", person).status_code == 302
    contact_id = crm.one("SELECT id FROM contact WHERE last_name = 'Klientka'")
    _consent(crm, contact_id, "sklep")
    task = {**ACTIVITY, "subject": "Oddzwonić do klientki", "contact_id": str(contact_id)}
    assert crm.post("activities/new", task).status_code == 302
    assert crm.post("rodo/requests/new", {"contact_id": str(contact_id), "kind": "dostep"}).status_code == 302
    segment = {"name": "Klienci indywidualni", "kind": "statyczny", "entity": "osoba"}
    assert crm.post("segments/new", segment).status_code == 302
    segment_id = crm.one("SELECT max(id) FROM segment")
    assert crm.post(f"segments/{segment_id}/members", {"record_id": str(contact_id)}).status_code == 302
    _consent(crm, 1, "inna osoba")
    events = [e for e in crm.log()[1:-1] if e["action"] != "segment.created"]
    assert len(events) == 5 and all(e["account_id"] is None for e in events)  # B2C: on no company's timeline
    page = text_of(crm.get(f"contacts/{contact_id}/timeline"))
    for phrase in (
        "Dodano osobę Bożena Klientka",
        "Zgoda: Bożena",
        "Oddzwonić do klientki",
        "Zarejestrowano żądanie",
        "do listy „Klienci indywidualni”",
    ):
        assert phrase in page, phrase
    assert "inna osoba" not in page and _name(crm, 1) not in page


def _entry_naming_the_address(crm) -> str:
    """Send an offer to person 1, then add the kind of entry an earlier version wrote for it: the address in the
    summary (entries are never rewritten, so such values stay in a log). Return the address."""
    assert crm.post("offers/new", OFFER).status_code == 302
    offer_id = crm.one("SELECT max(id) FROM offer")
    assert crm.post(f"offers/{offer_id}/send").status_code == 302
    email = crm.one("SELECT email FROM contact WHERE id = 1")
    api_store = store_for(crm.root)
    with api_store.connect(crm.info.instance_id, write=True) as conn:
        from simulator import actionlog

        actionlog.append_raw(
            conn,
            now=datetime.now(UTC),
            actor=Actor("candidate", "kandydat"),
            action="offer.sent",
            entity_type="offer",
            entity_id=offer_id,
            account_id=1,
            summary=f"Wysłano ofertę na adres {email}",
        )
    return email


def test_contact_timeline_hides_personal_data_the_role_may_not_see(crm):
    email = _entry_naming_the_address(crm)
    assert email in crm.get("contacts/1/timeline").get_data(as_text=True)  # the candidate works as an admin
    assert crm.log("contact.personal_data_read")[-1]["details"]["fields"] == ["e-mail"]
    assert crm.post("users/roles/fields", {"role_id": "1", "fields": ["pesel", "phone"]}).status_code == 302
    reads = len(crm.log("contact.personal_data_read"))
    page = crm.get("contacts/1/timeline").get_data(as_text=True)
    assert email not in page and "Wysłano ofertę" in page and "ukryte – brak uprawnień roli" in page
    assert len(crm.log("contact.personal_data_read")) == reads  # hidden, so nothing was read
    assert api.verify_log(crm.info.instance_id, root=crm.root) == (True, None)


def test_commission_opens_a_contact_timeline_read_only(crm):
    _consent(crm, 1, "rozmowa")
    email = _entry_naming_the_address(crm)
    viewer = Crm(crm.client, crm.info, crm.root, viewer=True)
    response = viewer.get("contacts/1/timeline")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Zgoda: {_name(crm, 1)}" in html and 'method="post"' not in html
    read = crm.log("contact.personal_data_read")[-1]
    assert read["actor_kind"] == "commission" and read["details"]["view"] == "historia zdarzeń osoby"
    assert email in html and read["details"]["fields"] == ["e-mail"]
    assert viewer.post("contacts/1/timeline").status_code == 405


def test_timeline_of_an_unknown_contact_is_not_found(crm):
    response = crm.get("contacts/99999/timeline")
    assert response.status_code == 404 and "Nie znaleziono" in response.get_data(as_text=True)
    assert not crm.log("contact.personal_data_read")


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
