"""Capability tokens: each opens exactly one instance; forged, foreign and destroyed tokens find nothing."""

from __future__ import annotations

import pytest

from simulator import api
from tests.simulator.conftest import Crm, crm_rules, rule_path


@pytest.fixture
def two(sim_app, provision, sandbox_root) -> tuple[Crm, Crm]:
    client = sim_app.test_client()
    return Crm(client, provision("kandydat-A", 1), sandbox_root), Crm(client, provision("kandydat-B", 2), sandbox_root)


def _b_records(b: Crm) -> dict:
    """Give candidate B one record of every kind that A's instance does not have."""
    assert b.post("accounts/new", {"name": "Tylko u B", "data_source": "targi", "owner_id": "1"}).status_code == 302
    b.post("contacts/new", {"first_name": "Bożena", "last_name": "Tylko", "data_source": "polecenie"})
    b.post("products/new", {"name": "Tylko u B", "unit": "szt.", "net_price": "1", "vat_rate": "23"})
    b.post("pipelines/new", {"name": "Lejek B"})
    ids = {
        "account_id": b.one("SELECT max(id) FROM account"),
        "contact_id": b.one("SELECT max(id) FROM contact"),
        "product_id": b.one("SELECT max(id) FROM product"),
        "pipeline_id": b.one("SELECT max(id) FROM pipeline"),
    }
    b.post(f"pipelines/{ids['pipeline_id']}/stages/new", {"name": "Etap B", "probability": "5"})
    ids["stage_id"] = b.one("SELECT max(id) FROM stage")
    b.post(
        "opportunities/new",
        {
            "name": "Szansa B",
            "account_id": ids["account_id"],
            "value": "5",
            "stage_id": ids["stage_id"],
            "owner_id": "1",
        },
    )
    ids["opportunity_id"] = b.one("SELECT max(id) FROM opportunity")
    b.post(
        "activities/new",
        {
            "type": "telefon",
            "subject": "Tylko u B",
            "due_date": "2026-03-16",
            "priority": "niski",
            "status": "nierozpoczete",
            "percent_complete": "0",
            "owner_id": "1",
        },
    )
    ids["activity_id"] = b.one("SELECT max(id) FROM activity")
    b.post("offers/templates/new", {"name": "Szablon B", "subject": "Oferta", "body": "{{ firma.nazwa }}"})
    ids["template_id"] = b.one("SELECT max(id) FROM offer_template")
    offer = {"template_id": "1", "opportunity_id": "1", "valid_until": "2026-04-30", "items-0-product_id": "1"}
    b.post("offers/new", {**offer, "items-0-quantity": "1"})
    ids["offer_id"] = b.one("SELECT max(id) FROM offer")
    b.post(f"offers/{ids['offer_id']}/send")
    ids["message_id"] = b.one("SELECT max(id) FROM outbox_message")
    b.post("reports/save", {"name": "Raport B", "definition": '{"source": "accounts"}'})
    ids["report_id"] = b.one("SELECT max(id) FROM saved_report")
    b.post("segments/new", {"name": "Segment B", "kind": "statyczny", "entity": "firma"})
    ids["segment_id"] = b.one("SELECT max(id) FROM segment")
    b.post(f"contacts/{ids['contact_id']}/consents", {"purpose_id": "1", "channel": "email", "source": "B"})
    ids["consent_id"] = b.one("SELECT max(id) FROM consent")
    b.post("rodo/requests/new", {"contact_id": ids["contact_id"], "kind": "dostep"})
    ids["request_id"] = b.one("SELECT max(id) FROM subject_request")
    goal = {"name": "Spotkania tylko w B", "metric": "spotkania", "target": "5", "owner_id": "1"}
    b.post("goals/new", {**goal, "period_from": "2026-03-01", "period_to": "2026-03-31"})
    ids["goal_id"] = b.one("SELECT max(id) FROM sales_goal")
    template = {"stage_id": ids["stage_id"], "type": "telefon", "subject": "B", "offset_days": "1", "priority": "niski"}
    b.post(f"pipelines/{ids['pipeline_id']}/schedule", template)
    ids["task_template_id"] = b.one("SELECT max(id) FROM task_template")
    b.post("users/new", {"full_name": "Tylko w B", "role_id": "1"})
    ids["user_id"] = b.one("SELECT max(id) FROM crm_user")
    return ids


