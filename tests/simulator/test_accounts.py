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


# --- sole traders (jednoosobowa działalność gospodarcza): legal form and the owner's PESEL -------------------------

PIEKARNIA, ANNA = 2, 3  # the practice seed's sole trader and its owner, a person of that company
ANNA_PESEL = "79051498720"
SOLE_TRADER = {"name": "Piekarnia Kłos-Bis", "legal_form": "jdg", "data_source": "ceidg", "owner_id": "1"}


def test_same_pesel_of_a_sole_trader_or_a_person_warns_and_saves_nothing(crm):
    before = crm.one("SELECT count(*) FROM account")
    page = text_of(crm.post("accounts/new", {**SOLE_TRADER, "pesel": ANNA_PESEL}))
    assert "Piekarnia Złoty Kłos Anna Mazur – ten sam PESEL (•••••••8720)" in page
    assert "Anna Mazur – ten sam PESEL" in page and ANNA_PESEL not in page
    assert crm.one("SELECT count(*) FROM account") == before
    warning = crm.log("duplicate_warning")[-1]
    assert [(d["kind"], d["id"], d["field"]) for d in warning["details"]["duplicates"]] == [
        ("account", PIEKARNIA, "PESEL"),
        ("contact", ANNA, "PESEL"),
    ]
    confirmed = crm.post("accounts/new", {**SOLE_TRADER, "pesel": ANNA_PESEL, "confirm_duplicates": "y"})
    assert confirmed.status_code == 302


def test_the_owner_of_a_sole_trader_is_no_duplicate_of_it(crm):
    form = {
        "name": "Piekarnia Złoty Kłos Anna Mazur",
        "legal_form": "jdg",
        "pesel": ANNA_PESEL,
        "data_source": "ceidg",
        "owner_id": "1",
    }
    assert crm.post(f"accounts/{PIEKARNIA}/edit", {**form, "notes": "Trzy punkty sprzedaży."}).status_code == 302
    person = {"first_name": "Anna", "last_name": "Mazur", "account_id": str(PIEKARNIA), "data_source": "ceidg"}
    assert crm.post(f"contacts/{ANNA}/edit", {**person, "pesel": ANNA_PESEL}).status_code == 302
    assert not crm.log("duplicate_warning")
    elsewhere = {**person, "last_name": "Mazurówna", "account_id": "1"}  # the same PESEL at another company
    page = text_of(crm.post("contacts/new", {**elsewhere, "pesel": ANNA_PESEL}))
    assert "Piekarnia Złoty Kłos Anna Mazur – ten sam PESEL" in page and "Anna Mazur – ten sam PESEL" in page


def test_legal_form_is_on_the_card_the_form_and_the_list_filter(crm):
    assert "jednoosobowa działalność gospodarcza (CEIDG)" in text_of(crm.get(f"accounts/{PIEKARNIA}"))
    assert 'name="legal_form"' in crm.get("accounts/1/edit").get_data(as_text=True)
    page = text_of(crm.get("accounts/?legal_form=spolka_cywilna"))
    assert "Biuro Rachunkowe Bilans s.c." in page and "Techbud" not in page and "Liczba firm: 1" in page
    assert "Liczba firm: 7" in text_of(crm.get("accounts/?legal_form=spolka_z_oo"))
    assert "Liczba firm: 11" in text_of(crm.get("accounts/?legal_form=bez-sensu"))  # an unknown form filters nothing


def test_account_list_shows_no_pesel_and_logs_no_read(crm):
    assert ANNA_PESEL not in crm.get("accounts/").get_data(as_text=True)
    assert "Liczba firm: 0" in text_of(crm.get(f"accounts/?q={ANNA_PESEL}"))  # nor is it searchable
    assert not crm.log("account.personal_data_read")


def test_reports_group_companies_by_legal_form_and_never_offer_a_pesel():
    from simulator.crm.services.report_sources import SOURCES

    assert SOURCES["accounts"].field("legal_form").label == "Forma prawna"
    assert all(source.field("pesel") is None for source in SOURCES.values())
