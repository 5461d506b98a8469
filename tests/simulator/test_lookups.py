"""Mock GUS and VIES: the register beside the CRM, deliberate mismatches shown, corrections applied and logged."""

from __future__ import annotations

from tests.simulator.conftest import text_of

KANCELARIA, HOTEL, BILANS, TECHBUD, TRANSKOM, EKOTERM, PRYZMAT = 7, 8, 4, 1, 5, 10, 11


def test_matching_company_shows_no_difference(crm):
    page = text_of(crm.post(f"accounts/{TECHBUD}/verify/gus"))
    assert "Dane w CRM są zgodne z rejestrem" not in page  # the register writes the legal form in full
    assert "TECHBUD SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ" in page
    entry = crm.log("lookup.gus")[-1]
    assert entry["entity_id"] == TECHBUD and entry["details"]["found"] is True
    assert set(entry["details"]["differences"]) == {"name"}


def test_different_registered_name_is_shown_side_by_side_and_can_be_applied(crm):
    page = text_of(crm.post(f"accounts/{KANCELARIA}/verify/gus"))
    assert "Kancelaria Radców Prawnych Nowicki i Wspólnicy sp.k." in page
    assert "NOWICKI I WSPÓLNICY KANCELARIA RADCÓW PRAWNYCH SPÓŁKA KOMANDYTOWA" in page
    assert crm.post(f"accounts/{KANCELARIA}/verify/gus/apply", {"fields": ["name"]}).status_code == 302
    assert crm.one("SELECT name FROM account WHERE id = :id", {"id": KANCELARIA}) == (
        "NOWICKI I WSPÓLNICY KANCELARIA RADCÓW PRAWNYCH SPÓŁKA KOMANDYTOWA"
    )
    entry = crm.log("account.corrected_from_register")[-1]
    assert entry["before"] == {"name": "Kancelaria Radców Prawnych Nowicki i Wspólnicy sp.k."}
    assert entry["details"] == {"register": "GUS"}
    assert [e["action"] for e in crm.log() if e["action"].startswith("lookup.")] == ["lookup.gus", "lookup.gus"]


def test_missing_krs_and_moved_address_are_completed_from_gus(crm):
    page = text_of(crm.post(f"accounts/{EKOTERM}/verify/gus"))
    assert "0000714225" in page
    crm.post(f"accounts/{EKOTERM}/verify/gus/apply", {"fields": ["krs"]})
    assert crm.one("SELECT krs FROM account WHERE id = :id", {"id": EKOTERM}) == "0000714225"
    crm.post(f"accounts/{TRANSKOM}/verify/gus/apply", {"fields": ["street", "postal_code"]})
    assert crm.sql("SELECT street, postal_code FROM account WHERE id = :id", {"id": TRANSKOM}) == [
        ("ul. Strzegomska 140", "54-432")
    ]


def test_closed_business_is_flagged(crm):
    page = text_of(crm.post(f"accounts/{HOTEL}/verify/gus"))
    assert "status „wykreślony” od 2025-11-28" in page


def test_regon_of_a_local_unit_is_flagged(crm):
    page = text_of(crm.post(f"accounts/{PRYZMAT}/verify/gus"))
    assert "REGON jednostki lokalnej" in page and "473128564" in page
    crm.post(f"accounts/{PRYZMAT}/verify/gus/apply", {"fields": ["regon"]})
    assert crm.one("SELECT regon FROM account WHERE id = :id", {"id": PRYZMAT}) == "473128564"


def test_inactive_vat_payer_in_vies(crm):
    page = text_of(crm.post(f"accounts/{BILANS}/verify/vies"))
    assert "nieaktywny – numer VAT-UE nieważny" in page and "PL5837803828" in page
    assert "aktywny (ważny numer VAT-UE)" in text_of(crm.post(f"accounts/{TECHBUD}/verify/vies"))
    assert [e["details"]["found"] for e in crm.log("lookup.vies")] == [True, True]


def test_applying_nothing_is_refused_and_logged(crm):
    response = crm.post(f"accounts/{KANCELARIA}/verify/gus/apply", {}, follow_redirects=True)
    assert "Zaznacz co najmniej jedno pole" in text_of(response)
    assert crm.log("validation_error")
    assert not crm.log("account.corrected_from_register")


def test_account_page_offers_the_checks(crm):
    html = crm.get(f"accounts/{TECHBUD}").get_data(as_text=True)
    assert "Sprawdź w GUS" in html and "Sprawdź w VIES" in html