def test_candidate_a_cannot_read_or_write_bs_records(sim_app, two):
    a, b = two
    b_ids = _b_records(b)
    assert b.get(f"accounts/{b_ids['account_id']}").status_code == 200
    checked = 0
    for method in ("GET", "POST"):
        for rule in crm_rules(sim_app, method):
            if not rule.arguments - {"token"}:
                continue
            path = rule_path(rule, **b_ids)
            response = a.client.open(a.url(path), method=method, data={"name": "włamanie", "target": "lost"})
            assert response.status_code == 404, f"{method} {rule.rule}: {response.status_code}"
            checked += 1
    assert checked >= 15
    assert b.one("SELECT name FROM account WHERE id = :id", {"id": b_ids["account_id"]}) == "Tylko u B"
    assert all(e["actor_kind"] != "candidate" or e["action"] != "write_refused" for e in b.log())
    # every attempt is in A's own log (the ids do not exist there); B's log never hears of A
    tried = [e for e in a.log() if e["action"] == "not_found"]
    assert len(tried) == checked and all(e["actor_kind"] == "candidate" for e in tried)
    assert not [e for e in b.log() if e["action"] == "not_found"]
    assert api.verify_log(a.info.instance_id, root=a.root) == (True, None)


def test_changes_in_one_instance_never_show_in_another(two):
    a, b = two
    a.post("accounts/1/edit", {"name": "Zmienione przez A", "data_source": "targi", "owner_id": "1"})
    assert a.one("SELECT name FROM account WHERE id = 1") == "Zmienione przez A"
    assert b.one("SELECT name FROM account WHERE id = 1") == "Techbud sp. z o.o."
    assert "Zmienione przez A" not in b.get("accounts/").get_data(as_text=True)
    assert not [e for e in b.log() if e["action"] == "account.updated"]


@pytest.mark.parametrize(
    "token",
    ["", "x", "forged-token-that-is-long-enough-000", "A" * 32, "%00", "../registry", "a" * 500],
)
def test_forged_tokens_find_nothing(sim_app, provision, token, caplog):
    provision()
    client = sim_app.test_client()
    caplog.set_level("WARNING", logger="simulator.web")
    for method in ("GET", "POST"):
        for rule in crm_rules(sim_app, method):
            response = client.open(f"/i/{token}/{rule_path(rule)}", method=method, follow_redirects=True)
            assert response.status_code == 404, f"{method} {rule.rule} with {token!r}: {response.status_code}"
    if "/" not in token:  # "../registry" never reaches the CRM's routes: the URL is normalised away from /i/
        warnings = [r.getMessage() for r in caplog.records if "unknown instance token" in r.getMessage()]
        assert warnings and all(token not in w for w in warnings if len(token) > 3)  # logged, without the token


def test_a_token_with_one_character_changed_is_forged(sim_app, provision):
    info = provision()
    changed = info.token[:-1] + ("A" if info.token[-1] != "A" else "B")
    assert sim_app.test_client().get(f"/i/{changed}/").status_code == 404


def test_destroyed_instance_tokens_find_nothing(sim_app, provision, sandbox_root):
    info = provision()
    api.destroy(info.instance_id, root=sandbox_root)
    client = sim_app.test_client()
    for token in (info.token, info.viewer_token):
        assert client.get(f"/i/{token}/accounts/1").status_code == 404
        assert client.post(f"/i/{token}/accounts/1/edit", data={"name": "x"}).status_code == 404


def test_unknown_records_are_404_not_500(crm):
    for path in (
        "accounts/9999",
        "contacts/9999/edit",
        "opportunities/9999",
        "pipelines/9999/stages/1/edit",
        "pipelines/1/stages/9999/edit",
        "activities/9999/edit",
        "accounts/abc",
        "products/-1/edit",
    ):
        assert crm.get(path).status_code == 404, path
    assert crm.post("opportunities/9999/move", {"target": "lost"}).status_code == 404
