"""A candidate takes the whole test in Chromium; the network drops mid-test; the operator pauses and extends."""

import re
import time

import pytest
from sqlalchemy import select

from examplatform.extensions import db
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _console_action(page, candidate_name, action_label, **fields):
    page.get_by_label(f"Zaznacz {candidate_name}").check()
    page.get_by_label("Działanie", exact=True).select_option(label=action_label)
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Wykonaj", exact=True).click()
    page.wait_for_load_state()


def _seconds(clock_text: str) -> int:
    parts = [int(p) for p in clock_text.split(":")]
    return parts[0] * 60 + parts[1] if len(parts) == 2 else parts[0] * 3600 + parts[1] * 60 + parts[2]


def _answer_current_item(page) -> None:
    fieldset = page.locator("#item fieldset")
    kind = fieldset.get_attribute("data-item-type")
    if kind in ("single", "truefalse", "multiple"):
        fieldset.locator("input").first.check()
    elif kind == "matching":
        for select in fieldset.locator("select").all():
            select.select_option(index=1)
    elif kind == "ordering":
        fieldset.get_by_role("button", name=re.compile("^Miejsce")).nth(1).click()


def _server_answers(app, form_code):
    from examplatform.theory.models import Attempt, TestForm

    with app.app_context():
        attempt = db.session.scalar(select(Attempt).join(TestForm).where(TestForm.code == form_code))
        count = len(attempt.answers)
        db.session.remove()
    return count


def test_whole_test_survives_a_network_drop_and_follows_the_operator(live_server, browser, artifacts):
    base = live_server.url
    operator_ctx = browser.new_context(locale="pl-PL")
    candidate_ctx = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 900})
    operator, candidate = operator_ctx.new_page(), candidate_ctx.new_page()
    try:
        log_in(operator, base, "operator@demo.example")
        operator.goto(f"{base}/sessions/")
        operator.get_by_role("link", name="DEMO-KRK-01").click()
        operator.get_by_role("button", name="Ustaw PIN sesji").click()
        pin = re.search(r"Nowy PIN sesji: (\d{6})", operator.content()).group(1)
        _console_action(
            operator,
            "Katarzyna Lewandowska",
            "Potwierdź tożsamość",
            **{"Sprawdzony dokument tożsamości": "dowód osobisty"},
        )
        _console_action(operator, "Katarzyna Lewandowska", "Zezwól na start")

        log_in(candidate, base, "kandydat1@demo.example")
        candidate.get_by_role("link", name="Test teoretyczny").click()
        candidate.get_by_role("link", name="Przejdź do rozpoczęcia").click()
        candidate.get_by_label("PIN sesji (od operatora)").fill(pin)
        candidate.get_by_role("button", name="Rozpocznij test").click()
        candidate.wait_for_selector("#item fieldset")
        form_code = re.search(r"Formularz (T-\w+)", candidate.locator(".test-bar").inner_text()).group(1)

        for _ in range(15):
            _answer_current_item(candidate)
            candidate.get_by_role("button", name="Następne →").click()
        candidate.wait_for_selector('#save-state[data-state="saved"]')
        assert _server_answers(live_server.app, form_code) == 15

        candidate_ctx.set_offline(True)
        for _ in range(10):
            _answer_current_item(candidate)
            candidate.get_by_role("button", name="Następne →").click()
        candidate.wait_for_selector('#save-state[data-state="offline"]', timeout=10_000)
        assert "odpowiedzi zachowane na tym komputerze" in candidate.locator("#save-state").inner_text()
        candidate.screenshot(path=str(artifacts / "theory-offline.png"))
        assert _server_answers(live_server.app, form_code) == 15  # nothing reached the server…
        candidate_ctx.set_offline(False)
        candidate.wait_for_selector('#save-state[data-state="saved"]', timeout=20_000)
        assert _server_answers(live_server.app, form_code) == 25  # …and nothing was lost

        before = _seconds(candidate.locator("#clock").inner_text())
        _console_action(operator, "Katarzyna Lewandowska", "Wstrzymaj", **{"Powód (do dziennika)": "awaria rzutnika"})
        candidate.wait_for_selector("#paused:not(.d-none)", timeout=10_000)
        frozen = candidate.locator("#clock").inner_text()
        time.sleep(2.5)
        assert candidate.locator("#clock").inner_text() == frozen  # the clock stands still while paused
        _console_action(operator, "Katarzyna Lewandowska", "Wznów", **{"Powód (do dziennika)": "usunięto awarię"})
        _console_action(
            operator,
            "Katarzyna Lewandowska",
            "Przedłuż",
            **{"Powód (do dziennika)": "zwrot czasu za awarię", "Minuty": "10"},
        )
        deadline = time.monotonic() + 10
        while _seconds(candidate.locator("#clock").inner_text()) < before + 500 and time.monotonic() < deadline:
            time.sleep(0.25)
        assert _seconds(candidate.locator("#clock").inner_text()) > before + 500  # ten more minutes on the clock
        candidate.screenshot(path=str(artifacts / "theory-extended.png"))

        candidate.once("dialog", lambda dialog: dialog.accept())
        candidate.get_by_role("button", name="Zakończ i prześlij test").click()
        candidate.wait_for_url(re.compile(r".*/receipt$"))
        receipt = candidate.get_by_test_id("receipt").inner_text().strip()
        assert re.fullmatch(r"[0-9a-f]{64}", receipt)
        assert _server_answers(live_server.app, form_code) == 25
    finally:
        operator_ctx.close()
        candidate_ctx.close()
