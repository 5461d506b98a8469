"""A live server and a real Chromium (Debian package) driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from examplatform import create_app
from examplatform.core.clock import utcnow
from examplatform.extensions import db
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


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_server(database_uri) -> Iterator[LiveServer]:
    """Serve the real app (CSRF on, demo data loaded) on a free loopback port."""
    app = create_app(
        {
            "TESTING": False,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "RATELIMIT_ENABLED": False,
            "THEORY_HEARTBEAT_MS": 1000,
        }
    )
    with app.app_context():
        from examplatform.demo import load_demo
        from examplatform.qualification.services import current_qualification

        load_demo(now=utcnow(), qualification=current_qualification())
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


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
