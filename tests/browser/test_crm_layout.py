"""The CRM fits the frame it is used in: beside the task list on a 1366 px exam screen the CRM frame is about
880 px wide. Every module of the menu stays visible and one click away (the menu wraps instead of running off the
right edge), and no page scrolls sideways as a whole (wide tables scroll inside their own box)."""

import pytest

pytestmark = pytest.mark.browser

NAV_OFF_SCREEN = """() => [...document.querySelectorAll('nav a.nav-link')]
  .filter(a => { const r = a.getBoundingClientRect(); return r.width === 0 || r.left < 0 || r.right > innerWidth; })
  .map(a => a.textContent.trim())"""
PAGE_OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_every_crm_page_fits_the_exam_frame_and_keeps_the_whole_menu_in_view(live_server, browser):
    context = browser.new_context(locale="pl-PL", viewport={"width": 880, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/sim/cwiczenia/")
        page.get_by_role("button", name="Otwórz nową instancję ćwiczeniową").click()
        page.get_by_role("heading", name="Pulpit", level=1).wait_for()
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
    finally:
        context.close()
