"""Field permissions per CRM role on every page showing a person's or sole trader's protected data; role admin."""

from __future__ import annotations

import io
import json
import re

import openpyxl
import pypdf

from simulator.crm.services.report_sources import SOURCES
from tests.simulator.conftest import Crm, crm_rules, instance_write, rule_path, text_of
from tests.simulator.test_offers import ITEMS, make_offer, make_template

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
    pesel, email, phone = crm.one("SELECT pesel, email, phone FROM contact WHERE id = :id", {"id": ANNA})
    before = len(reads(crm))
    for path in (f"contacts/{ANNA}", f"contacts/{ANNA}/edit"):
        html = crm.get(path).get_data(as_text=True)
        # the phone as stored and as shown ("693 410 225"); not a bare "693", which a static file's version may hold
        assert pesel not in html and email not in html and phone not in html and "693 410 225" not in html, path
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


def test_sole_traders_pesel_is_hidden_from_a_role_without_pesel_and_no_read_of_it_is_logged(crm):
    pesel = crm.one("SELECT pesel FROM account WHERE id = :id", {"id": PIEKARNIA})
    handlowiec_sees(crm, "email", "phone")
    card = crm.get(f"accounts/{PIEKARNIA}").get_data(as_text=True)
    assert pesel not in card and 'data-testid="hidden-pesel"' in card
    form = crm.get(f"accounts/{PIEKARNIA}/edit").get_data(as_text=True)
    assert pesel not in form and HIDDEN in form
    logged = account_reads(crm)  # the e-mail and phone it may see are the owner's personal data too
    assert [(e["details"]["fields"], e["details"]["hidden"]) for e in logged] == [
        (["e-mail", "telefon"], ["PESEL"])
    ] * 2
    assert not reads(crm)


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


def duplicate_warning(crm: Crm, data: dict) -> str:
    """Post a new person and return the text of the duplicate warning shown."""
    html = crm.post("contacts/new", data).get_data(as_text=True)
    start = html.index('data-testid="duplicate-warning"')
    return " ".join(re.sub(r"<[^>]+>", " ", html[start : html.index("</div>", start)]).split())


def test_a_typed_value_the_role_may_not_see_elsewhere_does_not_name_whose_it_is(crm):
    """Typing a known PESEL or e-mail into a new person must not tell a role that may not see those fields whose
    they are; a role that sees them gets the record named, as before."""
    pesel, email = crm.one("SELECT pesel, email FROM contact WHERE id = :id", {"id": ANNA})
    name = crm.one("SELECT first_name || ' ' || last_name FROM contact WHERE id = :id", {"id": ANNA})
    person = {"first_name": "Jan", "last_name": "Próbny", "data_source": "polecenie", "pesel": pesel, "email": email}
    handlowiec_sees(crm)
    page = duplicate_warning(crm, person)
    assert "Możliwy duplikat" in page and name not in page and "Piekarnia" not in page  # her sole trade: same PESEL
    assert page.count("inny rekord (nazwa ukryta – wskazałaby wartość pola, którego Twoja rola nie widzi)") == 3
    warning = crm.log("duplicate_warning")[-1]
    assert name not in warning["summary"] and ANNA in {d["id"] for d in warning["details"]["duplicates"]}
    crm.act_as("ja")
    handlowiec_sees(crm, "email")  # sees e-mails, not PESELs
    page = duplicate_warning(crm, person)
    assert f"{name} – ten sam e-mail ({email})" in page
    assert "inny rekord (nazwa ukryta – wskazałaby wartość pola, którego Twoja rola nie widzi) – ten sam PESEL" in page
    crm.act_as("ja")  # the administrator sees everything
    assert f"{name} – ten sam PESEL (•••••••{pesel[-4:]})" in duplicate_warning(crm, person)  # as warnings show it


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
    fields = ["PESEL", "e-mail", "telefon"]
    assert all(e["details"]["fields"] == fields and e["details"]["role"] == "Administrator CRM" for e in logged)
    assert (
        pesel not in str(logged) and "Piekarnia Złoty Kłos Anna Mazur (PESEL, e-mail, telefon)" in logged[0]["summary"]
    )
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
    read = account_reads(crm)[-1]  # Piotr, a Handlowiec, sees the e-mail and phone, never the PESEL
    assert read["details"]["view"] == "karta firmy (podgląd jako inny użytkownik)"
    assert (read["details"]["fields"], read["details"]["hidden"]) == (["e-mail", "telefon"], ["PESEL"])
    assert read["details"]["as_user"] == "Piotr Wójcik" and read["details"]["acting_role"] == "Administrator CRM"
    crm.act_as("pwojcik")
    before = len(account_reads(crm))
    assert crm.get(f"accounts/{PIEKARNIA}?as_user=1").status_code == 403
    refused = crm.log("access_refused")[-1]
    assert refused["details"]["endpoint"] == "crm.account_detail" and refused["entity_id"] == PIEKARNIA
    assert len(account_reads(crm)) == before


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


