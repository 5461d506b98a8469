"""Every route × every role (anonymous included) against an explicit table of who may call it.

The table is the decision; the test fails when a route is added without a row here, when a view's guard
disagrees with its row, and when the running app lets the wrong role in or keeps the right one out.
"""

from __future__ import annotations

import pytest
from flask import url_for

from examplatform.auth.models import Role
from examplatform.core.guards import ANY_USER, PUBLIC
from examplatform.institutions import services as inst
from examplatform.institutions.models import DocumentKind, Education

A = Role
ANON = "anonymous"
ALL_ROLES = [ANON, *Role]

READ_INSTITUTION = frozenset({A.INSTITUTION_ADMIN, A.QA_AUDITOR, A.PLATFORM_ADMIN})
WRITE_INSTITUTION = frozenset({A.INSTITUTION_ADMIN, A.PLATFORM_ADMIN})
OPERATORS = frozenset({A.OPERATOR, A.INSTITUTION_ADMIN, A.PLATFORM_ADMIN})
CANDIDATE = frozenset({A.CANDIDATE})
RESULT_READERS = frozenset({A.INSTITUTION_ADMIN, A.COMMISSION_MEMBER, A.QA_AUDITOR, A.PLATFORM_ADMIN})
STAFF = frozenset({A.OPERATOR, A.COMMISSION_MEMBER, A.INSTITUTION_ADMIN, A.APPEALS_PANEL, A.QA_AUDITOR})
OBSERVERS = frozenset({A.COMMISSION_MEMBER, A.OPERATOR, A.INSTITUTION_ADMIN, A.QA_AUDITOR, A.PLATFORM_ADMIN})

EXPECTED: dict[str, object] = {
    "static": PUBLIC,
    "bootstrap.static": PUBLIC,
    "main.dashboard": PUBLIC,  # anonymous visitors are sent to the login page
    "main.set_language": PUBLIC,
    "main.health": PUBLIC,
    "auth.login": PUBLIC,
    "auth.reset_request": PUBLIC,
    "auth.reset_password": PUBLIC,
    "auth.logout": ANY_USER,
    "auth.change_password": ANY_USER,
    "qualification.about": PUBLIC,
    "notifications.inbox": ANY_USER,
    "sessions.index": STAFF,
    "sessions.console_view": OPERATORS,
    "sessions.console_json": OPERATORS,
    "sessions.prepare": OPERATORS,
    "sessions.rotate_pin": OPERATORS,
    "sessions.act": OPERATORS,
    "sessions.irregularity": OPERATORS | {A.COMMISSION_MEMBER},
    "sessions.paper_pdf": OPERATORS | {A.COMMISSION_MEMBER},
    "sessions.paper_entry": OPERATORS | {A.COMMISSION_MEMBER},
    "sessions.results": RESULT_READERS,
    "sessions.release_results": WRITE_INSTITUTION,
    "sessions.evidence_view": RESULT_READERS,
    "sessions.evidence_json": RESULT_READERS,
    "sessions.evidence_pdf": RESULT_READERS,
    "theory.result": CANDIDATE,
    "commission.session_view": RESULT_READERS,
    "commission.appoint": WRITE_INSTITUTION,
    "commission.roster": WRITE_INSTITUTION,
    "commission.declare": frozenset({A.COMMISSION_MEMBER}),
    "commission.sheet_view": RESULT_READERS,
    "commission.save_scores": frozenset({A.COMMISSION_MEMBER}),
    "commission.agree": frozenset({A.COMMISSION_MEMBER}),
    "commission.decision": frozenset({A.COMMISSION_MEMBER}),
    "commission.confirm": frozenset({A.COMMISSION_MEMBER}),
    "commission.protocol": RESULT_READERS,
    "commission.interview_plan": RESULT_READERS,
    "commission.interview_plan_save": frozenset({A.COMMISSION_MEMBER}) | WRITE_INSTITUTION,
    "commission.interview_view": RESULT_READERS,
    "commission.interview_start": frozenset({A.COMMISSION_MEMBER}),
    "commission.interview_finish": frozenset({A.COMMISSION_MEMBER}),
    "commission.interview_save": frozenset({A.COMMISSION_MEMBER}),
    "commission.candidate_decision": CANDIDATE,
    "theory.index": CANDIDATE,
    "theory.take": CANDIDATE,
    "theory.start": CANDIDATE,
    "theory.state": CANDIDATE,
    "theory.save": CANDIDATE,
    "theory.heartbeat": CANDIDATE,
    "theory.submit": CANDIDATE,
    "theory.receipt": CANDIDATE,
    "theory.receipt_file": CANDIDATE,
    "audit.index": READ_INSTITUTION,
    "audit.verify": READ_INSTITUTION,
    "bank.index": READ_INSTITUTION,
    "bank.detail": READ_INSTITUTION,
    "bank.preview": READ_INSTITUTION,
    "bank.review": WRITE_INSTITUTION,
    "institutions.index": READ_INSTITUTION,
    "institutions.create": frozenset({A.PLATFORM_ADMIN}),
    "institutions.detail": READ_INSTITUTION,
    "institutions.settings": WRITE_INSTITUTION,
    "institutions.create_centre": WRITE_INSTITUTION,
    "institutions.staff_index": READ_INSTITUTION,
    "institutions.staff_create": WRITE_INSTITUTION,
    "institutions.staff_detail": READ_INSTITUTION,
    "institutions.staff_edit": WRITE_INSTITUTION,
    "institutions.staff_add_experience": WRITE_INSTITUTION,
    "institutions.staff_add_document": WRITE_INSTITUTION,
    "institutions.staff_document": READ_INSTITUTION,
    "institutions.staff_grant_role": WRITE_INSTITUTION,
    "institutions.staff_revoke_role": WRITE_INSTITUTION,
    "institutions.test_plan": WRITE_INSTITUTION,
    "practical.setup": OPERATORS,
    "practical.save_setup": OPERATORS,
    "practical.provision": OPERATORS,
    "practical.start": OPERATORS,
    "practical.extend": OPERATORS,
    "practical.operator_finish": OPERATORS,
    "practical.reset_instance": OPERATORS,
    "practical.observe": OBSERVERS,
    "practical.observe_json": OBSERVERS,
    "practical.timeline": OBSERVERS,
    "practical.timeline_json": OBSERVERS,
    "practical.index": CANDIDATE,
    "practical.work": CANDIDATE,
    "practical.state": CANDIDATE,
    "practical.finish": CANDIDATE,
}
FRAMEWORK_ENDPOINTS = {"static", "bootstrap.static"}


