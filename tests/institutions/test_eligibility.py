"""Eligibility of staff as commission members and exam operators, with the reason shown."""

from datetime import date

import pytest

from examplatform.institutions.eligibility import commission_eligibility, operator_eligibility, supervising_days
from examplatform.institutions.models import Education, ExperiencePeriod, StaffMember
from examplatform.qualification.loader import load_qualification_file
from tests.conftest import PROJECT_ROOT

Q = load_qualification_file(PROJECT_ROOT / "question_bank/qualification/13881.yaml")
TODAY = date(2026, 11, 26)


def _staff(education: Education, *periods: tuple[date, date | None, bool], it: bool = False) -> StaffMember:
    staff = StaffMember(full_name="Test", email="t@test.example", education=education, it_skills_confirmed=it)
    staff.experience = [
        ExperiencePeriod(employer="F", position="P", start_date=s, end_date=e, supervises_crm_operators=sup)
        for s, e, sup in periods
    ]
    staff.documents = []
    return staff


@pytest.mark.parametrize(
    ("education", "start", "eligible"),
    [
        (Education.SECONDARY, date(2021, 11, 28), True),  # 1825 days inclusive: 5 years of 365 days (art. 114 KC)
        (Education.SECONDARY, date(2021, 11, 29), False),  # 1824 days: one day short
        (Education.HIGHER, date(2010, 1, 1), True),
        (Education.BASIC_VOCATIONAL, date(2010, 1, 1), False),
        (Education.PRIMARY, date(2000, 1, 1), False),
    ],
)
def test_commission_member_needs_secondary_education_and_five_years(education, start, eligible):
    verdict = commission_eligibility(_staff(education, (start, None, True)), Q.commission, TODAY)
    assert verdict.eligible is eligible


def test_reason_names_every_unmet_condition(csrf_app):
    verdict = commission_eligibility(
        _staff(Education.BASIC_VOCATIONAL, (date(2024, 1, 1), None, True)), Q.commission, TODAY
    )
    assert not verdict.eligible
    assert verdict.reason.startswith("Nie spełnia wymagań")
    assert "wykształcenie" in verdict.reason and "2,9 lat" in verdict.reason and "co najmniej 5" in verdict.reason


def test_only_supervision_of_crm_operators_counts_and_overlaps_count_once():
    staff = _staff(
        Education.SECONDARY,
        (date(2015, 1, 1), date(2019, 12, 31), False),  # sales work without supervision: does not count
        (date(2020, 1, 1), date(2022, 12, 31), True),
        (date(2022, 1, 1), date(2023, 12, 31), True),  # overlaps the previous one by a year
    )
    assert supervising_days(staff.experience, TODAY) == (date(2023, 12, 31) - date(2020, 1, 1)).days + 1
    assert not commission_eligibility(staff, Q.commission, TODAY).eligible


def test_future_part_of_a_period_does_not_count():
    staff = _staff(Education.SECONDARY, (date(2022, 1, 1), date(2030, 1, 1), True))
    assert supervising_days(staff.experience, TODAY) == (TODAY - date(2022, 1, 1)).days + 1


def test_operator_needs_secondary_education_and_it_skills(csrf_app):
    assert operator_eligibility(_staff(Education.SECONDARY, it=True), Q.operator).eligible
    without_skills = operator_eligibility(_staff(Education.SECONDARY, it=False), Q.operator)
    assert not without_skills.eligible and "niepotwierdzona" in without_skills.reason
    assert not operator_eligibility(_staff(Education.BASIC_VOCATIONAL, it=True), Q.operator).eligible


def test_missing_documents_are_warned_about(csrf_app):
    verdict = commission_eligibility(_staff(Education.HIGHER, (date(2010, 1, 1), None, True)), Q.commission, TODAY)
    assert verdict.eligible
    assert any("świadectwo lub dyplom" in w for w in verdict.warnings)
