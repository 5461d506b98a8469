"""Fixtures: the app on a migrated database (SQLite by default, PostgreSQL when asked), clients, factories.

Environment:
- ``EXAMPLATFORM_TEST_DATABASE_URL``: run on this PostgreSQL database (it is emptied and migrated).
- ``EXAMPLATFORM_REQUIRE_POSTGRES=1``: a missing or unreachable PostgreSQL is an error, not a quiet SQLite run.
- ``EXAMPLATFORM_REQUIRE_BROWSER=1``: a missing Chromium fails the browser tests instead of skipping them.
- ``CI=true``: any skipped test fails the run.

On PostgreSQL the simulator's instances are schemas of the same database (as in production): every test gets
a sandbox namespace of its own (``SIMULATOR_SANDBOX_NAMESPACE``) whose instances are dropped after it, and the
run drops the template schemas it built and the simulator's registry at its end.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from examplatform import create_app
from examplatform.core.clock import utcnow
from examplatform.extensions import db, limiter
from tests.factories import Factories

PASSWORD = "Bezpieczne-Haslo-2026"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


def _postgres_url() -> str | None:
    url = os.environ.get("EXAMPLATFORM_TEST_DATABASE_URL")
    if not url and _flag("EXAMPLATFORM_REQUIRE_POSTGRES"):
        pytest.exit("EXAMPLATFORM_REQUIRE_POSTGRES=1 but EXAMPLATFORM_TEST_DATABASE_URL is not set", returncode=3)
    return url


def _migrate(uri: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> dict:
    """Migrate a database once per run with Alembic (so every run tests the migrations too)."""
    url = _postgres_url()
    if url:
        try:
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        except Exception as exc:  # an unreachable server must not turn into a quiet SQLite run
            pytest.exit(f"PostgreSQL at {url} is not usable: {exc}", returncode=3)
        _migrate(url)
        return {"kind": "postgresql", "url": url}
    template = tmp_path_factory.mktemp("db") / "template.sqlite3"
    _migrate(f"sqlite:///{template}")
    return {"kind": "sqlite", "path": template}


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            )
        ]
        guarded = ("audit_entry", "answer_journal")  # append-only tables: their triggers refuse deletion
        for table in guarded:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        for table in guarded:
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    engine.dispose()


@pytest.fixture
def database_uri(database_template, tmp_path) -> str:
    if database_template["kind"] == "postgresql":
        _empty_postgres(database_template["url"])
        return database_template["url"]
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(database_template["path"], path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def sim_database_url() -> Iterator[str | None]:
    """The PostgreSQL URL the simulator's sandboxes use in this run (None: SQLite files in each test's folder)."""
    url = _postgres_url()
    if not url:
        yield None
        return
    from simulator import pgstore
    from simulator.storage import normalise_url

    url = normalise_url(url)
    yield url
    pgstore.cleanup(url)  # the templates this run built, and the registry when nothing else is left in it
    pgstore.dispose_all()


@contextmanager
def postgres_sandboxes(url: str) -> Iterator:
    """Give a test a PostgreSQL sandbox namespace of its own; drop every instance made in it afterwards."""
    from simulator.pgstore import PostgresStore

    store = PostgresStore(url, f"test-{secrets.token_hex(6)}")
    try:
        yield store
    finally:
        store.purge()


def sandbox_settings(root, *, platform: bool = False) -> dict:
    """Return the settings that point a sim app (or, ``platform``, the platform) at a folder or a store."""
    from simulator.storage import Store

    prefix = "SIMULATOR_" if platform else ""
    if isinstance(root, Store):
        return {f"{prefix}DATABASE_URL": root.url, f"{prefix}SANDBOX_NAMESPACE": root.namespace}
    return {f"{prefix}SANDBOX_ROOT": str(root)}


@pytest.fixture
def sim_namespace(sim_database_url) -> Iterator[dict]:
    """The platform's simulator settings on PostgreSQL: a namespace of this test's own (nothing on SQLite)."""
    if not sim_database_url:
        yield {}
        return
    with postgres_sandboxes(sim_database_url) as store:
        yield sandbox_settings(store, platform=True)


@pytest.fixture
def app_config(database_uri, sim_namespace) -> dict:
    """Settings for the app under test; override this fixture to change them."""
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri, "SERVER_NAME": "localhost", **sim_namespace}


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The fixtures keep an app context open for the test's own database work; without this, requests
    would share its ``g`` (and Flask-Login's cached user) and hide bugs a real server would show.
    """

    def open(self, *args, allow_server_error: bool = False, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        # "a request never ends in a 500": every test request that does is a failure unless asked for
        if response.status_code >= 500 and not allow_server_error:
            raise AssertionError(f"server error {response.status_code} for {args[0] if args else kwargs}")
        return response


def _make_app(config: dict) -> Iterator[Flask]:
    app = create_app(config)
    app.test_client_class = FreshContextClient
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(app_config) -> Iterator[Flask]:
    yield from _make_app(app_config)


@pytest.fixture
def csrf_app(app_config) -> Iterator[Flask]:
    """The app with CSRF protection off, for tests that post forms directly."""
    yield from _make_app({**app_config, "WTF_CSRF_ENABLED": False})


@pytest.fixture
def client(csrf_app):
    return csrf_app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def factories(csrf_app) -> Factories:
    return Factories(db, now=utcnow(), password=PASSWORD)


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client) -> None:
        self._client = client

    def login(self, email: str, password: str = PASSWORD):
        return self._client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def today() -> date:
    return utcnow().date()


@pytest.fixture
def fixed_now() -> datetime:
    return datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_server(database_uri, tmp_path, sim_namespace) -> Iterator[LiveServer]:
    """Serve the real app (CSRF on, demo data loaded, sandboxes in the test's folder) on a free loopback port."""
    app = create_app(
        {
            "TESTING": False,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "SIMULATOR_SANDBOX_ROOT": str(tmp_path / "sandboxes"),
            "RATELIMIT_ENABLED": False,
            "THEORY_HEARTBEAT_MS": 1000,
            **sim_namespace,
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


# --- the simulator's backend-specific tests -------------------------------------------------------


def pytest_collection_modifyitems(config, items) -> None:
    """Run the simulator's file tests on SQLite runs and its schema tests on PostgreSQL runs (deselected, not
    skipped: each backend's run covers its own storage, and CI runs both)."""
    unwanted = "sqlite_only" if os.environ.get("EXAMPLATFORM_TEST_DATABASE_URL") else "postgres_only"
    deselected = [item for item in items if item.get_closest_marker(unwanted)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker(unwanted)]


# --- CI: a skipped test is a failure -------------------------------------------------------------

_skipped: list[str] = []


def pytest_runtest_logreport(report) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus) -> None:
    if _flag("CI") and _skipped and exitstatus == 0:
        session.exitstatus = 1
        print(f"\nCI: {len(_skipped)} test(s) skipped — in CI every test must run:", *_skipped, sep="\n  ")


PROJECT_ROOT = Path(__file__).resolve().parent.parent