def test_outbox_subject_masks_the_protected_values_its_template_put_there(crm):
    subject = "Oferta {{ oferta.numer }} – kopia na {{ osoba.email }}"
    assert make_template(crm, EMAIL_TEMPLATE, subject=subject).status_code == 302
    offer_id = make_offer(crm, template_id=crm.one("SELECT max(id) FROM offer_template"), contact_id=str(TOMASZ))
    assert crm.post(f"offers/{offer_id}/send").status_code == 302
    message_id = crm.one("SELECT id FROM outbox_message WHERE offer_id = :id", {"id": offer_id})
    email, number = email_of(crm, TOMASZ), crm.one("SELECT number FROM offer WHERE id = :id", {"id": offer_id})
    assert crm.one("SELECT subject FROM outbox_message WHERE id = :id", {"id": message_id}) == (
        f"Oferta {number} – kopia na {email}"  # stored as sent
    )
    handlowiec_sees(crm, "phone")
    before = len(reads(crm))
    for path in ("outbox/", f"outbox/{message_id}"):
        html = crm.get(path).get_data(as_text=True)
        assert email not in html and f"Oferta {number} – kopia na [{HIDDEN}]" in html, path
    assert len(reads(crm)) == before  # nothing protected was shown
    crm.act_as("ja")
    handlowiec_sees(crm, "email")
    for path, view in (("outbox/", "skrzynka nadawcza"), (f"outbox/{message_id}", "wiadomość w skrzynce nadawczej")):
        html = crm.get(path).get_data(as_text=True)
        assert f"Oferta {number} – kopia na {email}" in html and HIDDEN not in html, path
        read = reads(crm)[-1]  # one read of the person per page: the address and the subject
        assert (read["entity_id"], read["details"]["view"], read["details"]["fields"]) == (TOMASZ, view, ["e-mail"])
    assert len(reads(crm)) == before + 2


def test_outbox_subject_hides_a_sole_traders_email_from_a_role_that_may_not_see_it(crm):
    piekarnia_offer(crm, send=True, subject="Oferta {{ oferta.numer }} dla {{ firma.email }}")
    handlowiec_sees(crm, "pesel")
    html = crm.get("outbox/").get_data(as_text=True)
    assert JDG_EMAIL not in html and f"dla [{HIDDEN}]" in html
    crm.act_as("ja")
    handlowiec_sees(crm, "email")
    assert f"dla {JDG_EMAIL}" in crm.get("outbox/").get_data(as_text=True)
    assert crm.log("account.personal_data_read")[-1]["details"]["fields"] == ["e-mail"]


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


# --- a sole trader's company e-mail and phone: its owner's personal data ----------------------------------------

TECHBUD = 1  # a spółka z o.o.: its e-mail and phone are company data every role sees
JDG_EMAIL, JDG_PHONE = "kontakt@zlotyklos.pl", "+48815324410"  # Piekarnia's, in the practice seed
JDG_TEXTS = (JDG_EMAIL, "815324410", "532 44 10")  # the phone stored, and as pages format it


def shows_jdg_contact(text: str) -> bool:
    return any(value in text for value in JDG_TEXTS)


def jdg_row(crm: Crm) -> tuple:
    return crm.one("SELECT legal_form, pesel, email, phone, notes FROM account WHERE id = :id", {"id": PIEKARNIA})


