"""A session with an institution, eligible and ineligible commission members, and candidates."""

import pytest

from examplatform.auth.models import Role
from examplatform.institutions.models import Education
from examplatform.qualification.services import current_qualification


@pytest.fixture
def q(csrf_app):
    return current_qualification()


@pytest.fixture
def panel(factories):
    institution = factories.institution()
    admin = factories.user(roles=(Role.INSTITUTION_ADMIN,), institution=institution)

    def member(name, *, years=6, education=Education.SECONDARY):
        staff = factories.staff(
            institution,
            education=education,
            supervising_years=years,
            name=name,
            email=f"{name.split()[0].lower()}@komisja.example",
        )
        user = factories.user(staff.email, name=name, roles=(Role.COMMISSION_MEMBER,), institution=institution)
        staff.user = user
        factories.db.session.commit()
        return user

    a, b, c = member("Anna Ocenia"), member("Bartosz Ocenia"), member("Celina Zastępuje", years=9)
    junior = member("Damian Młodszy", years=3)
    candidates = [
        factories.user(f"kandydat{n}@test.example", name=f"Kandydat {n}", roles=(Role.CANDIDATE,)) for n in range(1, 4)
    ]
    session = factories.session(institution, candidates)
    return {
        "institution": institution,
        "admin": admin,
        "a": a,
        "b": b,
        "c": c,
        "junior": junior,
        "candidates": candidates,
        "session": session,
    }
