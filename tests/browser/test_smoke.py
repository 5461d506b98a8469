"""Smoke journey in a real Chromium: each demo role logs in and lands on its own dashboard."""

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

# e-mail → what the landing page must show for that role
JOURNEYS = {
    "platforma@demo.example": ["role-platform_admin", "panel-institutions", "panel-audit"],
    "admin@demo.example": ["role-institution_admin", "panel-institutions", "panel-audit"],
    "operator@demo.example": ["role-operator", "panel-staff"],
    "komisja1@demo.example": ["role-commission_member", "role-operator", "panel-staff"],
    "odwolania@demo.example": ["role-appeals_panel", "panel-appeals_panel"],
    "audytor@demo.example": ["role-qa_auditor", "panel-audit"],
    "kandydat1@demo.example": ["role-candidate", "panel-candidate"],
}


def test_every_demo_role_logs_in_and_lands_on_its_dashboard(live_server, page, artifacts):
    base = live_server.url
    for email, marks in JOURNEYS.items():
        log_in(page, base, email)
        assert page.get_by_test_id("current-user").is_visible()
        for mark in marks:
            assert page.get_by_test_id(mark).count() == 1, f"{email}: {mark}"
        shot = artifacts / f"landing-{email.split('@')[0]}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        page.get_by_role("button", name="Wyloguj", exact=True).click()
        page.wait_for_url(f"{base}/auth/login")


def test_login_page_is_polish_and_offline_capable(live_server, page):
    base = live_server.url
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{base}/auth/login")
    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.get_by_role("heading", name="Logowanie").is_visible()
    assert requests and all(url.startswith(base) for url in requests), "every asset is served by the app"
    # Bootstrap's stylesheet really applied (served locally)
    background = page.evaluate("getComputedStyle(document.querySelector('.btn-primary')).backgroundColor")
    assert background != "rgba(0, 0, 0, 0)"


def test_wrong_password_and_language_switch_in_the_browser(live_server, page):
    base = live_server.url
    page.goto(f"{base}/auth/login")
    page.get_by_label("Adres e-mail").fill("admin@demo.example")
    page.get_by_label("Hasło").fill("zle-haslo-123")
    page.get_by_role("button", name="Zaloguj się", exact=True).click()
    assert page.get_by_text("Nieprawidłowy adres e-mail lub hasło.").is_visible()
    page.get_by_role("button", name="EN", exact=True).click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Log in").is_visible()
