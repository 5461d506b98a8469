"""The practical part on the platform: the mounted simulator with its sandboxes in the test's folder.

On PostgreSQL the sandboxes are schemas of the test database, in the namespace the base ``app_config`` gives
each test; the exam templates are built once per run either way.
"""

from __future__ import annotations

import shutil

import pytest

from examplatform.auth.models import Role
from examplatform.commission import composition as C
from examplatform.extensions import db
from examplatform.institutions.models import Education
from examplatform.qualification.services import current_qualification
from simulator import api, registry, sandbox
from simulator.scenario import load_scenario
from simulator.storage import store_for


def exam_scenario_ids() -> list[str]:
    return [s.id for s in api.scenarios() if s.kind == "exam"]


@pytest.fixture(scope="session")
def exam_templates(tmp_path_factory, sim_database_url):
    """Every exam scenario's template, built once per run (files to copy, or shared schemas)."""
    if sim_database_url:
        for scenario in exam_scenario_ids():
            store_for({"DATABASE_URL": sim_database_url}).build_template(load_scenario(scenario))
        return None
    root = tmp_path_factory.mktemp("practical-templates")
    for scenario in exam_scenario_ids():
        sandbox.build_template(load_scenario(scenario), root)
    registry.close_all()
    return root / "templates"


@pytest.fixture
def app_config(app_config, tmp_path, exam_templates):
    if exam_templates is None:  # PostgreSQL: the base app_config names this test's sandbox namespace
        yield app_config
        return
    root = tmp_path / "sandboxes"
    shutil.copytree(exam_templates, root / "templates")
    yield {**app_config, "SIMULATOR_SANDBOX_ROOT": str(root)}
    registry.close_all()


@pytest.fixture
def exam(factories):
    """An institution with an operator, two appointed commission members, an outsider member, three candidates."""
    institution = factories.institution()
    operator = factories.user("operator@praktyka.example", roles=(Role.OPERATOR,), institution=institution)

    def member(name, email):
        staff = factories.staff(institution, education=Education.SECONDARY, supervising_years=7, name=name, email=email)
        user = factories.user(email, name=name, roles=(Role.COMMISSION_MEMBER,), institution=institution)
        staff.user = user
        db.session.commit()
        return user

    a = member("Anna Obserwuje", "anna@komisja.example")
    outsider = member("Olga Spoza", "olga@komisja.example")
    candidates = [
        factories.user(f"praktyk{n}@test.example", name=f"Praktyk {n}", roles=(Role.CANDIDATE,)) for n in (1, 2, 3)
    ]
    session = factories.session(institution, candidates)
    C.appoint(session, a, actor=operator, now=factories.now, qualification=current_qualification(), chair=True)
    db.session.commit()
    return {
        "institution": institution,
        "operator": operator,
        "member": a,
        "outsider": outsider,
        "candidates": candidates,
        "session": session,
        "scenario": exam_scenario_ids()[0],
    }
