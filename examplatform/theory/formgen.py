"""Generate each candidate's form from a stored seed, and reproduce it exactly for an appeal."""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from examplatform.audit.services import record
from examplatform.auth.models import User
from examplatform.bank.items import ItemStatus, ItemType
from examplatform.bank.models import ItemVersion
from examplatform.core.errors import DomainError
from examplatform.extensions import db
from examplatform.qualification.loader import Qualification
from examplatform.sessions.models import Enrolment, ValidationSession
from examplatform.theory.blueprints import blueprint_for, check_allocation, snapshot
from examplatform.theory.delivery import public_item_of
from examplatform.theory.models import Attempt, AttemptStatus, FormItem, TestForm


@dataclass(frozen=True)
class Planned:
    """An item chosen for a position, with the order its options will be shown in."""

    version_id: int
    order: list | dict


def _pools(allocation: dict[str, int], seen_keys: set[str]) -> dict[str, list[list]]:
    """Return, per criterion, [version id, item key, exposure, seen before] of the newest reviewed versions."""
    pools: dict[str, list[list]] = {}
    for criterion in sorted(allocation):
        newest: dict[str, ItemVersion] = {}
        for version in db.session.scalars(
            select(ItemVersion).where(ItemVersion.criterion == criterion, ItemVersion.status == ItemStatus.REVIEWED)
        ):
            if version.item_key not in newest or version.version > newest[version.item_key].version:
                newest[version.item_key] = version
        pools[criterion] = sorted(
            [[v.id, v.item_key, v.exposure_count, v.item_key in seen_keys] for v in newest.values()]
        )
    return pools


def _option_order(version: ItemVersion, rng: random.Random, shuffle: bool) -> list | dict:
    item = version.to_item()
    if item.type is ItemType.TRUEFALSE:
        return []
    if item.type is ItemType.MATCHING:
        responses = [c.id for c in item.responses]
        if shuffle:
            rng.shuffle(responses)
        return {"premises": [c.id for c in item.premises], "responses": responses}
    ids = [c.id for c in item.options]
    if item.type is ItemType.ORDERING:
        rng.shuffle(ids)  # always: the written order may be the answer
        if tuple(ids) == item.key:
            ids = ids[1:] + ids[:1]
    elif shuffle:
        rng.shuffle(ids)
    return ids


def plan_form(seed: int, settings: dict, pools: dict[str, list[list]]) -> list[Planned]:
    """Choose items (least exposed first, unseen before seen) and orders, deterministically from ``seed``."""
    rng = random.Random(seed)  # noqa: S311  (reproducible by design; the seed itself comes from secrets)
    chosen: list[int] = []
    for criterion in sorted(settings["allocation"]):
        pool = pools[criterion]
        tiebreak = {entry[0]: rng.random() for entry in pool}
        ranked = sorted(pool, key=lambda e: (e[3], e[2], tiebreak[e[0]]))
        chosen.extend(entry[0] for entry in ranked[: settings["allocation"][criterion]])
    if settings["shuffle_items"]:
        rng.shuffle(chosen)
    versions = {v.id: v for v in db.session.scalars(select(ItemVersion).where(ItemVersion.id.in_(chosen)))}
    return [Planned(vid, _option_order(versions[vid], rng, settings["shuffle_options"])) for vid in chosen]


def _seen_item_keys(candidate_id: int) -> set[str]:
    rows = db.session.scalars(
        select(ItemVersion.item_key)
        .join(FormItem, FormItem.item_version_id == ItemVersion.id)
        .join(TestForm, TestForm.id == FormItem.form_id)
        .join(Enrolment, Enrolment.id == TestForm.enrolment_id)
        .where(Enrolment.candidate_id == candidate_id)
    )
    return set(rows)


def _new_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from paper
    return "T-" + "".join(secrets.choice(alphabet) for _ in range(8))


def generate_form(enrolment: Enrolment, settings: dict, *, now: datetime, seed: int | None = None) -> TestForm:
    """Generate and store one candidate's form; mark its item versions as used (immutable)."""
    seed = seed if seed is not None else secrets.randbits(62)
    pools = _pools(settings["allocation"], _seen_item_keys(enrolment.candidate_id))
    plan = plan_form(seed, settings, pools)
    if len(plan) != sum(settings["allocation"].values()):
        raise DomainError(_("W banku brakuje zatwierdzonych zadań, by wygenerować pełny formularz."))
    form = TestForm(
        enrolment=enrolment,
        code=_new_code(),
        seed=seed,
        settings=json.dumps(settings, sort_keys=True),
        selection_trace=json.dumps(pools, sort_keys=True),
        created_at=now,
    )
    form.items = [
        FormItem(position=n, item_version_id=p.version_id, option_order=json.dumps(p.order))
        for n, p in enumerate(plan, start=1)
    ]
    db.session.add(form)
    db.session.add(Attempt(form=form, status=AttemptStatus.READY))
    versions = {
        v.id: v for v in db.session.scalars(select(ItemVersion).where(ItemVersion.id.in_([p.version_id for p in plan])))
    }
    for version in versions.values():
        version.exposure_count += 1
        version.first_used_at = version.first_used_at or now
    form.public_items = json.dumps(
        [public_item_of(n, versions[p.version_id], p.order) for n, p in enumerate(plan, start=1)], ensure_ascii=False
    )
    db.session.flush()
    return form


def reproduce(form: TestForm) -> bool:
    """Re-run the generation from the stored seed and pools; True when it yields exactly the stored form."""
    settings, pools = form.snapshot, json.loads(form.selection_trace)
    if set(settings["allocation"]) - set(pools):
        return False  # the stored trace does not cover the blueprint: the form cannot be re-derived
    plan = plan_form(form.seed, settings, pools)
    stored = [(fi.item_version_id, fi.order) for fi in form.items]
    return stored == [(p.version_id, p.order) for p in plan]


def prepare_session(
    session: ValidationSession, *, actor: User | None, now: datetime, qualification: Qualification
) -> list[TestForm]:
    """Generate a form for every enrolled candidate who has none (before the start, not at the start spike)."""
    blueprint = blueprint_for(session.institution_id, qualification, now=now)
    settings = snapshot(blueprint)
    problems = check_allocation(settings["allocation"], qualification)
    if problems:
        raise DomainError(" ".join(problems))
    have = set(
        db.session.scalars(
            select(TestForm.enrolment_id).where(TestForm.enrolment_id.in_([e.id for e in session.enrolments]))
        )
    )
    forms = [generate_form(e, settings, now=now) for e in session.enrolments if e.id not in have]
    if forms:
        record(
            "theory.session_prepared",
            actor=actor,
            now=now,
            institution_id=session.institution_id,
            object_type="session",
            object_id=session.code,
            details={"forms": [f.code for f in forms]},
        )
    return forms
