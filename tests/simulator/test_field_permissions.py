"""Field permissions per CRM role on every page showing a person's protected data; who administers roles."""

from __future__ import annotations

import io
import json

import pypdf

from tests.simulator.conftest import Crm, instance_write, text_of
from tests.simulator.test_offers import make_offer, make_template

ANNA, TOMASZ = 3, 1  # Anna has every protected field; Tomasz is the person of opportunity 1 (Techbud)
ADMIN, HANDLOWIEC = 1, 3  # role ids in the practice seed
HIDDEN = "ukryte – brak uprawnień roli"


def reads(crm: Crm) -> list[dict]:
    return crm.log("contact.personal_data_read")


def handlowiec_sees(crm: Crm, *fields: str) -> None:
    """As the administrator, set the fields the Handlowiec role sees; then work as Piotr, a Handlowiec."""
    assert crm.post("users/roles/fields", {"role_id": str(HANDLOWIEC), "fields": list(fields)}).status_code == 302
    crm.act_as("pwojcik")


def email_of(crm: Crm, contact_id: int) -> str:
    return crm.one("SELECT email FROM contact WHERE id = :id", {"id": contact_id})


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages)


# --- the contact card and edit form ---------------------------------------------------------------------------


def test_card_hides_every_field_the_role_may_not_see_and_logs_no_read(crm):
    handlowiec_sees(crm)
    pesel, email = crm.one("SELECT pesel, email FROM contact WHERE id = :id", {"id": ANNA})
    before = len(reads(crm))
    for path in (f"contacts/{ANNA}", f"contacts/{ANNA}/edit"):
        html = crm.get(path).get_data(as_text=True)
        assert pesel not in html and email not in html and "693" not in html, path
    card = crm.get(f"contacts/{ANNA}").get_data(as_text=True)
    assert all(f'data-testid="hidden-{name}"' in card for name in ("pesel", "birth_date", "email", "phone"))
    assert len(reads(crm)) == before


def test_card_shows_the_fields_the_role_may_see_and_logs_exactly_those(crm):
    handlowiec_sees(crm, "phone")
    page = text_of(crm.get(f"contacts/{ANNA}"))
    assert "693 410 225" in page and email_of(crm, ANNA) not in page
    read = reads(crm)[-1]
    assert read["entity_id"] == ANNA and read["details"]["fields"] == ["telefon"]
    assert set(read["details"]["hidden"]) == {"PESEL", "data urodzenia", "e-mail"}
    assert read["details"]["role"] == "Handlowiec"


# --- a sole trader's card and edit form: the owner's PESEL under the same permission -----------------------------

PIEKARNIA = 2  # a sole trader (JDG) of the practice seed, recorded with its owner's PESEL


def account_reads(crm: Crm) -> list[dict]:
    return crm.log("account.personal_data_read")


def test_sole_traders_pesel_is_hidden_from_a_role_without_pesel_and_no_read_is_logged(crm):
    pesel = crm.one("SELECT pesel FROM account WHERE id = :id", {"id": PIEKARNIA})
    handlowiec_sees(crm, "email", "phone")
    card = crm.get(f"accounts/{PIEKARNIA}").get_data(as_text=True)
    assert pesel not in card and 'data-testid="hidden-pesel"' in card
    form = crm.get(f"accounts/{PIEKARNIA}/edit").get_data(as_text=True)
    assert pesel not in form and HIDDEN in form
    assert not account_reads(crm) and not reads(crm)


def test_a_role_without_pesel_saves_a_sole_trader_without_erasing_its_pesel(crm):
    pesel = crm.one("SELECT pesel FROM account WHERE id = :id", {"id": PIEKARNIA})
    handlowiec_sees(crm, "email", "phone")
    data = {
        "name": "Piekarnia Złoty Kłos Anna Mazur",
        "legal_form": "jdg",
        "data_source": "ceidg",
        "owner_id": "1",
        "notes": "Trzeci punkt sprzedaży od kwietnia.",
    }
    assert crm.post(f"accounts/{PIEKARNIA}/edit", data).status_code == 302
    assert crm.sql("SELECT pesel, notes FROM account WHERE id = :id", {"id": PIEKARNIA}) == [
        (pesel, "Trzeci punkt sprzedaży od kwietnia.")
    ]
    updated = crm.log("account.updated")[-1]
    assert "pesel" not in updated["after"] and pesel not in str(updated)
    stored = crm.sql("SELECT * FROM account WHERE id = :id", {"id": PIEKARNIA})
    response = crm.post(f"accounts/{PIEKARNIA}/edit", {**data, "legal_form": "spolka_z_oo"})  # the PESEL stays
    page = text_of(response)
    assert "PESEL podaje się tylko dla jednoosobowej działalności gospodarczej" in page and pesel not in page
    assert "Twoja rola nie widzi zapisanej wartości tego pola" in page
    assert crm.sql("SELECT * FROM account WHERE id = :id", {"id": PIEKARNIA}) == stored
    assert crm.log("validation_error")[-1]["details"]["submitted"]["pesel"] is None  # nothing typed, nothing shown


