"""Polish identifiers: a table of valid and invalid NIP, REGON, KRS and PESEL, in code and through the forms."""

from __future__ import annotations

from datetime import date

import pytest

from simulator.crm import validators as v
from tests.simulator.conftest import text_of

VALID = [
    (v.normalise_nip, "7794630539", "7794630539"),
    (v.normalise_nip, "779-463-05-39", "7794630539"),
    (v.normalise_nip, "PL 779 463 05 39", "7794630539"),
    (v.normalise_regon, "307728089", "307728089"),
    (v.normalise_regon, "12345678512347", "12345678512347"),
    (v.normalise_regon, "020333016", "020333016"),
    (v.normalise_krs, "0000253193", "0000253193"),
    (v.normalise_krs, "0000 253 193", "0000253193"),
    (v.normalise_pesel, "79051498720", "79051498720"),
    (v.normalise_pesel, "01272358798", "01272358798"),  # born in 2001: month + 20
    (v.normalise_pesel, "44051401359", "44051401359"),
]

INVALID = [
    (v.normalise_nip, "7794630538", "NIP ma niepoprawną cyfrę kontrolną"),
    (v.normalise_nip, "779463053", "NIP musi mieć 10 cyfr (wpisano 9)"),
    (v.normalise_nip, "77946305391", "NIP musi mieć 10 cyfr (wpisano 11)"),
    (v.normalise_nip, "779A630539", "NIP może zawierać tylko cyfry"),
    (v.normalise_nip, "DE 7794630539", "NIP może zawierać tylko cyfry"),
    (v.normalise_nip, "٧٧٩٤٦٣٠٥٣٩", "NIP może zawierać tylko cyfry"),  # non-ASCII digits
    (v.normalise_regon, "307728088", "REGON ma niepoprawną cyfrę kontrolną"),
    (v.normalise_regon, "12345678512348", "REGON ma niepoprawną cyfrę kontrolną"),
    (v.normalise_regon, "12345678612342", "REGON ma niepoprawną cyfrę kontrolną"),
    (v.normalise_regon, "3077280891", "REGON musi mieć 9 cyfr (jednostka) albo 14 cyfr"),
    (v.normalise_regon, "30772808X", "REGON może zawierać tylko cyfry"),
    (v.normalise_krs, "253193", "Numer KRS musi mieć 10 cyfr (wpisano 6)"),
    (v.normalise_krs, "00002531931", "Numer KRS musi mieć 10 cyfr (wpisano 11)"),
    (v.normalise_krs, "KRS0000253", "Numer KRS może zawierać tylko cyfry"),
    (v.normalise_pesel, "79051498721", "PESEL ma niepoprawną cyfrę kontrolną"),
    (v.normalise_pesel, "7905149872", "PESEL musi mieć 11 cyfr (wpisano 10)"),
    (v.normalise_pesel, "790514987201", "PESEL musi mieć 11 cyfr (wpisano 12)"),
    (v.normalise_pesel, "7905149872O", "PESEL może zawierać tylko cyfry"),
    (v.normalise_pesel, "02381307589", "PESEL zawiera nieistniejącą datę urodzenia"),
    (v.normalise_postal_code, "60243", None),
    (v.normalise_postal_code, "6-0243", "Kod pocztowy musi mieć postać NN-NNN"),
    (v.normalise_pkd, "62.01", "Kod PKD ma postać NN.NN.X"),
    (v.normalise_phone, "12345", "Numer telefonu powinien mieć 9 cyfr"),
    (v.normalise_email, "jan.kowalski@", "Adres e-mail jest niepoprawny"),
]


@pytest.mark.parametrize(("normalise", "raw", "stored"), VALID)
def test_valid_identifiers_are_stored_compact(normalise, raw, stored):
    assert normalise(raw) == stored


@pytest.mark.parametrize(("normalise", "raw", "message"), [i for i in INVALID if i[2]])
def test_invalid_identifiers_are_refused_with_a_polish_message(normalise, raw, message):
    with pytest.raises(v.InvalidValue, match=message.replace("(", r"\(").replace(")", r"\)")):
        normalise(raw)


