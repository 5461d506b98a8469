"""Fixtures for the simulator: a temporary sandbox root, the sim app and a helper to drive one instance.

On SQLite (the default) the practice template is built once per test run and copied into each test's root,
so a test pays for a file copy, not for seeding. With ``EXAMPLATFORM_TEST_DATABASE_URL`` on PostgreSQL the
"root" is a ``PostgresStore`` with a namespace of the test's own: the template schema is built once per run and
shared, each test's instances are its own and are dropped after it (templates and the registry at the end).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import date, time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from simulator import api, create_sim_app, registry, sandbox
from simulator.crm.base import Base
from simulator.scenario import load_scenario
from simulator.storage import Store, store_for
from tests.conftest import postgres_sandboxes, sandbox_settings


class StrictClient(FlaskClient):
    """A test client for which any 5xx answer is a test failure."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        if response.status_code >= 500:
            raise AssertionError(f"server error {response.status_code} for {args[0] if args else kwargs}")
        return response


@pytest.fixture(scope="session")
def built_templates(tmp_path_factory, sim_database_url) -> Path | None:
    if sim_database_url:  # one shared template schema per run (dropped at the end by sim_database_url)
        store_for({"DATABASE_URL": sim_database_url}).build_template(load_scenario("practice"))
        return None
    root = tmp_path_factory.mktemp("sim-templates")
    sandbox.build_template(load_scenario("practice"), root)
    registry.close_all()
    return root / "templates"


@pytest.fixture
def sandbox_root(tmp_path, built_templates, sim_database_url) -> Path | Store:
    """Where this test's instances live: a folder of SQLite files, or a PostgreSQL namespace of its own."""
    if sim_database_url:
        with postgres_sandboxes(sim_database_url) as store:
            yield store
        return
    root = tmp_path / "sandboxes"
    shutil.copytree(built_templates, root / "templates")
    yield root
    registry.close_all()


def _sim_app(root: Path | Store, **config) -> Flask:
    settings = sandbox_settings(root)
    app = create_sim_app({"TESTING": True, "WTF_CSRF_ENABLED": False, **settings, **config})
    app.test_client_class = StrictClient
    return app


@pytest.fixture
def sim_app(sandbox_root) -> Flask:
    return _sim_app(sandbox_root)


@pytest.fixture
def csrf_sim_app(sandbox_root) -> Flask:
    """The simulator with CSRF protection on, as in production."""
    return _sim_app(sandbox_root, WTF_CSRF_ENABLED=True)


def plain_value(value):
    """Return a stored value as SQLite gives it (PostgreSQL's dates, times and booleans as text and 0/1)."""
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def instance_rows(root: Path | Store, instance_id: str, query: str, params: dict | None = None) -> list[tuple]:
    """Run a read-only query (named parameters) on one instance of either backend; values as SQLite gives them."""
    with store_for(root).connect(instance_id) as conn:
        return [tuple(plain_value(v) for v in row) for row in conn.execute(text(query), params or {})]


def instance_write(root: Path | Store, instance_id: str, statement: str, params: dict | None = None) -> None:
    """Change an instance's data behind the simulator's back (tampering tests), in its write transaction."""
    with store_for(root).connect(instance_id, write=True) as conn:
        conn.execute(text(statement), params or {})


def state_digest(root: Path | Store, instance_id: str) -> str:
    """Return a digest of an instance's stored state: its file's bytes, or every row of its schema."""
    store = store_for(root)
    if store.kind == "sqlite":
        return hashlib.sha256(sandbox.instance_path(store.root, instance_id).read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        digest.update(repr(instance_rows(store, instance_id, f"SELECT * FROM {table.name} ORDER BY 1")).encode())
    return digest.hexdigest()


class Crm:
    """Drive one instance over HTTP with one of its tokens, and look inside its database."""

    def __init__(
        self, client: FlaskClient, info: api.InstanceInfo, root: Path | Store, *, viewer: bool = False
    ) -> None:
        self.client, self.info, self.root = client, info, root
        self.token = info.viewer_token if viewer else info.token

    def url(self, path: str = "") -> str:
        return f"/i/{self.token}/{path.lstrip('/')}"

    def get(self, path: str = "", **kwargs):
        return self.client.get(self.url(path), **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(self.url(path), data=data or {}, **kwargs)

    def sql(self, query: str, params: dict | None = None) -> list[tuple]:
        """Read the instance's tables (named parameters: ``WHERE id = :id``)."""
        return instance_rows(self.root, self.info.instance_id, query, params)

    def one(self, query: str, params: dict | None = None):
        rows = self.sql(query, params)
        assert len(rows) == 1, rows
        return rows[0][0] if len(rows[0]) == 1 else rows[0]

    def act_as(self, user_key: str) -> int:
        """Make the CRM user with this key the one the candidate works as (``is_me``); return their id."""
        user_id = self.one("SELECT id FROM crm_user WHERE key = :key", {"key": user_key})
        instance_write(self.root, self.info.instance_id, "UPDATE crm_user SET is_me = (id = :id)", {"id": user_id})
        return user_id

    def log(self, action: str | None = None) -> list[dict]:
        entries = api.timeline(self.info.instance_id, root=self.root)
        return [e for e in entries if action is None or e["action"] == action]


@pytest.fixture
def provision(sandbox_root):
    """Provision practice instances in the test's root: ``provision(candidate_key, seed)``."""

    def make(candidate_key: str = "kandydat-A", seed: int = 1) -> api.InstanceInfo:
        return api.provision("practice", candidate_key, seed, root=sandbox_root)

    return make


@pytest.fixture
def crm(sim_app, provision, sandbox_root) -> Crm:
    """The candidate's view of a fresh practice instance."""
    return Crm(sim_app.test_client(), provision(), sandbox_root)


def text_of(response) -> str:
    """Return a page's visible text with tags removed and whitespace squeezed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# Values for every URL argument of the CRM's routes, all existing in the practice seed.
ROUTE_ARGS = {
    "account_id": 1,
    "contact_id": 1,
    "product_id": 1,
    "pipeline_id": 1,
    "stage_id": 1,
    "opportunity_id": 1,
    "activity_id": 1,
    "template_id": 1,
    "offer_id": 1,
    "message_id": 1,
    "report_id": 1,
    "segment_id": 1,
    "consent_id": 1,
    "request_id": 1,
    "goal_id": 1,
    "task_template_id": 1,
    "user_id": 1,
}


DOWNLOADS = (".pdf", ".csv", ".xlsx", ".json")  # files, not pages: tested where they are built


def crm_rules(app: Flask, method: str):
    """Return the CRM's URL rules accepting ``method`` (pages and actions, not file downloads)."""
    return sorted(
        (
            r
            for r in app.url_map.iter_rules()
            if r.endpoint.startswith("crm.") and method in r.methods and not r.rule.endswith(DOWNLOADS)
        ),
        key=lambda r: r.endpoint,
    )


def rule_path(rule, **overrides) -> str:
    """Return the path of a CRM rule below ``/i/<token>/`` with seed ids filled in."""
    values = {**ROUTE_ARGS, **overrides}
    path = rule.rule.removeprefix("/i/<token>/")
    for name in rule.arguments - {"token"}:
        path = re.sub(rf"<(?:int:)?{name}>", str(values[name]), path)
    return path


@pytest.fixture
def app_config(app_config, sandbox_root) -> dict:
    """The platform's settings, with the simulator's sandboxes in the test's own folder (or namespace)."""
    return {**app_config, **sandbox_settings(sandbox_root, platform=True)}
