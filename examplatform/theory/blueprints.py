"""The test plan: defaults from the qualification, checked against the bank."""

from __future__ import annotations

import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from examplatform.audit.services import apply_changes
from examplatform.auth.models import User
from examplatform.bank.items import ItemStatus
from examplatform.bank.models import ItemVersion
from examplatform.core.errors import DomainError
from examplatform.extensions import db
from examplatform.qualification.loader import Qualification
from examplatform.theory.models import PartialCredit, TestBlueprint

# 40 items over the nine criteria verified by the test (T), weighted towards data protection.
DEFAULT_ALLOCATION = {
    "1.1.1": 4,
    "1.1.2": 4,
    "1.1.3": 4,
    "1.1.4": 4,
    "1.2.1": 5,
    "1.3.1": 5,
    "1.3.2": 6,
    "1.3.3": 5,
    "2.5.3": 3,
}


def usable_counts() -> dict[str, int]:
    """Count reviewed item versions per criterion (the pool forms are drawn from)."""
    rows = db.session.execute(
        select(ItemVersion.criterion, func.count(func.distinct(ItemVersion.item_key)))
        .where(ItemVersion.status == ItemStatus.REVIEWED)
        .group_by(ItemVersion.criterion)
    ).all()
    return dict(rows)


def check_allocation(allocation: dict[str, int], qualification: Qualification) -> list[str]:
    """Return Polish problems of an allocation: unknown criteria, negative counts, too few items in the bank."""
    problems = []
    codes = {c.code for c in qualification.criteria}
    available = usable_counts()
    for code, n in allocation.items():
        if code not in codes:
            problems.append(_("Kryterium %(code)s nie istnieje w opisie kwalifikacji.", code=code))
        elif n < 0:
            problems.append(_("Liczba zadań dla %(code)s nie może być ujemna.", code=code))
        elif n > available.get(code, 0):
            problems.append(
                _(
                    "Dla %(code)s potrzeba %(n)d zadań, a bank ma zatwierdzonych %(a)d.",
                    code=code,
                    n=n,
                    a=available.get(code, 0),
                )
            )
    if sum(allocation.values()) < 1:
        problems.append(_("Test musi mieć co najmniej jedno zadanie."))
    return problems


def blueprint_for(institution_id: int, qualification: Qualification, *, now: datetime) -> TestBlueprint:
    """Return the institution's blueprint, creating the default (40 items, 60 min, 70 %) on first use."""
    blueprint = db.session.scalar(
        select(TestBlueprint).where(
            TestBlueprint.institution_id == institution_id,
            TestBlueprint.qualification_version == qualification.version,
        )
    )
    if blueprint is None:
        blueprint = TestBlueprint(
            institution_id=institution_id,
            qualification_version=qualification.version,
            items_per_criterion=json.dumps(DEFAULT_ALLOCATION, sort_keys=True),
            updated_at=now,
        )
        db.session.add(blueprint)
        db.session.flush()
    return blueprint


def update_blueprint(
    blueprint: TestBlueprint,
    *,
    actor: User,
    now: datetime,
    reason: str,
    qualification: Qualification,
    allocation: dict[str, int],
    time_limit_minutes: int,
    pass_percent: int,
    shuffle_items: bool,
    shuffle_options: bool,
    partial_credit: PartialCredit,
    answer_review_allowed: bool,
) -> dict:
    """Change the test plan; refuse plans the bank cannot fill; audit every changed setting."""
    allocation = {code: n for code, n in allocation.items() if n}
    problems = check_allocation(allocation, qualification)
    if not 5 <= time_limit_minutes <= 300:
        problems.append(_("Czas testu musi wynosić od 5 do 300 minut."))
    if not 1 <= pass_percent <= 100:
        problems.append(_("Próg zaliczenia musi wynosić od 1 do 100%."))
    if problems:
        raise DomainError(" ".join(problems))
    new = {
        "items_per_criterion": json.dumps(allocation, sort_keys=True),
        "time_limit_minutes": time_limit_minutes,
        "pass_percent": pass_percent,
        "shuffle_items": shuffle_items,
        "shuffle_options": shuffle_options,
        "partial_credit": partial_credit,
        "answer_review_allowed": answer_review_allowed,
    }
    changes = apply_changes(
        blueprint,
        new,
        action="theory.blueprint_changed",
        actor=actor,
        now=now,
        reason=reason,
        institution_id=blueprint.institution_id,
        object_type="blueprint",
    )
    if changes:
        blueprint.updated_at = now
    return changes


def snapshot(blueprint: TestBlueprint) -> dict:
    """Freeze the settings a form is generated and scored with."""
    return {
        "allocation": blueprint.allocation,
        "time_limit_minutes": blueprint.time_limit_minutes,
        "pass_percent": blueprint.pass_percent,
        "shuffle_items": blueprint.shuffle_items,
        "shuffle_options": blueprint.shuffle_options,
        "partial_credit": str(blueprint.partial_credit),
        "answer_review_allowed": blueprint.answer_review_allowed,
        "qualification_version": blueprint.qualification_version,
    }
