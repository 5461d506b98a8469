"""Command-line tools: create-admin and the demo data."""

from sqlalchemy import func, select

from examplatform.auth.models import Role, User
from examplatform.extensions import db
from examplatform.institutions.models import StaffMember
from examplatform.sessions.models import Enrolment, ValidationSession


def test_create_admin_prompts_and_checks_the_password(csrf_app):
    runner = csrf_app.test_cli_runner()
    weak = runner.invoke(args=["create-admin", "--email", "szef@test.example"], input="krotkie\nkrotkie\n")
    assert weak.exit_code != 0 and "co najmniej 10 znaków" in weak.output
    ok = runner.invoke(
        args=["create-admin", "--email", "szef@test.example", "--name", "Szef"],
        input="Mocne-Haslo-Admina-1\nMocne-Haslo-Admina-1\n",
    )
    assert ok.exit_code == 0, ok.output
    user = db.session.scalar(select(User).where(User.email == "szef@test.example"))
    assert user.has_role(Role.PLATFORM_ADMIN)
    again = runner.invoke(args=["create-admin", "--email", "szef@test.example"])
    assert again.exit_code == 0  # an existing admin stays, nothing is duplicated
    assert len(user.roles) == 1


def test_demo_is_idempotent_and_prints_logins(csrf_app, client):
    runner = csrf_app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    counts = [
        db.session.scalar(select(func.count()).select_from(m))
        for m in (User, StaffMember, ValidationSession, Enrolment)
    ]
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert counts == [
        db.session.scalar(select(func.count()).select_from(m))
        for m in (User, StaffMember, ValidationSession, Enrolment)
    ]
    for email in (
        "admin@demo.example",
        "operator@demo.example",
        "komisja1@demo.example",
        "odwolania@demo.example",
        "audytor@demo.example",
        "kandydat1@demo.example",
        "platforma@demo.example",
    ):
        assert email in first.output
    assert "Walidacja-13881" in first.output
    assert counts[3] == 3  # three candidates in the upcoming session
    # every demo login works
    for line in first.output.splitlines()[1:]:
        email, password = line.split()[:2]
        assert client.post("/auth/login", data={"email": email, "password": password}).status_code == 302, email
        client.post("/auth/logout")


def test_demo_commission_members_are_eligible(csrf_app):
    from examplatform.demo import STAFF

    csrf_app.test_cli_runner().invoke(args=["demo"])
    for person in STAFF:
        user = db.session.scalar(select(User).where(User.email == person.email))
        assert {a.role for a in user.roles} == set(person.roles)