PIEKARNIA_FORM = {  # the edit form as a browser sends it when the e-mail, phone and PESEL fields are disabled
    "name": "Piekarnia Złoty Kłos Anna Mazur",
    "legal_form": "jdg",
    "nip": "9462857604",
    "regon": "438366816",
    "street": "ul. Nadbystrzycka 40",
    "postal_code": "20-618",
    "city": "Lublin",
    "voivodeship": "lubelskie",
    "pkd": "10.71.Z",
    "size": "mikro",
    "data_source": "ceidg",
    "acquisition_method": "wyszukanie_w_rejestrze",
    "preferred_channel": "telefon",
    "owner_id": "1",
    "notes": "Trzeci punkt sprzedaży od kwietnia.",
}


def piekarnia_offer(crm: Crm, *, send: bool = False, subject: str = "Oferta {{ oferta.numer }}") -> int:
    """As the candidate (who sees everything): an offer to Piekarnia without a person, printing its e-mail."""
    body = "Dla {{ firma.nazwa }}, e-mail {{ firma.email }}.\n{{ pozycje }}"
    assert make_template(crm, body, name="Szablon z e-mailem firmy", subject=subject).status_code == 302
    template = crm.one("SELECT max(id) FROM offer_template")
    opportunity = {"name": "Licencje CRM", "account_id": str(PIEKARNIA), "value": "4272", "stage_id": "1"}
    assert crm.post("opportunities/new", {**opportunity, "owner_id": "1"}).status_code == 302
    data = {"template_id": str(template), "opportunity_id": str(crm.one("SELECT max(id) FROM opportunity"))}
    response = crm.post("offers/new", {**data, "contact_id": "", "valid_until": "2026-04-15", **ITEMS})
    assert response.status_code == 302, text_of(response)[:500]
    offer_id = crm.one("SELECT max(id) FROM offer")
    if send:
        assert crm.post(f"offers/{offer_id}/send").status_code == 302
    return offer_id


def test_a_role_without_email_and_phone_sees_neither_on_a_sole_traders_card_form_list_and_timeline(crm):
    handlowiec_sees(crm, "pesel", "birth_date")
    card = crm.get(f"accounts/{PIEKARNIA}").get_data(as_text=True)
    assert 'data-testid="hidden-email"' in card and 'data-testid="hidden-phone"' in card
    form = crm.get(f"accounts/{PIEKARNIA}/edit").get_data(as_text=True)
    assert form.count(f'placeholder="{HIDDEN}"') == 2 and "79051498720" in form  # the PESEL it may see
    pages = [card, form]
    pages += [
        crm.get(p).get_data(as_text=True) for p in ("accounts/", "accounts/?q=Piekarnia", "accounts/?legal_form=jdg")
    ]
    assert all("Piekarnia" in page and not shows_jdg_contact(page) for page in pages)
    views = [(e["details"]["view"], e["details"]["fields"], e["details"]["hidden"]) for e in account_reads(crm)]
    assert views == [
        ("karta firmy", ["PESEL"], ["e-mail", "telefon"]),
        ("formularz edycji", ["PESEL"], ["e-mail", "telefon"]),
    ]
    crm.act_as("ja")
    subject = f"Oddzwonić: {JDG_EMAIL}, tel. 81 532 44 10"  # an event whose summary holds both values
    activity = {"type": "telefon", "subject": subject, "due_date": "2026-03-18", "priority": "normalny"}
    activity |= {"status": "nierozpoczete", "percent_complete": "0", "owner_id": "1", "account_id": str(PIEKARNIA)}
    assert crm.post("activities/new", activity, follow_redirects=True).status_code == 200  # its message shown
    crm.act_as("pwojcik")
    before = len(account_reads(crm))
    timeline = crm.get(f"accounts/{PIEKARNIA}/timeline").get_data(as_text=True)
    assert f"Oddzwonić: [{HIDDEN}], tel. [{HIDDEN}]" in timeline and not shows_jdg_contact(timeline)
    read = account_reads(crm)[before:]  # the PESEL it may see is not in the timeline: no read
    assert not read and 'data-testid="timeline-notice"' in timeline


def test_no_page_shows_a_sole_traders_email_or_phone_to_a_role_without_them(crm, sim_app):
    draft = piekarnia_offer(crm)
    sent = piekarnia_offer(crm, send=True)
    message = crm.one("SELECT id FROM outbox_message WHERE offer_id = :id", {"id": sent})
    assert crm.one("SELECT recipient FROM outbox_message WHERE id = :id", {"id": message}) == JDG_EMAIL
    handlowiec_sees(crm)
    before = len(account_reads(crm))
    ids = {"account_id": PIEKARNIA, "contact_id": ANNA}
    for rule in crm_rules(sim_app, "GET"):
        for offer in (draft, sent):
            path = rule_path(rule, **ids, offer_id=offer, message_id=message)
            response = crm.get(path)
            assert not shows_jdg_contact(response.get_data(as_text=True)), path
    assert len(account_reads(crm)) == before and not reads(crm)