def test_a_duplicate_found_by_a_hidden_pesel_is_named_without_its_digits(crm):
    person = {"first_name": "Anna", "last_name": "Mazur-Nowak", "account_id": "1", "data_source": "polecenie"}
    assert crm.post("contacts/new", {**person, "pesel": "79051498720", "confirm_duplicates": "y"}).status_code == 302
    handlowiec_sees(crm, "email", "phone")
    data = {"name": "Piekarnia Złoty Kłos Anna Mazur", "legal_form": "jdg", "data_source": "ceidg", "owner_id": "1"}
    page = text_of(crm.post(f"accounts/{PIEKARNIA}/edit", {**data, "notes": "Nowa notatka"}))
    assert f"Anna Mazur-Nowak – ten sam PESEL ({HIDDEN})" in page and "8720" not in page
    assert crm.one("SELECT notes FROM account WHERE id = :id", {"id": PIEKARNIA}) != "Nowa notatka"


def test_sole_traders_card_and_edit_form_show_pesel_to_a_role_allowed_and_log_each_read(crm):
    pesel = crm.one("SELECT pesel FROM account WHERE id = :id", {"id": PIEKARNIA})
    assert pesel in crm.get(f"accounts/{PIEKARNIA}").get_data(as_text=True)  # the candidate is an administrator
    assert pesel in crm.get(f"accounts/{PIEKARNIA}/edit").get_data(as_text=True)
    logged = account_reads(crm)
    assert [(e["entity_type"], e["entity_id"], e["account_id"]) for e in logged] == [
        ("account", PIEKARNIA, PIEKARNIA)
    ] * 2
    assert [e["details"]["view"] for e in logged] == ["karta firmy", "formularz edycji"]
    assert all(e["details"]["fields"] == ["PESEL"] and e["details"]["role"] == "Administrator CRM" for e in logged)
    assert pesel not in str(logged) and "Piekarnia Złoty Kłos Anna Mazur (PESEL)" in logged[0]["summary"]
    assert not reads(crm)  # a company's read is not a person's read


def test_a_company_without_pesel_is_shown_without_a_logged_read(crm):
    for path in ("accounts/1", "accounts/1/edit", "accounts/"):
        assert crm.get(path).status_code == 200
    assert not account_reads(crm)


def test_sole_traders_card_preview_as_another_user_hides_what_they_may_not_see(crm):
    pesel = crm.one("SELECT pesel FROM account WHERE id = :id", {"id": PIEKARNIA})
    piotr = crm.one("SELECT id FROM crm_user WHERE key = 'pwojcik'")
    page = crm.get(f"accounts/{PIEKARNIA}?as_user={piotr}").get_data(as_text=True)
    assert pesel not in page and 'data-testid="hidden-pesel"' in page and 'data-testid="view-as-notice"' in page
    assert not account_reads(crm)
    crm.act_as("pwojcik")
    assert crm.get(f"accounts/{PIEKARNIA}?as_user=1").status_code == 403
    refused = crm.log("access_refused")[-1]
    assert refused["details"]["endpoint"] == "crm.account_detail" and refused["entity_id"] == PIEKARNIA
    assert not account_reads(crm)


# --- "view as" another user -----------------------------------------------------------------------------------


def test_view_as_is_refused_to_a_user_who_does_not_administer_users(crm):
    crm.act_as("pwojcik")
    assert 'data-testid="view-as"' not in crm.get(f"contacts/{ANNA}").get_data(as_text=True)
    before = len(reads(crm))
    response = crm.get(f"contacts/{ANNA}?as_user=1")  # the candidate, an administrator who sees PESEL
    assert response.status_code == 403
    assert crm.one("SELECT pesel FROM contact WHERE id = :id", {"id": ANNA}) not in response.get_data(as_text=True)
    assert "administrowanie użytkownikami i rolami" in text_of(response)
    refused = crm.log("access_refused")[-1]
    assert refused["details"]["endpoint"] == "crm.contact_detail" and refused["details"]["query"] == {"as_user": "1"}
    assert refused["details"]["role"] == "Handlowiec" and refused["entity_id"] == ANNA
    assert len(reads(crm)) == before


