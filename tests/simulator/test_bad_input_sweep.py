"""Every CRM route answers malformed input with a page or a 4xx, never a server error, and writes nothing half.

A sweep over every POST route of the CRM with each kind of bad value in every field any CRM form knows (too long,
not a number, an impossible date, negative, markup, a NUL byte, a list where one value is expected), and over every
GET page with nonsense in the query string. ``StrictClient`` turns any 5xx into a failure.
"""

from __future__ import annotations

import pytest
from wtforms import FieldList, FormField

import simulator.crm.forms as crm_forms
from simulator.crm.forms.fields import CrmForm
from tests.simulator.conftest import crm_rules, rule_path, text_of

BAD_VALUES = {
    "too long": "Ż" * 5000,
    "not a number": "dwanaście",
    "impossible date": "2026-02-31",
    "negative": "-999999999999999999999",
    "huge": "9" * 40,
    "beyond 32 bits": "3000000000",
    "markup": "<script>alert(1)</script>",
    "nul byte": "a\x00b",
    "blank": "   ",
}


def _form_fields() -> set[str]:
    """Every field name of every CRM form, plus the raw names routes read from the request."""
    names = {"ids", "target", "direction", "q", "view", "date", "next", "as_user", "role_id", "definition", "source"}
    assert crm_forms  # every form module imported, so every form class is a subclass below
    stack = list(CrmForm.__subclasses__())
    while stack:
        form = stack.pop()
        stack.extend(form.__subclasses__())
        names |= _field_names(form)
    return names


def _field_names(form: type, prefix: str = "") -> set[str]:
    """The names a form's fields take in a request, also those of the first entries of its lists of subforms
    (an offer's lines: ``items-0-quantity``)."""
    names = set()
    for name in dir(form):
        unbound = getattr(form, name, None)
        if not hasattr(unbound, "field_class"):
            continue
        names.add(prefix + name)
        inner = unbound.args[0] if unbound.field_class is FieldList and unbound.args else None
        if inner is not None and inner.field_class is FormField:
            for index in (0, 1):
                names |= _field_names(inner.args[0], f"{prefix}{name}-{index}-")
    return names


@pytest.mark.parametrize("kind", list(BAD_VALUES))
def test_every_post_route_answers_bad_values_without_a_server_error(sim_app, crm, kind):
    value = BAD_VALUES[kind]
    data = dict.fromkeys(_form_fields(), value)
    assert _server_errors(crm, crm_rules(sim_app, "POST"), lambda path: crm.post(path, data)) == []


@pytest.mark.parametrize("value", ["<>%00" + "x" * 300, "9" * 40, "-1", "1.5", "a\x00b"])
def test_every_page_answers_nonsense_in_its_query_string(sim_app, crm, value):
    query = dict.fromkeys(_form_fields(), value)
    assert _server_errors(crm, crm_rules(sim_app, "GET"), lambda path: crm.get(path, query_string=query)) == []


def test_a_nul_byte_is_refused_with_a_polish_message_logged_and_nothing_saved(crm):
    """No keyboard types a NUL byte and PostgreSQL cannot store one: the request is refused whole, and logged."""
    before = crm.sql("SELECT id, name FROM account ORDER BY id")
    response = crm.post("accounts/new", {"name": "Nowa\x00 Firma", "data_source": "targi", "owner_id": "1"})
    assert response.status_code == 400
    assert "bajt zerowy" in text_of(response)
    assert crm.sql("SELECT id, name FROM account ORDER BY id") == before
    refused = crm.log("validation_error")[-1]
    assert refused["summary"] == "Odrzucono żądanie ze znakiem NUL w polach: name"


@pytest.mark.parametrize("huge", [2**31, 10**30], ids=["beyond INTEGER", "beyond BIGINT"])
def test_an_id_beyond_any_record_in_a_url_is_not_found(sim_app, crm, huge):
    """Ids in paths are bounded like the id columns' SQL INTEGER: a larger number is a 404, never a database error."""
    for method in ("GET", "POST"):
        rules = [rule for rule in crm_rules(sim_app, method) if rule.arguments - {"token"}]
        assert rules
        for rule in rules:
            path = rule_path(rule, **dict.fromkeys(rule.arguments - {"token"}, huge))
            response = crm.get(path) if method == "GET" else crm.post(path, {"name": "x"})
            # a path whose page exists only for GET may answer a POST with 405 (no route takes it): still no 5xx
            expected = {404} if method == "GET" else {404, 405}
            assert response.status_code in expected, f"{method} {rule.rule}: {response.status_code}"


def _server_errors(crm, rules, send) -> list[str]:
    """Send to every rule; return the rules that answered with a server error (all of them, not just the first)."""
    failed = []
    for rule in rules:
        try:
            send(rule_path(rule))  # StrictClient raises on a 5xx
        except AssertionError as error:
            failed.append(f"{rule.rule}: {error}")
    return failed
