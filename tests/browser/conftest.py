"""A live server and a real Chromium (Debian package) driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from examplatform.demo import DEMO_PASSWORD
from tests.conftest import PROJECT_ROOT, _flag

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def log_in(page, base: str, email: str) -> None:
    """Log a demo account in through the login form (demo password) and wait for its dashboard."""
    page.goto(f"{base}/auth/login")
    page.get_by_label("Adres e-mail").fill(email)
    page.get_by_label("Hasło").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Zaloguj się", exact=True).click()
    page.wait_for_url(f"{base}/")


def chromium_path() -> str | None:
    return os.environ.get("EXAMPLATFORM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = chromium_path()
    if path is None:
        if _flag("EXAMPLATFORM_REQUIRE_BROWSER"):
            pytest.fail("EXAMPLATFORM_REQUIRE_BROWSER=1 but no chromium executable (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it and requires it")
    return path


@pytest.fixture(scope="session")
def browser(chromium_executable) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
