"""The platform's header fits the screens it is used on: on a 1366 px exam-room laptop the menu of an institution
admin (six modules, the languages, the user's name, "Hasło" and "Wyloguj") ran 60 px past the right edge in
Polish and 115 px in English, so the page scrolled sideways and "Wyloguj" was cut off. Every demo role, in both
languages, from the narrowest expanded menu (1200 px) up, and with the menu collapsed below that."""

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

ROLES = ("admin", "platforma", "audytor", "komisja1", "odwolania", "kandydat1")
PAGE_OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
OUTSIDE = """() => [...document.querySelectorAll('#nav a, #nav button')]
  .filter(e => { const r = e.getBoundingClientRect(); return r.width === 0 || r.left < 0 || r.right > innerWidth; })
  .map(e => e.textContent.trim())"""


@pytest.mark.parametrize("email", [f"{name}@demo.example" for name in ROLES])
def test_the_header_never_runs_past_the_screen_in_either_language(live_server, browser, email):
    context = browser.new_context(locale="pl-PL", viewport={"width": 1366, "height": 800})
    page = context.new_page()
    try:
        log_in(page, live_server.url, email)
        for language in ("EN", "PL"):
            page.get_by_role("button", name=language, exact=True).click()
            page.wait_for_load_state()
            for width in (1200, 1280, 1366, 1920):
                page.set_viewport_size({"width": width, "height": 800})
                assert page.evaluate(PAGE_OVERFLOW) <= 0, f"{language}, {width} px: the page scrolls sideways"
                assert page.evaluate(OUTSIDE) == [], f"{language}, {width} px: menu items off screen"
            page.set_viewport_size({"width": 1000, "height": 800})  # the menu collapses behind its button
            assert page.evaluate(PAGE_OVERFLOW) <= 0, f"{language}, 1000 px: the page scrolls sideways"
            page.locator(".navbar-toggler").click()
            page.locator("#nav.show").wait_for()
            assert page.evaluate(OUTSIDE) == [], f"{language}, 1000 px, menu open: items off screen"
            page.locator(".navbar-toggler").click()
            page.set_viewport_size({"width": 1366, "height": 800})
    finally:
        context.close()
