"""A frozen instance refuses every write (423) and the commission's viewer token never writes (403); both logged."""

from __future__ import annotations

import pytest

from simulator import api
from tests.simulator.conftest import Crm, crm_rules, rule_path, text_of

TABLES = ("account", "contact", "product", "pipeline", "stage", "opportunity", "stage_history", "activity")
FORM = {
    "name": "x",
    "first_name": "x",
    "last_name": "x",
    "data_source": "targi",
    "owner_id": "1",
    "target": "lost",
    "loss_reason": "cena",
    "ids": ["1"],
    "status": "przegrana",
    "direction": "up",
    "unit": "szt.",
    "net_price": "1",
    "vat_rate": "23",
    "probability": "5",
}


def _data_snapshot(crm: Crm) -> dict:
    return {t: crm.sql(f"SELECT * FROM {t} ORDER BY id") for t in TABLES}


def test_every_post_route_is_refused_on_a_frozen_instance(sim_app, crm):
    api.freeze(crm.info.instance_id, root=crm.root)
    before = _data_snapshot(crm)
    rules = crm_rules(sim_app, "POST")
    assert len(rules) >= 15
    for rule in rules:
        response = crm.post(rule_path(rule), FORM)
        assert response.status_code == 423, f"{rule.rule}: {response.status_code}"
        assert "zamrożona" in text_of(response)
    assert _data_snapshot(crm) == before
    refused = crm.log("write_refused")
    assert len(refused) == len(rules)
    assert {e["details"]["endpoint"] for e in refused} == {r.endpoint for r in rules}
    assert all(e["actor_kind"] == "candidate" and e["details"]["reason"] == "frozen" for e in refused)
    assert all(crm.token not in str(e) for e in crm.log())  # tokens never reach the log
    assert api.verify_log(crm.info.instance_id, root=crm.root) == (True, None)


def test_frozen_instance_can_still_be_read(crm):
    api.freeze(crm.info.instance_id, root=crm.root)
    page = crm.get("accounts/1")
    assert page.status_code == 200
    assert 'data-testid="frozen-badge"' in page.get_data(as_text=True)
    assert 'method="post"' not in crm.get("opportunities/board").get_data(as_text=True)


@pytest.fixture
def viewer(crm) -> Crm:
    return Crm(crm.client, crm.info, crm.root, viewer=True)


def test_viewer_token_refuses_every_write(sim_app, crm, viewer):
    before = _data_snapshot(crm)
    for rule in crm_rules(sim_app, "POST"):
        response = viewer.post(rule_path(rule), FORM)
        assert response.status_code == 403, f"{rule.rule}: {response.status_code}"
        assert "podgląd komisji" in text_of(response)
    assert _data_snapshot(crm) == before
    refused = crm.log("write_refused")
    assert refused and all(e["actor_kind"] == "commission" and e["details"]["reason"] == "read_only" for e in refused)


def test_viewer_sees_the_same_instance_without_write_controls(crm, viewer):
    crm.post("accounts/1/edit", {"name": "Widoczne dla komisji", "data_source": "targi", "owner_id": "1"})
    for path in (
        "",
        "accounts/",
        "accounts/1",
        "opportunities/",
        "opportunities/board",
        "activities/",
        "pipelines/1",
        "opportunities/1",
        "contacts/1",
    ):
        page = viewer.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert 'method="post"' not in html, path
        assert 'data-testid="viewer-badge"' in html
    assert "Widoczne dla komisji" in text_of(viewer.get("accounts/1"))


def test_viewer_reads_of_personal_data_are_logged_as_the_commissions(crm, viewer):
    viewer.get("contacts/3")
    read = crm.log("contact.personal_data_read")[-1]
    assert read["actor_kind"] == "commission" and read["entity_id"] == 3
    assert set(read["details"]["fields"]) == {"PESEL", "e-mail", "telefon", "data urodzenia"}
