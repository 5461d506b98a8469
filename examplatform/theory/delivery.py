"""What the candidate's browser receives: items without keys, answers, the server's clock."""

from __future__ import annotations

import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from examplatform.auth.models import User
from examplatform.bank.items import ItemType
from examplatform.core.errors import NotFound
from examplatform.extensions import db
from examplatform.sessions.models import Enrolment
from examplatform.theory import attempts as A
from examplatform.theory.models import Attempt, AttemptStatus, FormItem, TestForm


def attempt_for_candidate(user: User, attempt_id: int) -> Attempt:
    """Return the candidate's own attempt; anybody else's is 'not found' (its existence is not revealed)."""
    attempt = db.session.scalar(
        select(Attempt)
        .join(TestForm)
        .join(Enrolment)
        .where(Attempt.id == attempt_id, Enrolment.candidate_id == user.id)
    )
    if attempt is None:
        raise NotFound(_("Nie ma takiego testu."))
    return attempt


def attempts_of(user: User) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt).join(TestForm).join(Enrolment).where(Enrolment.candidate_id == user.id).order_by(Attempt.id)
        )
    )


def public_item(fi: FormItem) -> dict:
    """Serialise one form item for the candidate: text and choices in their shown order, nothing else."""
    version = fi.item_version
    item = A.item_from_content(version.content, version.status, version.origin)
    data = {"position": fi.position, "type": str(item.type), "stem": item.stem}
    order = fi.order
    if item.type is ItemType.MATCHING:
        premises = {c.id: c.text for c in item.premises}
        responses = {c.id: c.text for c in item.responses}
        data["premises"] = [{"id": pid, "text": premises[pid]} for pid in order["premises"]]
        data["responses"] = [{"id": rid, "text": responses[rid]} for rid in order["responses"]]
    elif item.type is not ItemType.TRUEFALSE:
        texts = {c.id: c.text for c in item.options}
        data["options"] = [{"id": oid, "text": texts[oid]} for oid in order]
    return data


def state(attempt: Attempt, now: datetime) -> dict:
    """The attempt as the candidate's page needs it (items only once the test has started)."""
    started = attempt.status in (AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED)
    form_items = db.session.scalars(
        select(FormItem)
        .options(joinedload(FormItem.item_version))
        .where(FormItem.form_id == attempt.form_id)
        .order_by(FormItem.position)
    ).all()
    return {
        "status": str(attempt.status),
        "remaining_seconds": A.remaining_seconds(attempt, now),
        "server_time": now.isoformat(),
        "last_seq": attempt.last_seq,
        "form": attempt.form.code,
        "count": len(form_items),
        "items": [public_item(fi) for fi in form_items] if started else [],
        "answers": {
            str(a.position): {"value": json.loads(a.value), "flagged": a.flagged, "seq": a.seq} for a in attempt.answers
        }
        if started
        else {},
        "receipt": attempt.receipt if attempt.status is AttemptStatus.SUBMITTED else None,
    }


def review_rows(attempt: Attempt, result) -> list[dict]:
    """After release (and only if the institution allows it): each item with the answer, the key and the points."""
    answers = A.answers_of(attempt)
    points = {row["position"]: row["points"] for row in result.items}
    rows = []
    for fi in attempt.form.items:
        item = fi.item_version.to_item()
        key = item.key
        if item.type is ItemType.MATCHING:
            key = dict(key)
        elif isinstance(key, tuple):
            key = list(key)
        rows.append({**public_item(fi), "answer": answers.get(fi.position), "key": key, "points": points[fi.position]})
    return rows