def test_offers_to_a_sole_trader_mask_its_email_or_are_withheld_from_a_role_without_it(crm):
    draft, sent = piekarnia_offer(crm), piekarnia_offer(crm, send=True)
    message = crm.one("SELECT id FROM outbox_message WHERE offer_id = :id", {"id": sent})
    handlowiec_sees(crm, "phone")
    before = len(account_reads(crm))
    detail = crm.get(f"offers/{draft}").get_data(as_text=True)
    assert f"e-mail [{HIDDEN}]" in detail and 'data-testid="hidden-email"' in detail
    assert 'data-testid="offer-masked"' in detail
    assert f"[{HIDDEN}]" in crm.get(f"offers/{draft}/print").get_data(as_text=True)
    pdf = crm.get(f"offers/{draft}/oferta.pdf")
    assert pdf.status_code == 200 and JDG_EMAIL not in pdf_text(pdf.data)
    assert 'data-testid="offer-withheld"' in crm.get(f"offers/{sent}").get_data(as_text=True)
    for path in (f"offers/{sent}/oferta.pdf", f"offers/{sent}/print", f"outbox/{message}/zalacznik.pdf"):
        response = crm.get(path)
        assert response.status_code == 403 and "e-mail" in text_of(response), path
        assert JDG_EMAIL not in response.get_data(as_text=True)
    for path in ("outbox/", f"outbox/{message}"):
        assert f"Piekarnia Złoty Kłos Anna Mazur – {HIDDEN}" in text_of(crm.get(path)), path
    assert len(account_reads(crm)) == before


def test_offers_to_a_sole_trader_show_its_email_to_a_role_allowed_and_log_each_read(crm):
    draft, sent = piekarnia_offer(crm), piekarnia_offer(crm, send=True)
    message = crm.one("SELECT id FROM outbox_message WHERE offer_id = :id", {"id": sent})
    assert json.loads(crm.one("SELECT rendered_personal FROM offer WHERE id = :id", {"id": sent})) == ["firma.email"]
    handlowiec_sees(crm, "email")
    before = len(account_reads(crm))
    assert JDG_EMAIL in crm.get(f"offers/{draft}").get_data(as_text=True)
    assert JDG_EMAIL in crm.get(f"offers/{draft}/print").get_data(as_text=True)
    assert JDG_EMAIL in pdf_text(crm.get(f"offers/{draft}/oferta.pdf").data)
    assert JDG_EMAIL in crm.get(f"offers/{sent}").get_data(as_text=True)
    assert JDG_EMAIL in crm.get("outbox/").get_data(as_text=True)
    assert crm.get(f"outbox/{message}/zalacznik.pdf").status_code == 200
    logged = [(e["entity_id"], e["details"]["view"], e["details"]["fields"]) for e in account_reads(crm)[before:]]
    views = ["oferta", "wydruk oferty", "PDF oferty", "oferta", "skrzynka nadawcza", "załącznik w skrzynce nadawczej"]
    assert logged == [(PIEKARNIA, view, ["e-mail"]) for view in views]
    assert not reads(crm)


def test_a_spolkas_email_and_phone_stay_visible_to_every_role_and_unlogged(crm):
    email, phone = crm.one("SELECT email, phone FROM account WHERE id = :id", {"id": TECHBUD})
    body = "Dla {{ firma.nazwa }}, e-mail {{ firma.email }}.\n{{ pozycje }}"
    assert make_template(crm, body, name="Szablon z e-mailem firmy").status_code == 302
    offer = make_offer(crm, template_id=crm.one("SELECT max(id) FROM offer_template"), contact_id="")
    assert crm.post(f"offers/{offer}/send").status_code == 302
    handlowiec_sees(crm)
    card = crm.get(f"accounts/{TECHBUD}").get_data(as_text=True)
    assert email in card and "61 842 17 30" in card and 'data-testid="hidden-email"' not in card
    form = crm.get(f"accounts/{TECHBUD}/edit").get_data(as_text=True)
    assert f'value="{email}"' in form and f'value="{phone}"' in form
    assert form.count(f'placeholder="{HIDDEN}"') == 1  # the PESEL field alone (of a company that has none)
    for path in (f"offers/{offer}", f"offers/{offer}/print", "outbox/"):
        response = crm.get(path)
        assert response.status_code == 200 and email in response.get_data(as_text=True), path
    assert email in pdf_text(crm.get(f"offers/{offer}/oferta.pdf").data)
    assert not account_reads(crm) and not crm.log("access_refused")