def test_postal_code_pkd_and_phone_are_normalised():
    assert v.normalise_postal_code("60243") == "60-243"
    assert v.normalise_pkd("6201z") == "62.01.Z"
    assert v.normalise_phone("601 234 567") == "+48601234567"
    assert v.normalise_phone("0048 601-234-567") == "+48601234567"
    assert v.normalise_phone("+49 30 1234567") == "+49301234567"
    assert v.format_phone("+48601234567") == "+48 601 234 567"
    assert v.format_phone("+48618421730") == "+48 61 842 17 30"


def test_pesel_birth_date_must_match_the_entered_one():
    v.check_pesel_birth_date("79051498720", date(1979, 5, 14))
    with pytest.raises(
        v.InvalidValue, match=r"PESEL \(14\.05\.1979\) różni się od podanej daty urodzenia \(15\.05\.1979\)"
    ):
        v.check_pesel_birth_date("79051498720", date(1979, 5, 15))
    assert v.pesel_sex("79051498720") == "K" and v.pesel_sex("01272358798") == "M"


ACCOUNT = {"name": "Nowa Firma sp. z o.o.", "data_source": "targi", "owner_id": "1"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nip", "779-463-05-38", "NIP ma niepoprawną cyfrę kontrolną"),
        ("nip", "12345", "NIP musi mieć 10 cyfr (wpisano 5)"),
        ("regon", "30772808", "REGON musi mieć 9 cyfr"),
        ("krs", "ABC", "Numer KRS może zawierać tylko cyfry"),
        ("postal_code", "600-243", "Kod pocztowy musi mieć postać NN-NNN"),
        ("data_source", "", "Wskaż źródło, z którego pochodzą dane."),
        ("name", "", "To pole jest wymagane."),
        ("voivodeship", "bawaria", "Nieprawidłowy wybór"),
        ("legal_form", "spzoo", "Nieprawidłowy wybór"),
    ],
)
def test_account_form_refuses_bad_input_and_logs_it(crm, field, value, message):
    before = crm.one("SELECT count(*) FROM account")
    response = crm.post("accounts/new", {**ACCOUNT, field: value})
    assert response.status_code == 200
    assert message.lower() in text_of(response).lower()
    assert crm.one("SELECT count(*) FROM account") == before
    logged = crm.log("validation_error")[-1]
    assert logged["actor_kind"] == "candidate" and logged["details"]["form"] == "firma"
    assert field in logged["details"]["errors"]
    assert logged["details"]["submitted"][field] == value


def test_account_form_stores_identifiers_compact(crm):
    response = crm.post(
        "accounts/new",
        {**ACCOUNT, "nip": "PL 526-025-02-74", "regon": "012100784", "krs": "0000019193", "postal_code": "00950"},
    )
    assert response.status_code == 302
    assert crm.sql("SELECT nip, regon, krs, postal_code FROM account ORDER BY id DESC LIMIT 1") == [
        ("5260250274", "012100784", "0000019193", "00-950")
    ]


ONLY_SOLE_TRADER = (
    "PESEL podaje się tylko dla jednoosobowej działalności gospodarczej (przedsiębiorca – osoba fizyczna)."
)
JDG_NOT_IN_KRS = (
    "Jednoosobowa działalność gospodarcza nie jest wpisywana do KRS – przedsiębiorca (osoba fizyczna) jest wpisany "
    "do CEIDG"
)
CIVIL_NOT_IN_KRS = "Spółka cywilna nie jest wpisywana do KRS"


@pytest.mark.parametrize(
    ("legal_form", "pesel", "krs", "errors"),
    [
        ("jdg", "44051401359", None, {}),
        ("jdg", None, None, {}),
        (None, None, "0000253193", {}),
        ("spolka_z_oo", None, "0000253193", {}),
        ("spolka_cywilna", None, None, {}),
        ("spolka_z_oo", "44051401359", None, {"pesel": ONLY_SOLE_TRADER}),
        ("spolka_cywilna", "44051401359", None, {"pesel": ONLY_SOLE_TRADER}),
        (None, "44051401359", None, {"pesel": ONLY_SOLE_TRADER}),
        ("jdg", "44051401359", "0000253193", {"krs": JDG_NOT_IN_KRS}),
        ("spolka_cywilna", None, "0000253193", {"krs": CIVIL_NOT_IN_KRS}),
        ("spolka_cywilna", "44051401359", "0000253193", {"pesel": ONLY_SOLE_TRADER, "krs": CIVIL_NOT_IN_KRS}),
    ],
)
def test_legal_form_decides_whether_a_company_has_a_pesel_or_a_krs(legal_form, pesel, krs, errors):
    found = v.legal_form_errors(legal_form, pesel=pesel, krs=krs)
    assert set(found) == set(errors)
    assert all(found[name].startswith(message) for name, message in errors.items())


