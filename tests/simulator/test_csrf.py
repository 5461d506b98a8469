"""Every POST form carries a CSRF token, and the simulator with CSRF on refuses a POST without one."""

from __future__ import annotations

import re

from tests.simulator.conftest import Crm, crm_rules, rule_path


def test_every_post_form_on_every_page_has_a_csrf_token(csrf_sim_app, provision, sandbox_root):
    crm = Crm(csrf_sim_app.test_client(), provision(), sandbox_root)
    forms_seen = 0
    for rule in crm_rules(csrf_sim_app, "GET"):
        html = crm.get(rule_path(rule)).get_data(as_text=True)
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S | re.I):
            if re.search(r'method="post"', form, flags=re.I):
                forms_seen += 1
                assert 'name="csrf_token"' in form, f"form without CSRF token on {rule.rule}: {form[:200]}"
    assert forms_seen >= 20


def _token_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_post_without_a_token_is_refused_and_logged(csrf_sim_app, provision, sandbox_root):
    crm = Crm(csrf_sim_app.test_client(), provision(), sandbox_root)
    for rule in crm_rules(csrf_sim_app, "POST"):
        response = crm.post(rule_path(rule), {"name": "bez tokenu"})
        assert response.status_code == 400, rule.rule
        assert "CSRF" in response.get_data(as_text=True)
    assert crm.one("SELECT count(*) FROM account WHERE name = 'bez tokenu'") == 0
    assert len(crm.log("csrf_rejected")) == len(crm_rules(csrf_sim_app, "POST"))


def test_post_with_the_pages_token_goes_through(csrf_sim_app, provision, sandbox_root):
    crm = Crm(csrf_sim_app.test_client(), provision(), sandbox_root)
    token = _token_from(crm.get("accounts/new").get_data(as_text=True))
    data = {"csrf_token": token, "name": "Z tokenem", "data_source": "targi", "owner_id": "1"}
    assert crm.post("accounts/new", data).status_code == 302
    assert crm.one("SELECT count(*) FROM account WHERE name = 'Z tokenem'") == 1