def test_the_protection_follows_the_current_legal_form(crm):
    techbud = {**PIEKARNIA_FORM, "name": "Techbud sp. z o.o.", "nip": "7794630539", "regon": "307728089", "krs": ""}
    techbud |= {"email": "biuro@techbud.pl", "phone": "618421730", "data_source": "targi"}
    assert crm.post(f"accounts/{TECHBUD}/edit", {**techbud, "legal_form": "jdg"}).status_code == 302
    piekarnia = {**PIEKARNIA_FORM, "legal_form": "spolka_cywilna", "pesel": "", "email": JDG_EMAIL}
    assert crm.post(f"accounts/{PIEKARNIA}/edit", {**piekarnia, "phone": JDG_PHONE}).status_code == 302
    handlowiec_sees(crm)
    now_jdg = crm.get(f"accounts/{TECHBUD}").get_data(as_text=True)
    assert "biuro@techbud.pl" not in now_jdg and 'data-testid="hidden-email"' in now_jdg
    no_longer = crm.get(f"accounts/{PIEKARNIA}").get_data(as_text=True)
    assert JDG_EMAIL in no_longer and "81 532 44 10" in no_longer
    assert not account_reads(crm)  # nothing of a sole trader's was shown: Techbud's hidden, Piekarnia's no longer


def test_a_role_without_email_and_phone_saves_a_sole_trader_without_losing_them(crm):
    handlowiec_sees(crm, "pesel")
    assert crm.post(f"accounts/{PIEKARNIA}/edit", PIEKARNIA_FORM).status_code == 302
    assert jdg_row(crm) == ("jdg", "79051498720", JDG_EMAIL, JDG_PHONE, "Trzeci punkt sprzedaży od kwietnia.")
    assert crm.log("account.updated")[-1]["after"] == {"notes": "Trzeci punkt sprzedaży od kwietnia."}


def test_a_value_typed_into_a_hidden_field_is_refused_not_dropped(crm):
    handlowiec_sees(crm, "pesel")  # e.g. the form was opened before the role lost the e-mail
    stored = jdg_row(crm)
    response = crm.post(f"accounts/{PIEKARNIA}/edit", {**PIEKARNIA_FORM, "email": "anna@zlotyklos.pl"})
    page = text_of(response)
    assert response.status_code == 200 and "Wpisanej tu wartości nie zapisano" in page
    assert "Twoja rola nie widzi zapisanej wartości tego pola" in page and not shows_jdg_contact(page)
    assert jdg_row(crm) == stored and not crm.log("account.updated")
    assert crm.log("validation_error")[-1]["details"]["submitted"]["email"] == "anna@zlotyklos.pl"
    unchanged = {**PIEKARNIA_FORM, "email": JDG_EMAIL, "phone": JDG_PHONE}  # the stored values sent back: no change
    assert crm.post(f"accounts/{PIEKARNIA}/edit", unchanged).status_code == 302
    assert jdg_row(crm)[2:4] == (JDG_EMAIL, JDG_PHONE)


def test_a_role_without_email_cannot_lift_its_protection_by_changing_the_legal_form(crm):
    instance_write(crm.root, crm.info.instance_id, "UPDATE account SET pesel = NULL WHERE id = :id", {"id": PIEKARNIA})
    handlowiec_sees(crm, "phone")
    stored = jdg_row(crm)
    response = crm.post(f"accounts/{PIEKARNIA}/edit", {**PIEKARNIA_FORM, "legal_form": "spolka_cywilna"})
    page = text_of(response)
    assert "Po zmianie formy prawnej e-mail firmy przestałby być chroniony" in page and JDG_EMAIL not in page
    assert jdg_row(crm) == stored
    crm.act_as("ja")  # a role that sees the e-mail may change it
    changed = {**PIEKARNIA_FORM, "legal_form": "spolka_cywilna", "email": JDG_EMAIL, "phone": JDG_PHONE}
    assert crm.post(f"accounts/{PIEKARNIA}/edit", changed).status_code == 302
    assert jdg_row(crm)[0] == "spolka_cywilna"


