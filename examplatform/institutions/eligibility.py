"""Whether a staff member may sit on a commission or operate the exam system, and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_decimal
from flask_babel import gettext as _

from examplatform.institutions.models import DocumentKind, Education, ExperiencePeriod, StaffMember
from examplatform.qualification.loader import CommissionRules, OperatorRules

# Periods of work need not be continuous, so a year counts as 365 days (Kodeks cywilny, art. 114).
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Condition:
    """One requirement and whether the evidence meets it."""

    label: str
    met: bool
    detail: str


@dataclass(frozen=True)
class Eligibility:
    """The verdict for one function, with every condition behind it."""

    function: str
    conditions: tuple[Condition, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def eligible(self) -> bool:
        return all(c.met for c in self.conditions)

    @property
    def reason(self) -> str:
        """One sentence: the unmet conditions, or that all are met."""
        unmet = [f"{c.label}: {c.detail}" for c in self.conditions if not c.met]
        if unmet:
            return _("Nie spełnia wymagań — %(list)s.", list="; ".join(unmet))
        return _("Spełnia wymagania — %(list)s.", list="; ".join(c.detail for c in self.conditions))


def supervising_days(periods: Iterable[ExperiencePeriod], today: date) -> int:
    """Count the calendar days spent supervising CRM operators, counting overlaps once."""
    spans = sorted(
        (p.start_date, min(p.end_date or today, today))
        for p in periods
        if p.supervises_crm_operators and p.start_date <= today
    )
    total, current_start, current_end = 0, None, None
    for start, end in spans:
        if end < start:
            continue
        if current_end is None or start > current_end:
            if current_end is not None:
                total += (current_end - current_start).days + 1
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += (current_end - current_start).days + 1
    return total


def supervising_years(periods: Iterable[ExperiencePeriod], today: date) -> float:
    return supervising_days(periods, today) / DAYS_PER_YEAR


def _education_condition(staff: StaffMember, minimum: str) -> Condition:
    required = Education(minimum)
    met = Education(staff.education).rank >= required.rank
    return Condition(
        _("wykształcenie"),
        met,
        _("%(has)s (wymagane co najmniej: %(req)s)", has=Education(staff.education).label, req=required.label),
    )


def _document_warnings(staff: StaffMember, kinds: Iterable[DocumentKind]) -> tuple[str, ...]:
    present = {d.kind for d in staff.documents}
    return tuple(_("Brak dokumentu: %(kind)s.", kind=kind.label) for kind in kinds if kind not in present)


def commission_eligibility(staff: StaffMember, rules: CommissionRules, today: date) -> Eligibility:
    """Judge eligibility as a commission member (komisja walidacyjna)."""
    years = supervising_years(staff.experience, today)
    experience = Condition(
        _("staż nadzorowania pracy operatorów systemów CRM"),
        supervising_days(staff.experience, today) >= rules.min_years_supervising * DAYS_PER_YEAR,
        _(
            "%(years)s lat (wymagane co najmniej %(req)s)",
            years=format_decimal(years, "0.0"),
            req=format_decimal(rules.min_years_supervising, "0.#"),
        ),
    )
    return Eligibility(
        "commission_member",
        (_education_condition(staff, rules.min_education), experience),
        _document_warnings(staff, (DocumentKind.DIPLOMA, DocumentKind.EMPLOYMENT_CERTIFICATE)),
    )


def operator_eligibility(staff: StaffMember, rules: OperatorRules) -> Eligibility:
    """Judge eligibility as an exam-system operator (operator systemu egzaminacyjnego)."""
    conditions = [_education_condition(staff, rules.min_education)]
    if rules.requires_it_skills:
        conditions.append(
            Condition(
                _("obsługa komputera i rozwiązywanie problemów z połączeniem i przeglądarką"),
                staff.it_skills_confirmed,
                _("potwierdzona") if staff.it_skills_confirmed else _("niepotwierdzona"),
            )
        )
    return Eligibility("operator", tuple(conditions), _document_warnings(staff, (DocumentKind.DIPLOMA,)))