def test_a_civil_partnership_is_explained_correctly():
    message = v.legal_form_errors("spolka_cywilna", pesel=None, krs="0000253193")["krs"]
    assert "wspólnicy" in message and "CEIDG" in message  # its partners are in CEIDG, the partnership is in no KRS


SOLE_TRADER = {**ACCOUNT, "name": "Usługi Ogrodnicze Jan Zieliński", "legal_form": "jdg"}


def test_sole_trader_is_saved_with_the_owners_pesel_compact(crm):
    response = crm.post("accounts/new", {**SOLE_TRADER, "pesel": "440514 01359", "nip": "586-213-47-06"})
    assert response.status_code == 302
    assert crm.sql("SELECT legal_form, pesel, krs FROM account ORDER BY id DESC LIMIT 1") == [
        ("jdg", "44051401359", None)
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"pesel": "44051401358"}, "pesel", "PESEL ma niepoprawną cyfrę kontrolną"),
        ({"pesel": "4405140135"}, "pesel", "PESEL musi mieć 11 cyfr (wpisano 10)"),
        ({"pesel": "4405140135X"}, "pesel", "PESEL może zawierać tylko cyfry"),
        ({"pesel": "02381307589"}, "pesel", "PESEL zawiera nieistniejącą datę urodzenia"),
        ({"pesel": "44051401359", "legal_form": "spolka_z_oo"}, "pesel", ONLY_SOLE_TRADER),
        ({"pesel": "44051401359", "legal_form": "spolka_cywilna"}, "pesel", ONLY_SOLE_TRADER),
        ({"pesel": "44051401359", "legal_form": ""}, "pesel", ONLY_SOLE_TRADER),
        ({"pesel": "44051401359", "krs": "0000253193"}, "krs", JDG_NOT_IN_KRS),
        ({"krs": "0000253193"}, "krs", JDG_NOT_IN_KRS),
        ({"krs": "0000253193", "legal_form": "spolka_cywilna"}, "krs", CIVIL_NOT_IN_KRS),
    ],
)
def test_account_pesel_is_refused_unless_a_valid_one_of_a_sole_trader(crm, data, field, message):
    before = crm.sql("SELECT * FROM account ORDER BY id")
    response = crm.post("accounts/new", {**SOLE_TRADER, **data})
    assert response.status_code == 200 and message in text_of(response)
    assert crm.sql("SELECT * FROM account ORDER BY id") == before  # nothing saved
    refused = crm.log("validation_error")[-1]  # the attempt is in the log, with what was typed
    assert refused["details"]["form"] == "firma" and message in refused["summary"]
    assert any(m.startswith(message) for m in refused["details"]["errors"][field])
    assert all(refused["details"]["submitted"][name] == value for name, value in data.items())


def test_editing_a_sole_trader_into_a_company_keeps_nothing_inconsistent(crm):
    piekarnia = crm.one("SELECT id FROM account WHERE legal_form = 'jdg'")
    stored = crm.sql("SELECT * FROM account WHERE id = :id", {"id": piekarnia})
    page = crm.get(f"accounts/{piekarnia}/edit").get_data(as_text=True)
    assert "79051498720" in page  # the candidate's role (Administrator CRM) sees PESEL
    data = {**ACCOUNT, "name": "Piekarnia Złoty Kłos sp. z o.o.", "legal_form": "spolka_z_oo", "pesel": "79051498720"}
    response = crm.post(f"accounts/{piekarnia}/edit", data)
    assert response.status_code == 200 and ONLY_SOLE_TRADER in text_of(response)
    assert crm.sql("SELECT * FROM account WHERE id = :id", {"id": piekarnia}) == stored
    assert crm.log("validation_error")[-1]["entity_id"] == piekarnia


