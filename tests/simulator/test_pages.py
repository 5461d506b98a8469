"""Every page: renders for the candidate and the commission, obeys the CSP, sends the security headers."""

from __future__ import annotations

import re

import pytest

from tests.simulator.conftest import Crm, crm_rules, rule_path


@pytest.mark.parametrize("viewer", [False, True], ids=["candidate", "commission"])
def test_every_get_route_renders(sim_app, crm, viewer):
    client = Crm(crm.client, crm.info, crm.root, viewer=viewer)
    rules = crm_rules(sim_app, "GET")
    assert len(rules) >= 20
    for rule in rules:
        response = client.get(rule_path(rule))
        assert response.status_code == 200, rule.rule
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {rule.rule}"
        assert not re.search(r"\sstyle=", html), f"inline style on {rule.rule}"
        assert not re.search(r"\son[a-z]+=", html), f"inline handler on {rule.rule}"
        assert "16.03.2026" in html, f"business date missing on {rule.rule}"


def test_security_headers_allow_same_origin_frames_only(crm):
    response = crm.get("accounts/")
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_assets_are_served_locally(crm):
    html = crm.get("").get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="([^"]+\.(?:css|js)[^"]*)"', html)
    assert any("bootstrap" in a for a in assets) and any("sim.js" in a for a in assets)
    for asset in assets:
        assert asset.startswith("/"), asset
        response = crm.client.get(asset)
        response.close()
        assert response.status_code == 200, asset


@pytest.mark.parametrize(
    "path",
    [
        "activities/?date_from=nie-data",
        "activities/?date_from=2026-03-20&date_to=2026-03-01",
        "activities/?priority=bardzo&owner_id=x",
        "opportunities/?stage_id=abc&status=inny&pipeline_id=-1",
        "accounts/?voivodeship=bawaria&size=gigant&q=" + "x" * 500,
        "opportunities/board?pipeline_id=999",
        "opportunities/new?account_id=999",
        "activities/new?opportunity_id=999&account_id=abc",
    ],
)
def test_bad_query_input_never_breaks_a_page(crm, path):
    assert crm.get(path).status_code == 200


def test_error_pages_are_polish(crm):
    response = crm.get("accounts/99999")
    assert response.status_code == 404 and "Nie znaleziono" in response.get_data(as_text=True)
    response = crm.client.get(crm.url("accounts/1/edit"), headers={"Accept": "application/json"})
    assert response.status_code == 200
    response = crm.client.delete(crm.url("accounts/1"))
    assert response.status_code == 405 and "Niedozwolona metoda" in response.get_data(as_text=True)


def test_health_is_public(sim_app):
    assert sim_app.test_client().get("/health").json == {"status": "ok", "component": "crm-simulator"}