def test_view_as_shows_the_chosen_users_view_but_never_more_than_the_administrator_sees(crm):
    roles = "UPDATE crm_role SET manage_users = (key IN ('admin', 'kierownik'))"
    instance_write(crm.root, crm.info.instance_id, roles)
    crm.act_as("mzielinska")  # Kierownik sprzedaży: administers users here, but does not see PESEL
    pesel = crm.one("SELECT pesel FROM contact WHERE id = :id", {"id": ANNA})
    page = crm.get(f"contacts/{ANNA}?as_user=1").get_data(as_text=True)  # as the candidate, who sees PESEL
    assert pesel not in page and 'data-testid="hidden-pesel"' in page and 'data-testid="view-as-notice"' in page
    assert "14.05.1979" in page
    read = reads(crm)[-1]
    assert "PESEL" in read["details"]["hidden"] and "data urodzenia" in read["details"]["fields"]
    assert read["details"]["as_user"] == "Kandydat (Ty)" and read["details"]["acting_role"] == "Kierownik sprzedaży"
    piotr = crm.one("SELECT id FROM crm_user WHERE key = 'pwojcik'")
    as_piotr = crm.get(f"contacts/{ANNA}?as_user={piotr}").get_data(as_text=True)
    assert 'data-testid="hidden-birth_date"' in as_piotr and "14.05.1979" not in as_piotr  # limited to Piotr's view
    assert not crm.log("access_refused")


# --- administering users and roles ----------------------------------------------------------------------------


def _users_and_roles(crm: Crm) -> list:
    return [crm.sql("SELECT * FROM crm_user ORDER BY id"), crm.sql("SELECT * FROM crm_role ORDER BY id")]


def test_role_and_permission_writes_are_refused_to_a_non_administrator(crm):
    piotr = crm.act_as("pwojcik")
    before = _users_and_roles(crm)
    attempts = [
        ("users/roles/fields", {"role_id": str(HANDLOWIEC), "fields": ["pesel", "email", "phone"]}),
        (f"users/{piotr}/role", {"role_id": str(ADMIN)}),
        ("users/new", {"full_name": "Wspólnik", "email": "w@example.com", "role_id": str(ADMIN)}),
    ]
    for path, data in attempts:
        response = crm.post(path, data)
        assert response.status_code == 403, path
        assert "wymaga uprawnienia „administrowanie użytkownikami i rolami”" in text_of(response)
    page = crm.get("users/")
    assert page.status_code == 403
    assert 'href="/i/' + crm.token + '/users/"' not in crm.get("").get_data(as_text=True)  # no menu link either
    assert _users_and_roles(crm) == before
    refused = crm.log("access_refused")
    endpoints = ["crm.role_fields", "crm.user_role", "crm.user_new", "crm.user_list"]
    assert [e["details"]["endpoint"] for e in refused] == endpoints
    assert all(e["details"]["user"] == "Piotr Wójcik" for e in refused)
    assert not crm.log("role.permissions_changed") and not crm.log("user.role_changed") and not crm.log("user.created")


def test_an_administrator_changes_roles_and_permissions(crm):
    page = crm.get("users/")
    assert page.status_code == 200 and 'action="/i/' + crm.token + '/users/roles/fields"' in page.get_data(as_text=True)
    piotr = crm.one("SELECT id FROM crm_user WHERE key = 'pwojcik'")
    assert crm.post("users/roles/fields", {"role_id": str(HANDLOWIEC), "fields": ["email"]}).status_code == 302
    assert crm.post(f"users/{piotr}/role", {"role_id": "2"}).status_code == 302
    assert crm.post("users/new", {"full_name": "Ola Nowa", "email": "", "role_id": str(ADMIN)}).status_code == 302
    assert crm.one("SELECT visible_fields FROM crm_role WHERE id = :id", {"id": HANDLOWIEC}) == '["email"]'
    assert crm.one("SELECT role_id FROM crm_user WHERE id = :id", {"id": piotr}) == 2
    assert crm.one("SELECT count(*) FROM crm_user WHERE full_name = 'Ola Nowa'") == 1
    assert crm.log("role.permissions_changed") and crm.log("user.role_changed") and crm.log("user.created")
    assert not crm.log("access_refused")


# --- offers, the outbox and the access export -----------------------------------------------------------------

EMAIL_TEMPLATE = "Oferta dla {{ osoba.imie_nazwisko }}, e-mail {{ osoba.email }}.\n{{ pozycje }}"


def _offer_with_email(crm: Crm) -> int:
    assert make_template(crm, EMAIL_TEMPLATE).status_code == 302
    return make_offer(crm, template_id=crm.one("SELECT max(id) FROM offer_template"), contact_id=str(TOMASZ))


def test_draft_offer_pages_mask_the_email_for_a_role_that_may_not_see_it(crm):
    offer_id = _offer_with_email(crm)
    email = email_of(crm, TOMASZ)
    handlowiec_sees(crm, "phone")
    before = len(reads(crm))
    detail = crm.get(f"offers/{offer_id}").get_data(as_text=True)
    assert email not in detail and 'data-testid="hidden-email"' in detail and f"[{HIDDEN}]" in detail
    printed = crm.get(f"offers/{offer_id}/print").get_data(as_text=True)
    assert email not in printed and f"[{HIDDEN}]" in printed
    pdf = crm.get(f"offers/{offer_id}/oferta.pdf")
    assert pdf.status_code == 200 and email not in pdf_text(pdf.data)
    assert len(reads(crm)) == before


