"""Every POST route of the platform, for every role, answers bad values in every form field without a server error.

Each kind of bad value (too long, an impossible date, a huge or negative number, blanks) goes into every
field any platform form knows, posted to every route that takes a POST, as every role, in the role matrix's world
(one institution where every role is held, a session, an attempt). A 5xx is a failure; what each route answers
otherwise (its form again with messages, 403, 404, a redirect) is the route's own tests' business.
"""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm

from examplatform.auth.models import Role
from tests.test_role_matrix import _rules, _url, world  # noqa: F401  (world is a fixture)

# markup and words are covered by the routes' own tests; these reach the paths that parse numbers and dates
BAD_VALUES = {
    "too long": "Ż" * 5000,
    "impossible date": "2026-02-31",  # not a number either
    "huge": "9" * 40,
    "beyond 32 bits": "3000000000",
    "negative": "-1",
    "blank": "   ",
}


def _form_fields() -> set[str]:
    """Every field name of every platform form (the forms are imported with the app's views)."""
    names: set[str] = set()
    stack = list(FlaskForm.__subclasses__())
    while stack:
        form = stack.pop()
        stack.extend(form.__subclasses__())
        if form.__module__.startswith("examplatform."):
            names |= {name for name in dir(form) if hasattr(getattr(form, name, None), "field_class")}
    return names


@pytest.mark.parametrize("kind", list(BAD_VALUES))
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_post_route_answers_bad_values_without_a_server_error(csrf_app, client, auth, world, role, kind):  # noqa: F811
    users, params = world
    assert auth.login(users[role].email).status_code == 302
    fields = _form_fields()
    assert len(fields) >= 30
    data = dict.fromkeys(fields, BAD_VALUES[kind])
    routes = [r for r in _rules(csrf_app) if "POST" in r.methods and r.endpoint != "auth.logout"]
    assert _server_errors(routes, lambda rule: client.post(_url(csrf_app, rule, params), data=data)) == []


def _server_errors(rules, send) -> list[str]:
    """Send to every rule; return each one that answered with a server error (all of them, not just the first)."""
    problems = []
    for rule in rules:
        try:
            response = send(rule)
        except AssertionError as error:  # the test client of this suite raises on a 5xx
            problems.append(f"{rule.endpoint}: {error}")
            continue
        response.close()
        if response.status_code >= 500:
            problems.append(f"{rule.endpoint}: {response.status_code}")
    return problems


# every query-string argument a platform page reads
QUERY_ARGS = ("before", "since", "krok", "odtwarzaj", "action", "q", "criterion", "status", "type", "next")


@pytest.mark.parametrize("value", [BAD_VALUES["huge"], BAD_VALUES["beyond 32 bits"], "-1", "abc", "<>" + "x" * 300])
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_page_answers_bad_query_arguments_without_a_server_error(csrf_app, client, auth, world, role, value):  # noqa: F811
    users, params = world
    assert auth.login(users[role].email).status_code == 302
    query = dict.fromkeys(QUERY_ARGS, value)
    pages = [r for r in _rules(csrf_app) if "GET" in r.methods and not r.endpoint.endswith("static")]
    assert _server_errors(pages, lambda rule: client.get(_url(csrf_app, rule, params), query_string=query)) == []