CONTACT = {"first_name": "Jan", "last_name": "Zawadzki", "data_source": "polecenie"}


def test_contact_with_pesel_of_another_birth_date_is_refused(crm):
    response = crm.post("contacts/new", {**CONTACT, "pesel": "01272358798", "birth_date": "2001-07-24"})
    assert (
        "Data urodzenia zapisana w numerze PESEL (23.07.2001) różni się od podanej daty urodzenia (24.07.2001)"
        in text_of(response)
    )
    assert crm.one("SELECT count(*) FROM contact WHERE last_name = 'Zawadzki'") == 0
    assert crm.log("validation_error")[-1]["details"]["errors"]["birth_date"]


@pytest.mark.parametrize(
    ("pesel", "message"),
    [
        ("01272358797", "PESEL ma niepoprawną cyfrę kontrolną"),
        ("0127235879", "PESEL musi mieć 11 cyfr (wpisano 10)"),
        ("0127235879a", "PESEL może zawierać tylko cyfry"),
        ("02381307589", "PESEL zawiera nieistniejącą datę urodzenia"),
    ],
)
def test_contact_form_refuses_invalid_pesel(crm, pesel, message):
    response = crm.post("contacts/new", {**CONTACT, "pesel": pesel})
    assert message in text_of(response)
    assert crm.one("SELECT count(*) FROM contact WHERE last_name = 'Zawadzki'") == 0
    refused = crm.log("validation_error")[-1]  # the attempt is in the log, with what was typed
    assert message in refused["summary"] and refused["details"]["submitted"]["pesel"] == pesel


def test_contact_birth_date_is_filled_from_pesel_and_the_user_is_told(crm):
    response = crm.post("contacts/new", {**CONTACT, "pesel": "01272358798"}, follow_redirects=True)
    assert "Datę urodzenia (23.07.2001) uzupełniono na podstawie numeru PESEL." in text_of(response)
    assert crm.one("SELECT birth_date FROM contact WHERE last_name = 'Zawadzki'") == "2001-07-23"


@pytest.mark.parametrize("amount", ["abc", "12,345", "-5", "1e3x"])
def test_product_price_must_be_a_proper_amount(crm, amount):
    response = crm.post("products/new", {"name": "X", "unit": "szt.", "net_price": amount, "vat_rate": "23"})
    assert response.status_code == 200 and "Kwota" in text_of(response)
    assert crm.one("SELECT count(*) FROM product WHERE name = 'X'") == 0


@pytest.mark.parametrize(
    ("typed", "grosze"), [("12.500,50", 1250050), ("1.250.000", 125000000), ("12 500 zł", 1250000)]
)
def test_product_price_reads_dots_grouping_thousands_where_nothing_else_is_meant(crm, typed, grosze):
    response = crm.post("products/new", {"name": "X", "unit": "szt.", "net_price": typed, "vat_rate": "23"})
    assert response.status_code == 302
    assert crm.one("SELECT net_price FROM product WHERE name = 'X'") == grosze


@pytest.mark.parametrize("typed", ["12.500", "1.500"])
def test_a_price_that_reads_two_ways_is_refused_not_guessed(crm, typed):
    """ "12.500" is 12 500 zł to who groups thousands with a dot and 12,50 zł to who writes decimals with one."""
    response = crm.post("products/new", {"name": "X", "unit": "szt.", "net_price": typed, "vat_rate": "23"})
    page = text_of(response)
    assert response.status_code == 200 and f"Niejednoznaczna liczba „{typed}”" in page and "np. 12 500" in page
    assert f'value="{typed}"' in response.get_data(as_text=True)  # what was typed is kept for correcting
    assert crm.one("SELECT count(*) FROM product WHERE name = 'X'") == 0


def test_product_price_accepts_the_polish_notation(crm):
    response = crm.post("products/new", {"name": "X", "unit": "szt.", "net_price": "12 500,50", "vat_rate": "zw"})
    assert response.status_code == 302
    assert crm.sql("SELECT net_price, vat_rate FROM product WHERE name = 'X'") == [(1250050, "zw")]
