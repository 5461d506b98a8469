"""The simulator inside the platform: mounted under /sim, reached by the platform only through simulator.api."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask

from simulator import api, mount
from simulator.storage import store_for
from tests.conftest import PROJECT_ROOT
from tests.simulator.conftest import text_of


def test_platform_reaches_an_instance_under_sim(csrf_app, client, sandbox_root):
    with csrf_app.app_context():
        info = api.provision("practice", "kandydat-42", 5)  # the root comes from the mounted simulator
    assert store_for(sandbox_root).exists(info.instance_id)
    page = client.get(info.url_path)
    assert page.status_code == 200 and "Pulpit" in text_of(page)
    assert 'href="/sim/i/' in page.get_data(as_text=True)  # links stay inside the mount point
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    response = client.post(
        f"{info.url_path}accounts/new", data={"name": "Przez platformę", "data_source": "targi", "owner_id": "1"}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/sim/i/")
    viewer = client.post(
        f"{info.viewer_url_path}accounts/new", data={"name": "Komisja", "data_source": "targi", "owner_id": "1"}
    )
    assert viewer.status_code == 403
    back = f"{info.url_path}activities/?priority=pilny"
    assert client.post(f"{info.url_path}activities/3/complete", data={"next": back}).headers["Location"] == back
    with csrf_app.app_context():
        actions = [e["action"] for e in api.timeline(info.instance_id)]
        assert actions[-3:] == ["account.created", "write_refused", "activity.completed"]
        api.freeze(info.instance_id)
    assert client.post(f"{info.url_path}accounts/1/edit", data={"name": "x"}).status_code == 423


def test_mount_puts_sandboxes_in_the_platforms_instance_folder(tmp_path):
    platform = Flask("platform", instance_path=str(tmp_path / "inst"))
    platform.config["SECRET_KEY"] = "k"
    mount(platform)
    sim = platform.extensions["simulator"]
    assert Path(sim.config["SANDBOX_ROOT"]) == (tmp_path / "inst" / "sandboxes").resolve()
    assert sim.config["SESSION_COOKIE_NAME"] != "examplatform_session"
    assert sim.config["WTF_CSRF_ENABLED"] is True


@pytest.mark.parametrize(
    ("platform_db", "kind"),
    [("postgresql://u@db.example/examplatform", "postgresql"), ("sqlite:///examplatform.sqlite3", "sqlite")],
)
def test_mount_follows_the_platforms_database(tmp_path, monkeypatch, platform_db, kind):
    monkeypatch.delenv("SIMULATOR_DATABASE_URL", raising=False)
    platform = Flask("platform", instance_path=str(tmp_path / "inst"))
    platform.config.update(SECRET_KEY="k", SQLALCHEMY_DATABASE_URI=platform_db, SIMULATOR_SANDBOX_NAMESPACE="egzaminy")
    mount(platform)
    store = store_for(platform.extensions["simulator"].config)  # nothing is connected yet
    assert store.kind == kind
    if kind == "postgresql":
        assert (store.url, store.namespace) == ("postgresql+psycopg://u@db.example/examplatform", "egzaminy")
    else:
        assert store.root == (tmp_path / "inst" / "sandboxes").resolve()


def test_simulator_never_imports_the_platform():
    for path in (PROJECT_ROOT / "simulator").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "examplatform" or n.startswith("examplatform.") for n in names), path