def test_draft_offer_pages_show_the_email_to_a_role_allowed_and_log_each_read(crm):
    offer_id = _offer_with_email(crm)
    email = email_of(crm, TOMASZ)
    assert email in crm.get(f"offers/{offer_id}").get_data(as_text=True)
    assert email in crm.get(f"offers/{offer_id}/print").get_data(as_text=True)
    assert email in pdf_text(crm.get(f"offers/{offer_id}/oferta.pdf").data)
    logged = [(e["entity_id"], e["details"]["view"], e["details"]["fields"]) for e in reads(crm)[-3:]]
    assert logged == [(TOMASZ, view, ["e-mail"]) for view in ("oferta", "wydruk oferty", "PDF oferty")]


def test_sent_offer_and_outbox_are_shown_whole_to_a_role_allowed_and_withheld_otherwise(crm):
    offer_id = _offer_with_email(crm)
    email = email_of(crm, TOMASZ)
    assert crm.post(f"offers/{offer_id}/send").status_code == 302
    message_id = crm.one("SELECT id FROM outbox_message WHERE offer_id = :id", {"id": offer_id})
    assert crm.one("SELECT contact_id FROM outbox_message WHERE id = :id", {"id": message_id}) == TOMASZ
    handlowiec_sees(crm, "phone")
    before = len(reads(crm))
    detail = crm.get(f"offers/{offer_id}")
    assert detail.status_code == 200 and 'data-testid="offer-withheld"' in detail.get_data(as_text=True)
    for path in ("outbox/", f"outbox/{message_id}"):
        html = crm.get(path).get_data(as_text=True)
        assert 'data-testid="hidden-email"' in html, path
    for path in (f"offers/{offer_id}/oferta.pdf", f"offers/{offer_id}/print", f"outbox/{message_id}/zalacznik.pdf"):
        response = crm.get(path)
        assert response.status_code == 403 and "e-mail" in text_of(response), path
    for path in (f"offers/{offer_id}", "outbox/", f"outbox/{message_id}"):
        assert email not in crm.get(path).get_data(as_text=True), path
    assert len(reads(crm)) == before
    assert {e["details"]["endpoint"] for e in crm.log("access_refused")} == {
        "crm.offer_pdf",
        "crm.offer_print",
        "crm.outbox_attachment",
    }
    crm.act_as("ja")
    assert email in crm.get(f"offers/{offer_id}").get_data(as_text=True)
    assert email in crm.get("outbox/").get_data(as_text=True)
    assert crm.get(f"outbox/{message_id}/zalacznik.pdf").status_code == 200
    views = [e["details"]["view"] for e in reads(crm)[before:]]
    assert views == ["oferta", "skrzynka nadawcza", "załącznik w skrzynce nadawczej"]


def test_a_role_without_the_email_sends_to_the_real_address_without_seeing_it(crm):
    offer_id = _offer_with_email(crm)
    email = email_of(crm, TOMASZ)
    handlowiec_sees(crm, "phone")
    response = crm.post(f"offers/{offer_id}/send", follow_redirects=True)
    assert "Wysłano ofertę" in text_of(response) and email not in response.get_data(as_text=True)
    assert crm.one("SELECT recipient FROM outbox_message WHERE offer_id = :id", {"id": offer_id}) == email
    assert email in crm.one("SELECT rendered_body FROM offer WHERE id = :id", {"id": offer_id})  # the customer's copy
    assert email not in crm.log("offer.sent")[-1]["summary"]
    assert email not in crm.get("accounts/1/timeline").get_data(as_text=True)


def test_access_export_is_given_whole_to_a_role_allowed_and_refused_otherwise(crm):
    crm.act_as("pwojcik")  # a Handlowiec does not see Anna's PESEL or birth date
    response = crm.get(f"contacts/{ANNA}/export.json")
    assert response.status_code == 403 and "PESEL" in text_of(response)
    assert not crm.log("rodo.access_export") and crm.log("access_refused")[-1]["entity_id"] == ANNA
    crm.act_as("ja")
    data = json.loads(crm.get(f"contacts/{ANNA}/export.json").get_data(as_text=True))
    assert data["osoba"]["pesel"] == crm.one("SELECT pesel FROM contact WHERE id = :id", {"id": ANNA})
    read = reads(crm)[-1]
    assert read["details"]["view"] == "eksport danych (art. 15, JSON)" and "PESEL" in read["details"]["fields"]