def test_a_role_without_email_turning_a_company_into_a_sole_trader_keeps_what_it_typed(crm):
    handlowiec_sees(crm)
    techbud = {**PIEKARNIA_FORM, "name": "Techbud sp. z o.o.", "nip": "7794630539", "regon": "307728089", "krs": ""}
    techbud |= {"legal_form": "jdg", "email": "jan.kowalski@techbud.pl", "phone": "601 234 567", "data_source": "targi"}
    assert crm.post(f"accounts/{TECHBUD}/edit", techbud).status_code == 302
    row = crm.one("SELECT legal_form, email, phone FROM account WHERE id = :id", {"id": TECHBUD})
    assert row == ("jdg", "jan.kowalski@techbud.pl", "+48601234567")
    card = crm.get(f"accounts/{TECHBUD}").get_data(as_text=True)
    assert "jan.kowalski@techbud.pl" not in card and 'data-testid="hidden-email"' in card


def test_a_duplicate_found_by_a_hidden_email_names_neither_the_value_nor_a_record_showing_it(crm):
    techbud = {**PIEKARNIA_FORM, "name": "Techbud sp. z o.o.", "legal_form": "spolka_z_oo", "nip": "7794630539"}
    techbud |= {"regon": "307728089", "email": JDG_EMAIL, "phone": "618421730", "data_source": "targi"}
    assert crm.post(f"accounts/{TECHBUD}/edit", {**techbud, "confirm_duplicates": "y"}).status_code == 302
    handlowiec_sees(crm, "pesel", "phone")
    response = crm.post(f"accounts/{PIEKARNIA}/edit", PIEKARNIA_FORM)
    warning = text_of(response)
    assert "Możliwy duplikat" in warning and f"– ten sam e-mail ({HIDDEN})" in warning
    assert "Techbud" not in warning and JDG_EMAIL not in warning and f"accounts/{TECHBUD}" not in warning
    assert jdg_row(crm)[4] != "Trzeci punkt sprzedaży od kwietnia."
    summary = crm.log("duplicate_warning")[-1]["summary"]
    assert "Techbud" not in summary and crm.log("duplicate_warning")[-1]["details"]["duplicates"][0]["id"] == TECHBUD
    assert "Techbud (ten sam e-mail)" not in crm.get(f"accounts/{PIEKARNIA}/timeline").get_data(as_text=True)
    confirmed = {**PIEKARNIA_FORM, "confirm_duplicates": "y"}
    assert crm.post(f"accounts/{PIEKARNIA}/edit", confirmed).status_code == 302
    assert jdg_row(crm)[2:] == (JDG_EMAIL, JDG_PHONE, "Trzeci punkt sprzedaży od kwietnia.")


def test_sole_traders_timeline_shows_its_email_to_a_role_allowed_and_logs_the_read(crm):
    subject = f"Wysłać cennik na {JDG_EMAIL}"
    activity = {"type": "email", "subject": subject, "due_date": "2026-03-18", "priority": "normalny"}
    crm.post(
        "activities/new",
        {**activity, "status": "nierozpoczete", "percent_complete": "0", "owner_id": "1", "account_id": str(PIEKARNIA)},
    )
    handlowiec_sees(crm, "email")
    assert subject in crm.get(f"accounts/{PIEKARNIA}/timeline").get_data(as_text=True)
    read = account_reads(crm)[-1]
    assert read["details"]["view"] == "historia zdarzeń firmy" and read["details"]["fields"] == ["e-mail"]
    before = len(account_reads(crm))
    crm.get(f"accounts/{TECHBUD}/timeline")
    assert len(account_reads(crm)) == before


