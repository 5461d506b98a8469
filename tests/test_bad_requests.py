"""Malformed requests to the platform: refused with a clear answer, never a server error, nothing saved.

An id beyond any record in a URL is refused like any unknown id, for every role; a NUL byte in a form is refused
whole with a Polish message and audited.

SQLite cannot bind an integer beyond 64 bits and PostgreSQL refuses one beyond its column's type, so without
a bound on the URL converter such a number reached the database and ended in a 500.
"""

from __future__ import annotations

import re

import pytest

from examplatform.auth.models import Role


def _rules_with_ids(app) -> list:
    """Every rule with an ``<int:…>`` part."""
    return sorted((r for r in app.url_map.iter_rules() if re.search(r"<int[(:]", r.rule)), key=lambda r: r.endpoint)


def _path(rule: str, huge: int) -> str:
    """The rule's path with every ``<int:…>`` part set to ``huge`` and any other part to a valid value."""

    def fill(part: re.Match) -> str:
        converter, options = part.group(1), part.group(2) or ""
        if converter == "int":
            return str(huge)
        return options.split(",")[0].strip(" '\"") if converter == "any" else "x"

    return re.sub(r"<(?:(\w+)(?:\(([^)]*)\))?:)?\w+>", fill, rule)


@pytest.mark.parametrize("huge", [2**31, 10**30], ids=["beyond INTEGER", "beyond BIGINT"])
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_an_id_beyond_any_record_never_ends_in_a_server_error(csrf_app, client, auth, factories, role, huge):
    """Each role meets its guard (403, the login page) or a 404; the database never sees the number."""
    user = factories.user(f"{role.value}@ids.example", roles=(role,), institution=factories.institution())
    assert auth.login(user.email).status_code == 302
    problems = []
    rules = _rules_with_ids(csrf_app)
    assert len(rules) >= 20
    for rule in rules:
        url = _path(rule.rule, huge)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            response.close()
            if response.status_code not in (302, 403, 404, 405):
                problems.append(f"{method} {rule.rule}: {response.status_code}")
    assert problems == []


def test_a_nul_byte_in_a_form_is_refused_audited_and_nothing_saved(client, auth, factories):
    import json

    from examplatform.audit.models import AuditEntry
    from examplatform.institutions.models import Institution

    admin = factories.user("admin@nul.example", roles=(Role.PLATFORM_ADMIN,))
    assert auth.login(admin.email).status_code == 302
    before = Institution.query.count()
    response = client.post(
        "/institutions/new",
        data={
            "name": "Instytut\x00 Szkoleniowy",
            "short_name": "IS",
            "address": "ul. Długa 1, 00-001 Warszawa",
            "email": "biuro@instytut.pl",
            "crm_system_info": "System CRM udostępniany kandydatom w przeglądarce, w sali egzaminacyjnej.",
        },
    )
    assert response.status_code == 400
    assert "bajt zerowy" in response.get_data(as_text=True)
    assert Institution.query.count() == before
    event = AuditEntry.query.filter_by(action="security.request_refused").one()
    assert json.loads(event.details)["fields"] == ["name"]
