"""RODO: consents given and withdrawn as easily, request deadlines, erasure as anonymisation, access export."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from simulator import api
from simulator.crm.services.rodo_deadlines import add_months, request_deadline
from tests.simulator.conftest import text_of

ANNA, EWA, JOANNA = 3, 6, 5


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (date(2026, 3, 16), date(2026, 4, 16)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 12, 15), date(2027, 1, 15)),
        (date(2026, 2, 28), date(2026, 3, 28)),
    ],
)
def test_deadline_is_one_month_same_day_or_last_day_of_month(received, deadline):
    assert request_deadline(received) == deadline
    assert add_months(received, 1) == deadline


def test_request_deadline_counts_from_the_business_date(crm):
    assert crm.post("rodo/requests/new", {"contact_id": str(JOANNA), "kind": "sprzeciw"}).status_code == 302
    assert crm.sql("SELECT received_on, deadline FROM subject_request ORDER BY id DESC LIMIT 1") == [
        ("2026-03-16", "2026-04-16")
    ]
    page = text_of(crm.get("rodo/requests/2"))
    assert "16.04.2026" in page and "pozostało dni: 31" in page
    entry = crm.log("dsr.created")[-1]
    assert entry["after"]["deadline"] == "2026-04-16"


def test_request_received_in_the_future_is_refused(crm):
    response = crm.post("rodo/requests/new", {"contact_id": "1", "kind": "dostep", "received_on": "2026-03-17"})
    assert "nie może być późniejsza" in text_of(response)
    assert crm.one("SELECT count(*) FROM subject_request") == 1


def test_seeded_request_shows_days_left(crm):
    page = text_of(crm.get("rodo/"))
    assert "02.04.2026" in page  # received 2 March
    assert "art. 6 ust. 1 lit. c" in page and "5 lat" in page


def test_consent_give_and_withdraw_are_equally_easy_and_logged(crm):
    data = {"purpose_id": "1", "channel": "telefon", "source": "rozmowa telefoniczna"}
    assert crm.post(f"contacts/{JOANNA}/consents", data).status_code == 302
    consent_id = crm.one("SELECT max(id) FROM consent")
    assert crm.sql("SELECT channel, given_on, withdrawn_on FROM consent WHERE id = :id", {"id": consent_id}) == [
        ("telefon", "2026-03-16", None)
    ]
    assert crm.post(f"consents/{consent_id}/withdraw").status_code == 302  # one click, nothing to fill in
    assert crm.one("SELECT withdrawn_on FROM consent WHERE id = :id", {"id": consent_id}) == "2026-03-16"
    assert [e["action"] for e in crm.log() if e["action"].startswith("consent.")] == [
        "consent.given",
        "consent.withdrawn",
    ]
    assert crm.post(f"contacts/{JOANNA}/consents", data).status_code == 302  # may be given again (new record)
    assert crm.one("SELECT count(*) FROM consent WHERE contact_id = :id AND channel = 'telefon'", {"id": JOANNA}) == 2


def test_a_second_active_consent_for_the_same_purpose_and_channel_is_refused(crm):
    data = {"purpose_id": "1", "channel": "email", "source": "formularz"}
    response = crm.post(f"contacts/{ANNA}/consents", data, follow_redirects=True)
    assert "ma już aktywną zgodę" in text_of(response)
    assert crm.post(f"contacts/{ANNA}/consents", {"purpose_id": "1", "channel": "email"}).status_code == 302
    assert len(crm.log("validation_error")) == 2


def test_access_export_has_all_of_the_persons_data_and_nothing_of_others(crm):
    response = crm.get(f"contacts/{ANNA}/export.json")
    assert response.headers["Content-Disposition"] == 'attachment; filename="dane-osoby-3.json"'
    data = json.loads(response.get_data(as_text=True))
    anna = crm.sql("SELECT first_name, last_name, email, phone, pesel FROM contact WHERE id = :id", {"id": ANNA})[0]
    assert [data["osoba"][k] for k in ("imie", "nazwisko", "email", "telefon", "pesel")] == list(anna)
    assert data["osoba"]["data_urodzenia"] == "1979-05-14"
    assert len(data["zgody"]) == 2 and data["firma"] == "Piekarnia Złoty Kłos Anna Mazur"
    assert [a["temat"] for a in data["dzialania"]] == ["Przedstawić ofertę licencji dla małych firm"]
    assert data["zrodlo_danych"]["zrodlo"] == "Rejestr publiczny – CEIDG"
    text = json.dumps(data, ensure_ascii=False)
    for first, last, email, phone, pesel in crm.sql(
        "SELECT first_name, last_name, email, phone, coalesce(pesel, '') FROM contact WHERE id != :id", {"id": ANNA}
    ):
        assert all(value not in text for value in (email, phone, pesel) if value)
        assert f"{first} {last}" not in text
    rows = list(
        csv.reader(
            io.StringIO(crm.get(f"contacts/{ANNA}/export.csv").get_data(as_text=True).lstrip("\ufeff")), delimiter=";"
        )
    )
    assert rows[0] == ["sekcja", "nr", "pole", "wartość"] and ["osoba", "", "pesel", anna[4]] in rows
    exports = crm.log("rodo.access_export")
    assert [e["details"]["format"] for e in exports] == ["json", "csv"]


def test_erasure_anonymises_the_person_and_keeps_retained_records(crm):
    # Agnieszka (mleczarnia) is the contact of a won opportunity: the contract must be kept for 5 years
    contact_id = crm.one("SELECT contact_id FROM opportunity WHERE status = 'wygrana'")
    email = crm.one("SELECT email FROM contact WHERE id = :id", {"id": contact_id})
    crm.post("rodo/requests/new", {"contact_id": str(contact_id), "kind": "usuniecie"})
    request_id = crm.one("SELECT max(id) FROM subject_request")
    response = crm.post(
        f"rodo/requests/{request_id}/complete", {"resolution": "Dane zanonimizowano."}, follow_redirects=True
    )
    assert "zanonimizowano" in text_of(response)
    assert crm.sql(
        "SELECT first_name, last_name, email, phone, pesel, birth_date FROM contact WHERE id = :id", {"id": contact_id}
    ) == [("Osoba", f"zanonimizowana nr {contact_id}", "", "", None, None)]
    assert (
        crm.one("SELECT count(*) FROM opportunity WHERE contact_id = :id AND status = 'wygrana'", {"id": contact_id})
        == 1
    )
    entry = crm.log("contact.anonymised")[-1]
    assert any("5 lat" in item for item in entry["details"]["retained"])
    assert email not in json.dumps(entry, ensure_ascii=False)
    assert crm.one("SELECT status, completed_on FROM subject_request WHERE id = :id", {"id": request_id}) == (
        "zrealizowane",
        "2026-03-16",
    )
    second = crm.post(f"rodo/requests/{request_id}/complete", {"resolution": "jeszcze raz"}, follow_redirects=True)
    assert "już zamknięte" in text_of(second)


def test_objection_withdraws_marketing_consents(crm):
    crm.post("rodo/requests/new", {"contact_id": str(ANNA), "kind": "sprzeciw"})
    request_id = crm.one("SELECT max(id) FROM subject_request")
    crm.post(f"rodo/requests/{request_id}/complete", {"resolution": "Sprzeciw uwzględniony."})
    assert crm.one("SELECT count(*) FROM consent WHERE contact_id = :id AND withdrawn_on IS NULL", {"id": ANNA}) == 0
    assert {e["after"]["withdrawal_source"] for e in crm.log("consent.withdrawn")} == {
        "sprzeciw wobec marketingu (art. 21)"
    }


def test_completing_a_request_needs_a_note(crm):
    response = crm.post("rodo/requests/1/complete", {"resolution": ""}, follow_redirects=True)
    assert "Opisz, jak zrealizowano żądanie" in text_of(response)
    assert crm.one("SELECT status FROM subject_request WHERE id = 1") == "otwarte"


def test_field_permissions_hide_pesel_from_handlowiec(crm):
    piotr = crm.one("SELECT id FROM crm_user WHERE key = 'pwojcik'")
    page = crm.get(f"contacts/{ANNA}?as_user={piotr}").get_data(as_text=True)
    pesel = crm.one("SELECT pesel FROM contact WHERE id = :id", {"id": ANNA})
    assert pesel not in page and 'data-testid="hidden-pesel"' in page
    read = crm.log("contact.personal_data_read")[-1]
    assert "PESEL" not in read["details"]["fields"] and "PESEL" in read["details"]["hidden"]
    assert read["details"]["role"] == "Handlowiec"
    admin_page = crm.get(f"contacts/{ANNA}").get_data(as_text=True)
    assert pesel in admin_page  # the candidate works as "Administrator CRM"


def test_role_permissions_are_editable_and_apply_to_the_edit_form(crm):
    piotr = crm.one("SELECT id FROM crm_user WHERE key = 'pwojcik'")
    assert crm.post(f"users/{piotr}/role", {"role_id": "1"}).status_code == 302  # Piotr administers too
    assert crm.post("users/1/role", {"role_id": "3"}).status_code == 302  # the candidate becomes a Handlowiec
    pesel = crm.one("SELECT pesel FROM contact WHERE id = :id", {"id": ANNA})
    assert pesel not in crm.get(f"contacts/{ANNA}").get_data(as_text=True)
    form = crm.get(f"contacts/{ANNA}/edit").get_data(as_text=True)
    assert pesel not in form and "ukryte – brak uprawnień roli" in form
    contact = crm.sql("SELECT first_name, last_name, data_source FROM contact WHERE id = :id", {"id": ANNA})[0]
    data = {"first_name": contact[0], "last_name": contact[1], "data_source": contact[2], "position": "Prezes"}
    assert crm.post(f"contacts/{ANNA}/edit", data).status_code == 302
    assert crm.one("SELECT pesel FROM contact WHERE id = :id", {"id": ANNA}) == pesel  # a hidden field is never erased
    crm.act_as("pwojcik")  # an administrator changes what the Handlowiec role sees
    assert crm.post("users/roles/fields", {"role_id": "3", "fields": ["pesel", "email"]}).status_code == 302
    crm.act_as("ja")
    assert pesel in crm.get(f"contacts/{ANNA}").get_data(as_text=True)
    assert crm.log("role.permissions_changed")[-1]["after"] == {"visible_fields": ["email", "pesel"]}
    assert crm.log("user.role_changed")[-1]["after"] == {"role": "Handlowiec"}


def test_the_last_user_administrator_cannot_lose_the_permission(crm):
    response = crm.post("users/1/role", {"role_id": "3"}, follow_redirects=True)
    assert "jedynym użytkownikiem" in text_of(response)
    assert crm.one("SELECT role_id FROM crm_user WHERE key = 'ja'") == 1
    assert "jedynym użytkownikiem" in crm.log("validation_error")[-1]["summary"]


def test_after_erasure_the_crm_timelines_no_longer_show_the_person(crm):
    """The log keeps what happened (it is the exam's evidence), but the company's and the person's timelines
    show "[dane zanonimizowane]" where the former name or personal data stood, for every role."""
    contact_id = crm.one("SELECT contact_id FROM opportunity WHERE status = 'wygrana'")
    first, last, account_id = crm.sql(
        "SELECT first_name, last_name, account_id FROM contact WHERE id = :id", {"id": contact_id}
    )[0]
    crm.get(f"contacts/{contact_id}")  # a read naming the person
    crm.post("rodo/requests/new", {"contact_id": str(contact_id), "kind": "usuniecie"})
    assert f"{first} {last}" in text_of(crm.get(f"accounts/{account_id}/timeline"))
    request_id = crm.one("SELECT max(id) FROM subject_request")
    crm.post(f"rodo/requests/{request_id}/complete", {"resolution": "Dane zanonimizowano."})
    for page in (f"accounts/{account_id}/timeline", f"contacts/{contact_id}/timeline"):
        shown = text_of(crm.get(page))
        assert f"{first} {last}" not in shown and "[dane zanonimizowane]" in shown, page
        assert f"Zanonimizowano dane osoby nr {contact_id}" in shown
    assert any(f"{first} {last}" in e["summary"] for e in crm.log())  # the evidence itself is unchanged
    assert api.verify_log(crm.info.instance_id, root=crm.root) == (True, None)


# --- a sole trader's company holds its owner's PESEL ------------------------------------------------------------

PIEKARNIA = 2  # Anna Mazur's own business (jednoosobowa działalność gospodarcza), recorded with her PESEL


def test_access_export_names_the_persons_own_business_and_nobody_elses(crm):
    data = json.loads(crm.get(f"contacts/{ANNA}/export.json").get_data(as_text=True))
    assert data["dzialalnosc_gospodarcza"] == [
        {
            "firma": "Piekarnia Złoty Kłos Anna Mazur",
            "forma_prawna": "jednoosobowa działalność gospodarcza (CEIDG)",
            "nip": "9462857604",
            "regon": "438366816",
            "pesel": "79051498720",
            "email": "kontakt@zlotyklos.pl",  # a sole trader's company e-mail and phone are the owner's data too
            "telefon": "+48815324410",
        }
    ]
    other = json.loads(crm.get(f"contacts/{EWA}/export.json").get_data(as_text=True))
    assert other["dzialalnosc_gospodarcza"] == []  # a partner of a civil partnership: no business of her own here


def test_access_export_of_a_sole_trader_is_refused_to_a_role_without_pesel(crm):
    crm.act_as("mzielinska")  # Kierownik sprzedaży sees birth dates, e-mails and phones, but no PESEL
    response = crm.get(f"contacts/{ANNA}/export.json")
    assert response.status_code == 403 and "79051498720" not in response.get_data(as_text=True)
    assert not crm.log("rodo.access_export")


def test_erasure_removes_the_persons_pesel_email_and_phone_from_their_own_business(crm):
    crm.post("rodo/requests/new", {"contact_id": str(ANNA), "kind": "usuniecie"})
    request_id = crm.one("SELECT max(id) FROM subject_request")
    assert crm.post(f"rodo/requests/{request_id}/complete", {"resolution": "Dane usunięto."}).status_code == 302
    assert crm.sql("SELECT legal_form, pesel, email, phone, nip FROM account WHERE id = :id", {"id": PIEKARNIA}) == [
        ("jdg", None, "", "", "9462857604")  # the business stays (its public register data), without the owner's data
    ]
    removed = crm.log("account.personal_data_removed")
    assert [(e["entity_id"], e["before"]) for e in removed] == [
        (PIEKARNIA, {"fields_removed": ["pesel", "email", "phone"]})
    ]
    assert "PESEL, e-mail, telefon" in removed[0]["summary"]
    logged = json.dumps(removed + crm.log("contact.anonymised"))
    assert all(value not in logged for value in ("79051498720", "kontakt@zlotyklos.pl", "815324410"))


def test_after_erasure_the_sole_traders_timeline_no_longer_shows_its_removed_email_or_phone(crm):
    form = {"name": "Piekarnia Złoty Kłos Anna Mazur", "legal_form": "jdg", "data_source": "ceidg", "owner_id": "1"}
    form |= {"email": "biuro@zlotyklos.pl", "phone": "81 532 44 11"}  # a change logs the former and new values
    assert crm.post(f"accounts/{PIEKARNIA}/edit", form).status_code == 302
    subject = "Napisać na biuro@zlotyklos.pl albo zadzwonić: 81 532 44 11"
    activity = {"type": "zadanie", "subject": subject, "due_date": "2026-03-18", "priority": "normalny"}
    activity |= {"status": "nierozpoczete", "percent_complete": "0", "owner_id": "1", "account_id": str(PIEKARNIA)}
    assert crm.post("activities/new", activity, follow_redirects=True).status_code == 200
    assert subject in text_of(crm.get(f"accounts/{PIEKARNIA}/timeline"))
    crm.post("rodo/requests/new", {"contact_id": str(ANNA), "kind": "usuniecie"})
    request_id = crm.one("SELECT max(id) FROM subject_request")
    crm.post(f"rodo/requests/{request_id}/complete", {"resolution": "Dane usunięto."}, follow_redirects=True)
    shown = text_of(crm.get(f"accounts/{PIEKARNIA}/timeline"))
    assert "Napisać na [dane zanonimizowane] albo zadzwonić: [dane zanonimizowane]" in shown
    assert all(value not in shown for value in ("biuro@zlotyklos.pl", "kontakt@zlotyklos.pl", "532 44 11"))
    assert any(subject in e["summary"] for e in crm.log())  # the evidence itself is unchanged