def test_gus_correction_of_the_legal_form_cannot_lift_the_protection_for_a_role_without_email(crm):
    instance_write(crm.root, crm.info.instance_id, "UPDATE account SET pesel = NULL WHERE id = :id", {"id": PIEKARNIA})
    gus = "UPDATE gus_record SET legal_form = 'spolka_cywilna' WHERE unit_type = 'F'"
    instance_write(crm.root, crm.info.instance_id, gus)
    handlowiec_sees(crm, "phone")
    lookup = crm.post(f"accounts/{PIEKARNIA}/verify/gus").get_data(as_text=True)
    assert "spółka cywilna" in lookup and not shows_jdg_contact(lookup)
    response = crm.post(f"accounts/{PIEKARNIA}/verify/gus/apply", {"fields": ["legal_form"]}, follow_redirects=True)
    assert "e-mail firmy przestałby być chroniony" in text_of(response) and JDG_EMAIL not in response.get_data(
        as_text=True
    )
    assert jdg_row(crm)[0] == "jdg" and not crm.log("account.corrected_from_register")
    crm.act_as("ja")
    assert crm.post(f"accounts/{PIEKARNIA}/verify/gus/apply", {"fields": ["legal_form"]}).status_code == 302
    assert jdg_row(crm)[0] == "spolka_cywilna"


def test_owners_access_export_holds_the_sole_traders_email_and_phone_whole_or_not_at_all(crm):
    data = json.loads(crm.get(f"contacts/{ANNA}/export.json").get_data(as_text=True))
    business = data["dzialalnosc_gospodarcza"][0]
    assert (business["email"], business["telefon"]) == (JDG_EMAIL, JDG_PHONE)
    read = account_reads(crm)[-1]
    assert read["entity_id"] == PIEKARNIA and read["details"]["view"] == "eksport danych (art. 15, JSON)"
    assert read["details"]["fields"] == ["PESEL", "e-mail", "telefon"]
    clear = "UPDATE contact SET email = '', phone = '' WHERE id = :id"  # Anna's own e-mail and phone aside
    instance_write(crm.root, crm.info.instance_id, clear, {"id": ANNA})
    handlowiec_sees(crm, "pesel", "birth_date")
    response = crm.get(f"contacts/{ANNA}/export.csv")
    assert response.status_code == 403 and "e-mail, telefon" in text_of(response)
    assert not shows_jdg_contact(response.get_data(as_text=True)) and len(crm.log("rodo.access_export")) == 1


def test_report_sources_and_exports_of_companies_carry_no_email_or_phone(crm):
    assert {f.key for f in SOURCES["accounts"].fields}.isdisjoint({"email", "phone", "pesel"})
    handlowiec_sees(crm)
    args = {"source": "accounts", "columns": [f.key for f in SOURCES["accounts"].fields]}
    csv_text = crm.get("reports/export.csv", query_string=args).data.decode("utf-8-sig")
    book = openpyxl.load_workbook(io.BytesIO(crm.get("reports/export.xlsx", query_string=args).data))
    cells = " ".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)
    for exported in (csv_text, cells):
        assert "Piekarnia Złoty Kłos Anna Mazur" in exported and not shows_jdg_contact(exported)


def test_a_companys_timeline_hides_its_peoples_protected_values_and_logs_whose_it_showed(crm):
    phone, email = crm.one("SELECT phone, email FROM contact WHERE id = :id", {"id": TOMASZ})
    account = crm.one("SELECT account_id FROM contact WHERE id = :id", {"id": TOMASZ})
    subject = f"Oddzwonić do prezesa: {phone}, kopia na {email}"  # free text holding a person's protected values
    activity = {"type": "telefon", "subject": subject, "due_date": "2026-03-18", "priority": "normalny"}
    activity |= {"status": "nierozpoczete", "percent_complete": "0", "owner_id": "1", "account_id": str(account)}
    assert crm.post("activities/new", activity, follow_redirects=True).status_code == 200  # its message shown
    handlowiec_sees(crm, "email")
    before = len(reads(crm))
    page = crm.get(f"accounts/{account}/timeline").get_data(as_text=True)
    assert f"Oddzwonić do prezesa: [{HIDDEN}], kopia na {email}" in page and phone not in page
    read = reads(crm)[before:]
    assert [(r["entity_id"], r["details"]["view"]) for r in read] == [(TOMASZ, "historia zdarzeń firmy")]
    assert read[0]["details"]["fields"] == ["e-mail"] and read[0]["details"]["hidden"] == ["telefon"]
    crm.act_as("ja")
    assert subject in crm.get(f"accounts/{account}/timeline").get_data(as_text=True)  # a role that sees both
    assert reads(crm)[-1]["details"]["fields"] == ["e-mail", "telefon"]
