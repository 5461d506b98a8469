"""Opportunities: a loss reason on every path, stage requirements, the manual probability and the history.

Practice seed: opportunity 1 is in stage 2 "Analiza potrzeb" (needs a meeting), 2 in stage 4
"Negocjacje" with a manual 50 % (needs a meeting and a call), 3 in stage 3 "Przygotowanie oferty"
(needs an e-mail), 4 in stage 1 "Kwalifikacja leada" (needs a call; its call, activity 5, is not done).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy.exc import IntegrityError

from tests.simulator.conftest import instance_write, text_of

KWALIFIKACJA, ANALIZA, OFERTA, NEGOCJACJE, DECYZJA = 1, 2, 3, 4, 5


def opportunity(crm, opp_id: int) -> dict:
    row = crm.sql(
        "SELECT stage_id, status, loss_reason, probability, probability_manual, owner_id "
        "FROM opportunity WHERE id = :id",
        {"id": opp_id},
    )[0]
    return dict(zip(("stage_id", "status", "loss_reason", "probability", "manual", "owner_id"), row, strict=True))


def edit_data(crm, opp_id: int, **changes) -> dict:
    """Return the edit form of an opportunity as the browser would send it, with ``changes``."""
    account_id, contact_id, value, stage_id, probability, manual, owner_id, status, reason = crm.sql(
        "SELECT account_id, contact_id, value, stage_id, probability, probability_manual, owner_id, status, "
        "coalesce(loss_reason, '') FROM opportunity WHERE id = :id",
        {"id": opp_id},
    )[0]
    data = {
        "name": f"Szansa {opp_id}",
        "account_id": account_id,
        "contact_id": contact_id or "",
        "value": f"{value / 100:.2f}",
        "stage_id": stage_id,
        "probability": probability if manual else "",
        "owner_id": owner_id,
        "status": status,
        "loss_reason": reason,
        "loss_note": "",
    }
    data.update(changes)
    return data


def done_activity(crm, opp_id: int, stage_id: int, kind: str) -> None:
    response = crm.post(
        "activities/new",
        {
            "type": kind,
            "subject": f"{kind} dla szansy {opp_id}",
            "due_date": "2026-03-16",
            "priority": "normalny",
            "status": "zakonczone",
            "percent_complete": "100",
            "owner_id": "1",
            "opportunity_id": opp_id,
            "stage_id": stage_id,
        },
    )
    assert response.status_code == 302, text_of(response)


# --- the loss reason cannot be skipped --------------------------------------------------------------


def test_edit_form_refuses_lost_without_reason(crm):
    response = crm.post("opportunities/1/edit", edit_data(crm, 1, status="przegrana"))
    assert response.status_code == 200
    assert "Podaj powód utraty" in text_of(response)
    assert opportunity(crm, 1)["status"] == "otwarta"
    refused = crm.log("validation_error")[-1]
    assert refused["details"]["form"] == "szansa" and "loss_reason" in refused["details"]["errors"]


def test_board_move_refuses_lost_without_reason(crm):
    response = crm.post("opportunities/1/move", {"target": "lost", "loss_reason": ""}, follow_redirects=True)
    assert "Nie przeniesiono szansy" in text_of(response) and "Podaj powód utraty" in text_of(response)
    assert opportunity(crm, 1)["status"] == "otwarta"
    assert crm.log("validation_error")[-1]["details"]["form"] == "przeniesienie szansy"


def test_bulk_edit_refuses_lost_without_reason(crm):
    response = crm.post("opportunities/bulk", {"ids": ["1", "3"], "status": "przegrana"})
    assert response.status_code == 400
    assert "Nie zmieniono żadnej szansy" in text_of(response)
    assert [opportunity(crm, i)["status"] for i in (1, 3)] == ["otwarta", "otwarta"]
    assert crm.log("validation_error")[-1]["details"]["form"] == "edycja zbiorcza"


@pytest.mark.parametrize("path", ["edit", "move", "bulk"])
def test_every_path_accepts_lost_with_a_reason(crm, path):
    if path == "edit":
        response = crm.post("opportunities/1/edit", edit_data(crm, 1, status="przegrana", loss_reason="cena"))
    elif path == "move":
        response = crm.post("opportunities/1/move", {"target": "lost", "loss_reason": "cena"})
    else:
        response = crm.post("opportunities/bulk", {"ids": ["1"], "status": "przegrana", "loss_reason": "cena"})
    assert response.status_code == 302
    assert opportunity(crm, 1) | {"owner_id": None} == {
        "stage_id": ANALIZA,
        "status": "przegrana",
        "loss_reason": "cena",
        "probability": 0,
        "manual": 0,
        "owner_id": None,
    }
    lost = crm.log("opportunity.lost")[-1]
    assert lost["after"]["status"] == "przegrana" and lost["after"]["loss_reason"] == "cena"


@pytest.mark.parametrize("path", ["edit", "move", "bulk"])
def test_reason_other_needs_a_note_on_every_path(crm, path):
    if path == "edit":
        crm.post("opportunities/1/edit", edit_data(crm, 1, status="przegrana", loss_reason="inny"))
    elif path == "move":
        crm.post("opportunities/1/move", {"target": "lost", "loss_reason": "inny"})
    else:
        crm.post("opportunities/bulk", {"ids": ["1"], "status": "przegrana", "loss_reason": "inny"})
    assert opportunity(crm, 1)["status"] == "otwarta"
    crm.post("opportunities/1/move", {"target": "lost", "loss_reason": "inny", "loss_note": "Zamknięcie firmy"})
    assert opportunity(crm, 1)["status"] == "przegrana"


def test_database_itself_refuses_lost_without_reason(crm):
    with pytest.raises(IntegrityError, match="loss_reason_required"):
        instance_write(
            crm.root,
            crm.info.instance_id,
            "UPDATE opportunity SET status = 'przegrana', loss_reason = NULL WHERE id = 1",
        )


# --- the manual probability -------------------------------------------------------------------------


def test_manual_probability_survives_a_stage_change_on_the_board(crm):
    assert opportunity(crm, 2)["probability"] == 50 and opportunity(crm, 2)["manual"] == 1
    response = crm.post("opportunities/2/move", {"target": f"stage:{OFERTA}"}, follow_redirects=True)
    assert "Prawdopodobieństwo ustawione ręcznie (50%) pozostało bez zmian" in text_of(response)
    assert opportunity(crm, 2) | {"owner_id": None} == {
        "stage_id": OFERTA,
        "status": "otwarta",
        "loss_reason": None,
        "probability": 50,
        "manual": 1,
        "owner_id": None,
    }


def test_manual_probability_survives_a_forward_move_in_the_edit_form(crm):
    crm.post("opportunities/1/edit", edit_data(crm, 1, probability="70"))
    assert opportunity(crm, 1)["probability"] == 70 and opportunity(crm, 1)["manual"] == 1
    done_activity(crm, 1, ANALIZA, "spotkanie")
    response = crm.post("opportunities/1/edit", edit_data(crm, 1, stage_id=OFERTA))
    assert response.status_code == 302
    assert opportunity(crm, 1)["stage_id"] == OFERTA and opportunity(crm, 1)["probability"] == 70


def test_stage_probability_follows_the_stage_unless_overridden(crm):
    crm.post("opportunities/3/move", {"target": f"stage:{ANALIZA}"})
    assert opportunity(crm, 3)["probability"] == 25 and opportunity(crm, 3)["manual"] == 0
    crm.post("opportunities/2/edit", edit_data(crm, 2, probability=""))  # clearing the override
    assert opportunity(crm, 2)["probability"] == 60 and opportunity(crm, 2)["manual"] == 0


# --- activities required to leave a stage -----------------------------------------------------------


def test_required_activity_blocks_leaving_a_stage_until_done(crm):
    response = crm.post("opportunities/4/move", {"target": f"stage:{ANALIZA}"}, follow_redirects=True)
    assert "Nie można opuścić etapu „Kwalifikacja leada”: brak zakończonego działania typu telefon" in text_of(response)
    assert opportunity(crm, 4)["stage_id"] == KWALIFIKACJA
    assert crm.post("activities/5/complete").status_code == 302
    crm.post("opportunities/4/move", {"target": f"stage:{ANALIZA}"})
    assert opportunity(crm, 4)["stage_id"] == ANALIZA
    history = crm.sql("SELECT from_stage_id, to_stage_id, via FROM stage_history WHERE opportunity_id = 4 ORDER BY id")
    assert history[-1] == (KWALIFIKACJA, ANALIZA, "tablica")


def test_activity_of_another_stage_does_not_count(crm):
    done_activity(crm, 4, ANALIZA, "telefon")
    crm.post("opportunities/4/move", {"target": f"stage:{ANALIZA}"})
    assert opportunity(crm, 4)["stage_id"] == KWALIFIKACJA


def test_skipping_stages_needs_the_activities_of_every_stage_passed(crm):
    done_activity(crm, 1, ANALIZA, "spotkanie")
    response = crm.post("opportunities/1/move", {"target": f"stage:{NEGOCJACJE}"}, follow_redirects=True)
    assert "Nie można opuścić etapu „Przygotowanie oferty”" in text_of(response)
    assert opportunity(crm, 1)["stage_id"] == ANALIZA
    done_activity(crm, 1, OFERTA, "email")
    crm.post("opportunities/1/move", {"target": f"stage:{NEGOCJACJE}"})
    assert opportunity(crm, 1)["stage_id"] == NEGOCJACJE


def test_winning_needs_the_activities_of_every_remaining_stage(crm):
    response = crm.post("opportunities/3/move", {"target": "won"}, follow_redirects=True)
    assert "Nie można opuścić etapu „Przygotowanie oferty”" in text_of(response)
    for stage, kind in ((OFERTA, "email"), (NEGOCJACJE, "spotkanie"), (NEGOCJACJE, "telefon"), (6, "zadanie")):
        done_activity(crm, 3, stage, kind)
    crm.post("opportunities/3/move", {"target": "won"})
    assert opportunity(crm, 3)["status"] == "wygrana" and opportunity(crm, 3)["probability"] == 100


def test_moving_back_and_losing_need_no_activities(crm):
    crm.post("opportunities/3/move", {"target": f"stage:{KWALIFIKACJA}"})
    assert opportunity(crm, 3)["stage_id"] == KWALIFIKACJA
    crm.post("opportunities/4/move", {"target": "lost", "loss_reason": "brak_budzetu"})
    assert opportunity(crm, 4)["status"] == "przegrana"


def test_edit_form_enforces_the_required_activities_too(crm):
    response = crm.post("opportunities/4/edit", edit_data(crm, 4, stage_id=ANALIZA))
    assert "Nie można opuścić etapu „Kwalifikacja leada”" in text_of(response)
    assert opportunity(crm, 4)["stage_id"] == KWALIFIKACJA


# --- bulk edit ----------------------------------------------------------------------------------------


def test_bulk_edit_is_all_or_nothing(crm):
    response = crm.post("opportunities/bulk", {"ids": ["3", "4"], "stage_id": str(ANALIZA)})
    assert response.status_code == 400
    assert "„Meblomax" not in text_of(response)  # names come from the variation-proof seed names below
    assert "Nie można opuścić etapu „Kwalifikacja leada”" in text_of(response)
    assert opportunity(crm, 3)["stage_id"] == OFERTA  # its own move was fine, but nothing is half-done
    assert opportunity(crm, 4)["stage_id"] == KWALIFIKACJA


def test_bulk_edit_changes_owner_and_stage_together(crm):
    crm.post("activities/5/complete")
    response = crm.post("opportunities/bulk", {"ids": ["3", "4"], "stage_id": str(ANALIZA), "owner_id": "2"})
    assert response.status_code == 302
    for opp_id in (3, 4):
        assert opportunity(crm, opp_id)["stage_id"] == ANALIZA and opportunity(crm, opp_id)["owner_id"] == 2
    assert {e["entity_id"] for e in crm.log() if e["details"].get("via") == "edycja zbiorcza"} == {3, 4}


def test_bulk_edit_needs_a_selection_and_a_change(crm):
    assert "Zaznacz co najmniej jedną szansę" in text_of(crm.post("opportunities/bulk", {"status": "wygrana"}))
    assert "Wybierz, co zmienić" in text_of(crm.post("opportunities/bulk", {"ids": ["1"]}))
    assert crm.post("opportunities/bulk", {"ids": ["999"], "status": "wygrana"}).status_code == 400


# --- creation, history, board -------------------------------------------------------------------------


def test_new_opportunity_takes_the_stage_probability_and_starts_its_history(crm):
    response = crm.post(
        "opportunities/new",
        {
            "name": "Nowa szansa",
            "account_id": "1",
            "contact_id": "1",
            "value": "10 000,00",
            "stage_id": "1",
            "owner_id": "1",
        },
    )
    assert response.status_code == 302
    opp_id = crm.one("SELECT max(id) FROM opportunity")
    assert opportunity(crm, opp_id)["probability"] == 10 and opportunity(crm, opp_id)["manual"] == 0
    assert crm.one("SELECT value FROM opportunity WHERE id = :id", {"id": opp_id}) == 1000000
    assert crm.sql(
        "SELECT to_stage_id, to_status, via FROM stage_history WHERE opportunity_id = :id", {"id": opp_id}
    ) == [(1, "otwarta", "utworzenie")]


def test_contact_must_belong_to_the_opportunitys_company(crm):
    response = crm.post(
        "opportunities/new",
        {"name": "Zła osoba", "account_id": "1", "contact_id": "4", "value": "100", "stage_id": "1", "owner_id": "1"},
    )
    assert "Osoba kontaktowa musi należeć do wybranej firmy" in text_of(response)
    assert crm.one("SELECT count(*) FROM opportunity WHERE name = 'Zła osoba'") == 0


def test_another_pipeline_is_entered_only_at_its_first_stage(crm):
    crm.post("pipelines/new", {"name": "Sprzedaż B2C", "description": "Klienci indywidualni"})
    crm.post("pipelines/2/stages/new", {"name": "Kontakt", "probability": "10"})
    crm.post("pipelines/2/stages/new", {"name": "Oferta", "probability": "50"})
    first, second = (row[0] for row in crm.sql("SELECT id FROM stage WHERE pipeline_id = 2 ORDER BY position"))
    crm.post("opportunities/3/edit", edit_data(crm, 3, stage_id=second))
    assert opportunity(crm, 3)["stage_id"] == OFERTA
    crm.post("opportunities/3/edit", edit_data(crm, 3, stage_id=first))
    assert opportunity(crm, 3)["stage_id"] == first
    assert crm.one("SELECT pipeline_id FROM opportunity WHERE id = 3") == 2


def test_board_shows_the_value_of_open_opportunities_per_stage(crm):
    values = dict(crm.sql("SELECT stage_id, sum(value) FROM opportunity WHERE status = 'otwarta' GROUP BY stage_id"))
    page = text_of(crm.get("opportunities/board"))
    for grosze in values.values():
        shown = f"{grosze / 100:,.2f} zł".replace(",", " ").replace(".", ",")
        assert f"Wartość: {shown}" in page


# --- currency -----------------------------------------------------------------------------------------


def new_opportunity(crm, **changes) -> int:
    data = {"name": "Licencje dla oddziału w Wiedniu", "account_id": "1", "value": "12 000,00"}
    data |= {"stage_id": str(KWALIFIKACJA), "owner_id": "1", "currency": "EUR"}
    response = crm.post("opportunities/new", data | changes)
    assert response.status_code == 302, text_of(response)[:300]
    return crm.one("SELECT max(id) FROM opportunity")


def pln(grosze: int) -> str:
    return f"{grosze / 100:,.2f} zł".replace(",", " ").replace(".", ",")


def test_an_opportunity_in_euro_is_shown_with_its_currency_everywhere(crm):
    opp_id = new_opportunity(crm)
    assert crm.sql("SELECT value, currency FROM opportunity WHERE id = :id", {"id": opp_id}) == [(1200000, "EUR")]
    assert "12 000,00 EUR" in text_of(crm.get(f"opportunities/{opp_id}"))
    for page in ("opportunities/", "opportunities/board", "accounts/1"):
        assert "12 000,00 EUR" in text_of(crm.get(page)), page
    assert "(12 000,00 EUR, etap" in crm.log("opportunity.created")[-1]["summary"]
    assert crm.log("opportunity.created")[-1]["after"]["currency"] == "EUR"
    form = crm.get(f"opportunities/{opp_id}/edit").get_data(as_text=True)
    assert '<option selected value="EUR">' in form


def test_editing_changes_the_currency_and_a_form_without_it_keeps_it(crm):
    opp_id = new_opportunity(crm)
    assert crm.post(f"opportunities/{opp_id}/edit", edit_data(crm, opp_id, currency="USD")).status_code == 302
    assert "12 000,00 USD" in text_of(crm.get(f"opportunities/{opp_id}"))
    assert crm.log("opportunity.updated")[-1]["after"]["currency"] == "USD"
    assert crm.post(f"opportunities/{opp_id}/edit", edit_data(crm, opp_id, value="13000")).status_code == 302
    assert crm.one("SELECT currency FROM opportunity WHERE id = :id", {"id": opp_id}) == "USD"
    assert crm.one("SELECT currency FROM opportunity WHERE id = 1") == "PLN"  # the seed's, by default


@pytest.mark.parametrize("code", ["GBP", "pln", "", "PLN' OR '1'='1"])
def test_a_currency_off_the_list_is_refused_in_polish_and_nothing_is_saved(crm, code):
    before = crm.sql("SELECT id, currency, value FROM opportunity ORDER BY id")
    data = {"name": "Zła waluta", "account_id": "1", "value": "100", "stage_id": "1", "owner_id": "1"}
    response = crm.post("opportunities/new", {**data, "currency": code})
    assert response.status_code == 200 and "Wybierz walutę z listy." in text_of(response)
    response = crm.post("opportunities/1/edit", edit_data(crm, 1, currency=code, value="1"))
    assert response.status_code == 200 and "Wybierz walutę z listy." in text_of(response)
    assert crm.sql("SELECT id, currency, value FROM opportunity ORDER BY id") == before
    refused = crm.log("validation_error")
    assert len(refused) == 2 and all(e["details"]["errors"]["currency"] == ["Wybierz walutę z listy."] for e in refused)


def test_database_itself_refuses_an_unknown_currency(crm):
    with pytest.raises(IntegrityError, match="currency_code"):
        instance_write(crm.root, crm.info.instance_id, "UPDATE opportunity SET currency = 'GBP' WHERE id = 1")


def test_totals_count_only_pln_and_say_what_they_left_out(crm):
    """The chosen rule: amounts are never converted, so every total is of the opportunities in PLN."""
    open_pln = crm.one("SELECT sum(value) FROM opportunity WHERE status = 'otwarta'")
    stage_pln = crm.one("SELECT coalesce(sum(value), 0) FROM opportunity WHERE status = 'otwarta' AND stage_id = 1")
    new_opportunity(crm)
    new_opportunity(crm, name="Serwis dla Berlina", currency="USD", value="500")
    note = "tylko szanse w PLN; pominięto 1 szansę w EUR, 1 szansę w USD"
    board = crm.get("opportunities/board").get_data(as_text=True)
    column = board.split('id="col-1"')[1].split("</section>")[0]
    assert f"Wartość: <strong>{pln(stage_pln)}</strong>" in column and note in column
    assert board.count('data-testid="currency-note"') == 1  # only the column holding them says so
    home = text_of(crm.get(""))
    assert f"Wartość otwartych szans: {pln(open_pln)}" in home and note in home
    dashboard = crm.get("reports/dashboard").get_data(as_text=True)
    assert f'data-testid="pipeline-value">{pln(open_pln)}<' in dashboard and note in dashboard
    assert re.search(r'data-testid="pipeline-count">6<', dashboard)  # counted, not summed
    assert crm.log("report.dashboard_viewed")[-1]["details"]["left_out_by_currency"] == {"EUR": 1, "USD": 1}
    listing = crm.get("opportunities/?stage_id=1").get_data(as_text=True)
    assert f'data-testid="list-total">{pln(stage_pln)}<' in listing and note in listing


def test_totals_without_other_currencies_carry_no_note(crm):
    for page in ("", "opportunities/", "opportunities/board", "reports/dashboard"):
        assert 'data-testid="currency-note"' not in crm.get(page).get_data(as_text=True), page