def _rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == "auth.logout", r.endpoint))


def test_every_route_has_a_row(csrf_app):
    endpoints = {rule.endpoint for rule in csrf_app.url_map.iter_rules()}
    assert endpoints - EXPECTED.keys() == set(), "new route without a decision in EXPECTED"
    assert EXPECTED.keys() - endpoints == set(), "row for a route that no longer exists"


def test_guards_in_code_match_the_table(csrf_app):
    for endpoint, view in csrf_app.view_functions.items():
        if endpoint in FRAMEWORK_ENDPOINTS:
            continue
        declared = getattr(view, "allowed_roles", None)
        assert declared is not None, f"{endpoint} has no guard (use role_required, login_required or public)"
        assert declared == EXPECTED[endpoint], endpoint


@pytest.fixture
def world(factories):
    """One institution where every staff role is held, with a staff record, a document and a role assignment."""
    institution = factories.institution()
    users = {
        role: factories.user(f"{role.value}@matrix.example", roles=(role,), institution=institution) for role in Role
    }
    staff = factories.staff(institution, education=Education.HIGHER, supervising_years=6, it_skills=True)
    document = inst.add_document(
        None,
        staff,
        now=factories.now,
        kind=DocumentKind.DIPLOMA,
        title="Dyplom",
        filename="d.pdf",
        content=b"%PDF-1.4\n",
        max_bytes=1024,
    )
    from examplatform.qualification.services import current_qualification

    assignment = inst.grant_staff_role(
        None, staff, Role.OPERATOR, now=factories.now, reason="matrix", qualification=current_qualification()
    )
    version = factories.item_version()
    session = factories.session(institution, [users[Role.CANDIDATE]])
    attempt = factories.attempt(session, users[Role.CANDIDATE])
    from examplatform.commission.models import Commission, CommissionMember, Declaration

    commission = Commission(session=session)
    factories.db.session.add_all(
        [
            commission,
            CommissionMember(
                commission=commission,
                user=users[Role.COMMISSION_MEMBER],
                is_chair=True,  # the chair may fix the interview plan
                eligibility="test",
                appointed_at=factories.now,
            ),
            Declaration(
                session_id=session.id,
                user_id=users[Role.COMMISSION_MEMBER].id,
                statement="test",
                confirmed_at=factories.now,
            ),
        ]
    )
    factories.db.session.commit()
    params = {
        "institution_id": institution.id,
        "staff_id": staff.id,
        "document_id": document.id,
        "assignment_id": assignment.id,
        "token": "nieznany-token",
        "version_id": version.id,
        "session_id": session.id,
        "attempt_id": attempt.id,
        "document": "booklet",
        "enrolment_id": session.enrolments[0].id,
        "decision_id": 1,  # none exists: the candidate is let in and told there is no such decision (404)
    }
    return users, params


def _url(app, rule, params) -> str:
    values = {name: params[name] for name in rule.arguments if name in params}
    if rule.endpoint == "static":
        values["filename"] = "app.css"
    elif rule.endpoint == "bootstrap.static":
        values["filename"] = "css/bootstrap.min.css"
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


@pytest.mark.parametrize("role", ALL_ROLES, ids=str)
def test_role_matrix(csrf_app, client, auth, factories, world, role):
    users, params = world
    if role != ANON:
        assert auth.login(users[role].email).status_code == 302
    problems = []
    for rule in _rules(csrf_app):
        expected = EXPECTED[rule.endpoint]
        method = "GET" if "GET" in rule.methods else "POST"
        url = _url(csrf_app, rule, params)
        response = client.open(url, method=method)
        response.close()
        to_login = response.status_code == 302 and response.headers["Location"].startswith("/auth/login?next=")
        if expected == PUBLIC:
            allowed = True
        elif expected == ANY_USER:
            allowed = role != ANON
        else:
            allowed = role in expected
        if allowed:
            ok = response.status_code not in (401, 403) and (not to_login or rule.endpoint == "main.dashboard")
            ok = ok and response.status_code < 500
        elif role == ANON:
            ok = to_login
        else:
            ok = response.status_code == 403
        if not ok:
            problems.append(f"{method} {url} as {role}: {response.status_code} (allowed={allowed})")
    assert not problems, "\n".join(problems)
