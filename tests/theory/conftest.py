"""Theory fixtures: the real bank in the database and a prepared session."""

from datetime import timedelta

import pytest

from examplatform.auth.models import Role
from examplatform.bank.services import sync_from_files
from examplatform.extensions import db
from examplatform.qualification.services import current_qualification
from examplatform.theory.formgen import prepare_session
from tests.bank.test_files import BANK, CRITERIA


@pytest.fixture
def bank(csrf_app, factories):
    sync_from_files(BANK, CRITERIA, actor=None, now=factories.now)
    db.session.commit()


@pytest.fixture
def prepared(bank, factories):
    """An institution, an operator, three enrolled candidates, forms generated."""
    institution = factories.institution()
    operator = factories.user(roles=(Role.OPERATOR,), institution=institution)
    candidates = [factories.user(roles=(Role.CANDIDATE,)) for _ in range(3)]
    session = factories.session(institution, candidates, starts_at=factories.now + timedelta(hours=1))
    forms = prepare_session(session, actor=operator, now=factories.now, qualification=current_qualification())
    db.session.commit()
    return {
        "institution": institution,
        "operator": operator,
        "candidates": candidates,
        "session": session,
        "forms": forms,
    }
