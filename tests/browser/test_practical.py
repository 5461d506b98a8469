"""The practical part in Chromium: the operator prepares and starts the CRM instances; the candidate works with
the task list beside the CRM, creates a company, a contact and an opportunity, prepares and sends an offer; a
commission member watching the candidate's live timeline sees those actions appear without reloading."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

COMPANY = "Przeglądarka Testowa sp. z o.o."


def _select_containing(select, text: str) -> None:
    """Choose the first option whose label contains ``text``."""
    labels = select.locator("option").all_inner_texts()
    select.select_option(label=next(label for label in labels if text in label))


def test_candidate_works_in_the_crm_and_the_commission_sees_it_live(live_server, browser, artifacts):
    base = live_server.url
    contexts = [browser.new_context(locale="pl-PL", viewport={"width": 1366, "height": 900}) for _ in range(3)]
    operator, member, candidate = (c.new_page() for c in contexts)
    try:
        log_in(operator, base, "operator@demo.example")
        operator.goto(f"{base}/sessions/")
        operator.get_by_role("link", name="część praktyczna").click()
        operator.get_by_role("button", name="Przygotuj instancje CRM dla wszystkich kandydatów").click()
        expect(operator.get_by_role("alert").first).to_contain_text("Przygotowano instancje CRM: 3.")
        operator.get_by_role("button", name="Rozpocznij część praktyczną (przygotowani kandydaci)").click()
        expect(operator.get_by_role("alert").first).to_contain_text("Rozpoczęto część praktyczną: 3 kandydatów.")

        log_in(member, base, "komisja2@demo.example")  # a commission member only
        member.goto(f"{base}/sessions/")
        member.get_by_role("link", name="obserwacja").click()
        member.get_by_role("link", name="Katarzyna Lewandowska").click()
        expect(member.get_by_role("heading", level=1)).to_contain_text("Katarzyna Lewandowska")

        log_in(candidate, base, "kandydat1@demo.example")
        candidate.get_by_role("link", name="Część praktyczna").click()
        candidate.get_by_role("link", name="Otwórz").click()
        expect(candidate.get_by_test_id("clock")).to_have_text(re.compile(r"^2:[0-5]\d:\d\d$"))
        tasks = candidate.frame_locator("iframe[title='Zadania']")
        expect(tasks.get_by_role("heading", level=1)).to_be_visible()
        crm_frame = candidate.frame_locator("iframe[title='System CRM']")
        expect(crm_frame.get_by_role("heading", name="Pulpit", level=1)).to_be_visible()
        candidate.screenshot(path=str(artifacts / "practical-candidate.png"), full_page=True)
        crm = base + candidate.locator("iframe[title='System CRM']").get_attribute("src")

        candidate.goto(crm + "accounts/new")
        candidate.get_by_label("Nazwa firmy").fill(COMPANY)
        candidate.get_by_label("Źródło danych").select_option(index=1)
        candidate.get_by_role("button", name="Zapisz").click()
        expect(candidate.get_by_role("heading", level=1)).to_contain_text(COMPANY)

        candidate.goto(crm + "contacts/new")
        candidate.get_by_label("Imię").fill("Oliwia")
        candidate.get_by_label("Nazwisko").fill("Przeglądowa")
        _select_containing(candidate.get_by_label("Firma", exact=True), COMPANY)
        candidate.get_by_label("E-mail", exact=True).fill("oliwia.przegladowa@przegladarka.example")
        candidate.get_by_label("Źródło danych").select_option(index=1)
        candidate.get_by_role("button", name="Zapisz").click()
        expect(candidate.get_by_role("heading", level=1)).to_contain_text("Przeglądowa")

        candidate.goto(crm + "opportunities/new")
        candidate.get_by_label("Nazwa szansy").fill("Wdrożenie helpdesku – test przeglądarki")
        _select_containing(candidate.get_by_label("Firma (kontrahent)"), COMPANY)
        _select_containing(candidate.get_by_label("Osoba kontaktowa"), "Przeglądowa")
        candidate.get_by_label("Wartość netto").fill("24000")
        candidate.get_by_label("Etap", exact=True).select_option(index=1)
        candidate.get_by_role("button", name="Zapisz").click()
        opportunity_id = re.search(r"/opportunities/(\d+)", candidate.url).group(1)

        candidate.goto(crm + f"offers/new?opportunity_id={opportunity_id}")
        candidate.get_by_label("Pozycja 1: produkt").select_option(index=1)
        candidate.get_by_label("Pozycja 1: ilość").fill("1")
        candidate.get_by_role("button", name="Przygotuj ofertę").click()
        candidate.get_by_role("button", name="Wyślij do klienta").click()
        expect(candidate.get_by_role("alert").first).to_be_visible()

        rows = member.locator("#timeline-rows")
        for action in ("account.created", "contact.created", "opportunity.created", "offer.created", "offer.sent"):
            expect(rows.get_by_role("cell", name=action, exact=True)).to_be_visible(timeout=15000)
        member.screenshot(path=str(artifacts / "practical-timeline.png"), full_page=True)

        # the commission replays the log: from step 1, playing moves on by itself until stopped
        member.get_by_test_id("replay-start").click()
        expect(member.get_by_test_id("replay-position")).to_have_text(re.compile(r"^Krok 1 z \d+$"))
        member.get_by_test_id("replay-play").click()
        expect(member.get_by_test_id("replay-position")).to_have_text(re.compile(r"^Krok 3 z \d+$"), timeout=10000)
        member.get_by_test_id("replay-stop").click()
        stopped = member.get_by_test_id("replay-position").inner_text()
        member.wait_for_timeout(2500)
        expect(member.get_by_test_id("replay-position")).to_have_text(stopped)
        member.get_by_label("Przejdź do kroku").fill("2")
        member.get_by_role("button", name="Przejdź", exact=True).click()
        expect(member.get_by_test_id("replay-position")).to_have_text(re.compile(r"^Krok 2 z \d+$"))
        member.goto(member.url.split("?")[0] + "?krok=abc")  # past the browser's own check of the field
        expect(member.locator("body")).to_contain_text("Krok odtwarzania musi być liczbą od 1 do")
    finally:
        for context in contexts:
            context.close()
