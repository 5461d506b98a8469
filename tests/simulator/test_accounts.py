"""Companies and persons: duplicate warnings before saving, confirmed overrides, logged reads of personal data."""

from __future__ import annotations

from tests.simulator.conftest import text_of

TECHBUD_NIP = "779-463-05-39"
NEW = {"name": "Techbud Bis", "data_source": "targi", "owner_id": "1"}


def test_same_nip_shows_a_warning_and_saves_nothing(crm):
    response = crm.post("accounts/new", {**NEW, "nip": TECHBUD_NIP})
    assert response.status_code == 200
    page = text_of(response)
    assert "Możliwy duplikat" in page and "Techbud sp. z o.o. – ten sam NIP (779-463-05-39)" in page
    assert crm.one("SELECT count(*) FROM account WHERE name = 'Techbud Bis'") == 0
    warning = crm.log("duplicate_warning")[-1]
    assert warning["details"]["duplicates"] == [
        {"kind": "account", "id": 1, "name": "Techbud sp. z o.o.", "field": "NIP"}
    ]


def test_confirmed_duplicate_is_saved_and_the_confirmation_logged(crm):
    response = crm.post("accounts/new", {**NEW, "nip": TECHBUD_NIP, "confirm_duplicates": "y"})
    assert response.status_code == 302
    assert crm.one("SELECT nip FROM account WHERE name = 'Techbud Bis'") == "7794630539"
    created = crm.log("account.created")[-1]
    assert created["details"]["duplicates_confirmed"][0]["field"] == "NIP"


def test_same_email_or_phone_warns_too(crm):
    page = text_of(crm.post("accounts/new", {**NEW, "email": "BIURO@techbud.pl"}))
    assert "ten sam e-mail" in page
    page = text_of(crm.post("accounts/new", {**NEW, "phone": "+48 61 842 17 30"}))
    assert "ten sam telefon (+48 61 842 17 30)" in page


def test_editing_a_company_does_not_warn_about_itself(crm):
    response = crm.post(
        "accounts/1/edit",
        {
            "name": "Techbud sp. z o.o.",
            "nip": TECHBUD_NIP,
            "data_source": "targi",
            "owner_id": "1",
            "email": "biuro@techbud.pl",
        },
    )
    assert response.status_code == 302


def test_person_duplicates_by_email_phone_or_pesel(crm):
    base = {"first_name": "Anna", "last_name": "Mazurek", "data_source": "telefon"}
    assert "ten sam PESEL" in text_of(crm.post("contacts/new", {**base, "pesel": "79051498720"}))
    assert "ten sam telefon" in text_of(crm.post("contacts/new", {**base, "phone": "693410225"}))
    assert crm.one("SELECT count(*) FROM contact WHERE last_name = 'Mazurek'") == 0
    assert crm.post("contacts/new", {**base, "phone": "693410225", "confirm_duplicates": "y"}).status_code == 302


def test_contact_detail_and_edit_form_are_logged_reads(crm):
    assert crm.get("contacts/3").status_code == 200
    assert crm.get("contacts/3/edit").status_code == 200
    reads = crm.log("contact.personal_data_read")
    assert [r["details"]["view"] for r in reads] == ["karta osoby", "formularz edycji"]
    assert reads[0]["entity_id"] == 3 and reads[0]["account_id"] == 2 and reads[0]["actor_kind"] == "candidate"
    assert set(reads[0]["details"]["fields"]) == {"PESEL", "e-mail", "telefon", "data urodzenia"}


def test_contact_list_shows_no_personal_data_and_logs_no_read(crm):
    page = crm.get("contacts/").get_data(as_text=True)
    assert "79051498720" not in page and "zlotyklos" not in page
    assert not crm.log("contact.personal_data_read")


def test_company_data_is_updated_and_completed(crm):
    data = {
        "name": "EkoTerm Instalacje sp. z o.o.",
        "data_source": "formularz_www",
        "owner_id": "1",
        "krs": "0000583072",
        "phone": "32 259 11 22",
        "email": "biuro@ekoterm.pl",
        "preferred_channel": "telefon",
    }
    assert crm.post("accounts/10/edit", data).status_code == 302
    assert crm.sql("SELECT krs, phone, preferred_channel FROM account WHERE id = 10") == [
        ("0000583072", "+48322591122", "telefon")
    ]
    updated = crm.log("account.updated")[-1]
    assert set(updated["after"]) >= {"krs", "phone", "preferred_channel"}
    assert updated["before"]["krs"] is None


def test_account_list_filters(crm):
    page = text_of(crm.get("accounts/?voivodeship=małopolskie"))
    assert "Hurtownia Medyczna Salus" in page and "Hotel Górski Dwór" in page and "Techbud" not in page
    assert "Techbud" in text_of(crm.get("accounts/?q=779463"))
    assert "Meblomax" in text_of(crm.get("accounts/?size=średnie&q=bydgoszcz"))
