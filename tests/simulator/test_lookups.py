"""Mock GUS and VIES: the register beside the CRM, deliberate mismatches shown, corrections applied and logged."""

from __future__ import annotations

from tests.simulator.conftest import instance_write, text_of

KANCELARIA, HOTEL, BILANS, TECHBUD, TRANSKOM, EKOTERM, PRYZMAT = 7, 8, 4, 1, 5, 10, 11
PIEKARNIA = 2  # a sole trader (JDG): in GUS a natural person's business (type F)


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


# --- legal form from the register; never a PESEL ------------------------------------------------------------------


def _forget_legal_form(crm, account_id: int) -> None:
    instance_write(
        crm.root, crm.info.instance_id, "UPDATE account SET legal_form = NULL WHERE id = :id", {"id": account_id}
    )


def test_legal_form_registered_in_gus_can_be_applied(crm):
    _forget_legal_form(crm, TECHBUD)
    page = text_of(crm.post(f"accounts/{TECHBUD}/verify/gus"))
    assert "Forma prawna — spółka z ograniczoną odpowiedzialnością (sp. z o.o.) różnica" in page
    assert crm.log("lookup.gus")[-1]["details"]["differences"]["legal_form"] == {"crm": "", "register": "spolka_z_oo"}
    assert crm.post(f"accounts/{TECHBUD}/verify/gus/apply", {"fields": ["legal_form"]}).status_code == 302
    assert crm.one("SELECT legal_form FROM account WHERE id = :id", {"id": TECHBUD}) == "spolka_z_oo"
    assert crm.log("account.corrected_from_register")[-1]["after"] == {"legal_form": "spolka_z_oo"}


def test_a_natural_persons_business_is_a_sole_trader_and_gus_gives_no_pesel(crm):
    pesel = crm.one("SELECT pesel FROM account WHERE id = :id", {"id": PIEKARNIA})
    assert pesel
    response = crm.post(f"accounts/{PIEKARNIA}/verify/gus")
    page = text_of(response)
    assert "Forma prawna jednoosobowa działalność gospodarcza (CEIDG) jednoosobowa działalność" in page  # zgodne
    assert pesel not in response.get_data(as_text=True) and "PESEL" not in page
    assert "legal_form" not in crm.log("lookup.gus")[-1]["details"]["differences"]
    _forget_legal_form(crm, PIEKARNIA)
    assert "Forma prawna — jednoosobowa" in text_of(crm.post(f"accounts/{PIEKARNIA}/verify/gus"))


def test_a_legal_form_from_the_register_that_rules_out_the_stored_pesel_is_refused(crm):
    before = crm.sql("SELECT * FROM account WHERE id = :id", {"id": PIEKARNIA})
    instance_write(
        crm.root, crm.info.instance_id, "UPDATE gus_record SET legal_form = 'spolka_cywilna' WHERE unit_type = 'F'"
    )
    response = crm.post(f"accounts/{PIEKARNIA}/verify/gus/apply", {"fields": ["legal_form"]}, follow_redirects=True)
    assert "PESEL podaje się tylko dla jednoosobowej działalności gospodarczej" in text_of(response)
    assert crm.sql("SELECT * FROM account WHERE id = :id", {"id": PIEKARNIA}) == before
    assert not crm.log("account.corrected_from_register") and crm.log("validation_error")[-1]["entity_id"] == PIEKARNIA
