"""The CRM fits the frame it is used in: beside the task list on a 1366 px exam screen the CRM frame is about
880 px wide. Every module of the menu stays visible and one click away (the menu wraps instead of running off the
right edge), and no page scrolls sideways as a whole (wide tables scroll inside their own box)."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

pytestmark = pytest.mark.browser

NAV_OFF_SCREEN = """() => [...document.querySelectorAll('nav a.nav-link')]
  .filter(a => { const r = a.getBoundingClientRect(); return r.width === 0 || r.left < 0 || r.right > innerWidth; })
  .map(a => a.textContent.trim())"""
PAGE_OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@contextmanager
def _practice_page(live_server, browser, width: int) -> Iterator:
    """Yield a Chromium page on the Pulpit of a new practice instance, ``width`` px wide (closed afterwards)."""
    context = browser.new_context(locale="pl-PL", viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/sim/cwiczenia/")
        page.get_by_role("button", name="Otwórz nową instancję ćwiczeniową").click()
        page.get_by_role("heading", name="Pulpit", level=1).wait_for()
        yield page
    finally:
        context.close()


def test_every_crm_page_fits_the_exam_frame_and_keeps_the_whole_menu_in_view(live_server, browser):
    with _practice_page(live_server, browser, 880) as page:
        modules = page.eval_on_selector_all("nav a.nav-link", "els => els.map(a => [a.textContent.trim(), a.href])")
        assert len(modules) >= 15  # every module of the CRM is in the menu
        for width in (880, 1024, 1366):
            page.set_viewport_size({"width": width, "height": 800})
            for name, url in modules:
                page.goto(url)
                assert page.evaluate(NAV_OFF_SCREEN) == [], f"{width} px, {name}: menu items off screen"
                assert page.evaluate(PAGE_OVERFLOW) <= 0, f"{width} px, {name}: the page scrolls sideways"
        page.set_viewport_size({"width": 880, "height": 800})
        for module in ("Firmy", "Osoby", "Szanse"):  # a record's card too
            page.goto(dict(modules)[module])
            page.locator("main table tbody a").first.click()
            page.wait_for_load_state()
            assert page.evaluate(PAGE_OVERFLOW) <= 0, f"a card from {module}: the page scrolls sideways"


COLUMN_WIDTHS = "sel => [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect().width)"


def test_calendar_days_are_equal_columns_and_the_period_dates_are_equal_fields(live_server, browser):
    """A day with long subjects no longer widens its column at the cost of empty ones (weekends shrank to their
    names), and the builder's "current period to" date was squeezed into a twelfth of the row (its date cut)."""
    with _practice_page(live_server, browser, 1366) as page:
        home = page.url
        for width in (1366, 880):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(f"{home}calendar")
            days = page.evaluate(COLUMN_WIDTHS, "[data-testid=calendar] thead th")
            assert len(days) == 7 and max(days) - min(days) <= 1, f"{width} px: {days}"
            assert page.locator("[data-testid=calendar] a").count() >= 5  # the seeded activities are in it
            page.goto(f"{home}reports/builder?source=opportunities")
            dates = page.evaluate(COLUMN_WIDTHS, "input[type=date]")
            assert len(dates) == 4 and max(dates) - min(dates) <= 1 and min(dates) >= 140, f"{width} px: {dates}"
