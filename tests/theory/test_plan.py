"""The institution changes its test plan; the bank must be able to fill it; changes are audited."""

from sqlalchemy import select

from examplatform.audit.models import AuditEntry
from examplatform.auth.models import Role
from examplatform.extensions import db
from examplatform.theory.models import TestBlueprint


def _plan(institution_id, **overrides):
    data = {
        "time_limit_minutes": "60",
        "pass_percent": "70",
        "partial_credit": "per_item",
        "shuffle_items": "y",
        "shuffle_options": "y",
        "reason": "zmiana planu na rok 2027",
    }
    for code, n in {
        "1.1.1": 4,
        "1.1.2": 4,
        "1.1.3": 4,
        "1.1.4": 4,
        "1.2.1": 5,
        "1.3.1": 5,
        "1.3.2": 6,
        "1.3.3": 5,
        "2.5.3": 3,
    }.items():
        data[f"n_{code.replace('.', '_')}"] = str(n)
    data.update(overrides)
    return data


def test_default_plan_is_40_items_60_minutes_70_percent(client, auth, bank, factories):
    institution = factories.institution()
    auth.login(factories.user(roles=(Role.INSTITUTION_ADMIN,), institution=institution).email)
    page = client.get(f"/institutions/{institution.id}/test-plan").get_data(as_text=True)
    assert "Obecnie zadań w teście: 40" in page and 'value="60"' in page and 'value="70"' in page


def test_admin_changes_the_plan_with_a_reason(client, auth, bank, factories):
    institution = factories.institution()
    auth.login(factories.user(roles=(Role.INSTITUTION_ADMIN,), institution=institution).email)
    client.get(f"/institutions/{institution.id}/test-plan")
    response = client.post(
        f"/institutions/{institution.id}/test-plan",
        data=_plan(institution.id, time_limit_minutes="75", pass_percent="75", n_2_1_1="2"),
    )
    assert response.status_code == 302
    blueprint = db.session.scalars(select(TestBlueprint)).one()
    assert blueprint.time_limit_minutes == 75 and blueprint.pass_percent == 75 and blueprint.total_items == 42
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "theory.blueprint_changed")).one()
    assert entry.reason == "zmiana planu na rok 2027" and '"time_limit_minutes"' in entry.details


def test_plan_the_bank_cannot_fill_is_refused(client, auth, bank, factories):
    institution = factories.institution()
    auth.login(factories.user(roles=(Role.INSTITUTION_ADMIN,), institution=institution).email)
    response = client.post(f"/institutions/{institution.id}/test-plan", data=_plan(institution.id, n_2_5_3="40"))
    assert response.status_code == 400
    assert "Dla 2.5.3 potrzeba 40 zadań" in response.get_data(as_text=True)
    bad = client.post(
        f"/institutions/{institution.id}/test-plan", data=_plan(institution.id, pass_percent="120", reason="")
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Od 1 do 100." in page and "To pole jest wymagane." in page
