"""What the candidate's browser receives: items without keys, answers, the server's clock."""

from __future__ import annotations

import functools
import json
from datetime import datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from examplatform.auth.models import User
from examplatform.bank.items import ItemType
from examplatform.bank.models import ItemVersion
from examplatform.core.errors import NotFound
from examplatform.extensions import db
from examplatform.sessions.models import Enrolment
from examplatform.theory import attempts as A
from examplatform.theory.models import Attempt, AttemptStatus, FormItem, TestForm


def attempt_for_candidate(
    user: User, attempt_id: int, *, with_session: bool = False, with_items: bool = False
) -> Attempt:
    """Return the candidate's own attempt; anybody else's is 'not found' (its existence is not revealed).

    Its form and enrolment come in the same query (they are joined for the ownership check anyway), and when
    asked for, the validation session (the start needs its PIN) and the form's items (the page shows them).
    """
    form = contains_eager(Attempt.form)
    loads = [form.contains_eager(TestForm.enrolment)]
    if with_session:
        loads.append(form.contains_eager(TestForm.enrolment).joinedload(Enrolment.session))
    if with_items:
        loads.append(form.undefer(TestForm.public_items))
    query = (
        select(Attempt)
        .join(Attempt.form)
        .join(TestForm.enrolment)
        .options(*loads)
        .where(Attempt.id == attempt_id, Enrolment.candidate_id == user.id)
    )
    attempt = db.session.scalar(query)
    if attempt is None:
        raise NotFound(_("Nie ma takiego testu."))
    return attempt


def attempts_of(user: User) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt).join(TestForm).join(Enrolment).where(Enrolment.candidate_id == user.id).order_by(Attempt.id)
        )
    )


@functools.lru_cache(maxsize=8)
def _page_texts(locale: str) -> dict[str, str]:
    return {
        "saved": _("Zapisano"),
        "saving": _("Zapisywanie…"),
        "offline": _("Brak sieci — odpowiedzi zachowane na tym komputerze"),
        "item": _("Zadanie %(n)s z %(of)s", n="%(n)s", of="%(of)s"),
        "answered": _("odpowiedzi: %(n)s z %(of)s", n="%(n)s", of="%(of)s"),
        "true": _("Prawda"),
        "false": _("Fałsz"),
        "choose": _("— wybierz —"),
        "place": _("Miejsce w kolejności:"),
        "confirm": _("Czy na pewno zakończyć test? Nie będzie można zmienić odpowiedzi."),
        "unanswered": _("Bez odpowiedzi pozostało zadań: %(n)s.", n="%(n)s"),
        "closed": _("Test został zakończony. Trwa przekierowanie do potwierdzenia…"),
        "pending": _("Nie wszystkie odpowiedzi dotarły jeszcze do serwera. Poczekaj na powrót sieci."),
    }


def page_texts() -> dict[str, str]:
    """The test page's texts for its script in the request's language (translated once per language)."""
    return _page_texts(str(get_locale()))


def public_item_of(position: int, version: ItemVersion, order) -> dict:
    """Serialise one form item for the candidate: text and choices in their shown order, nothing else."""
    item = A.item_from_content(version.content, version.status, version.origin)
    data = {"position": position, "type": str(item.type), "stem": item.stem}
    if item.type is ItemType.MATCHING:
        premises = {c.id: c.text for c in item.premises}
        responses = {c.id: c.text for c in item.responses}
        data["premises"] = [{"id": pid, "text": premises[pid]} for pid in order["premises"]]
        data["responses"] = [{"id": rid, "text": responses[rid]} for rid in order["responses"]]
    elif item.type is not ItemType.TRUEFALSE:
        texts = {c.id: c.text for c in item.options}
        data["options"] = [{"id": oid, "text": texts[oid]} for oid in order]
    return data


def public_item(fi: FormItem) -> dict:
    return public_item_of(fi.position, fi.item_version, fi.order)


def public_items(form: TestForm) -> list[dict]:
    """The form's items as the candidate sees them: stored with the form when it was generated."""
    if form.public_items is not None:
        return json.loads(form.public_items)
    form_items = db.session.scalars(  # a form generated before the items were stored with it
        select(FormItem)
        .options(joinedload(FormItem.item_version))
        .where(FormItem.form_id == form.id)
        .order_by(FormItem.position)
    ).all()
    return [public_item(fi) for fi in form_items]


def state(attempt: Attempt, now: datetime) -> dict:
    """The attempt as the candidate's page needs it (items only once the test has started)."""
    started = attempt.status in (AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED)
    items = public_items(attempt.form)
    return {
        "status": str(attempt.status),
        "remaining_seconds": A.remaining_seconds(attempt, now),
        "server_time": now.isoformat(),
        "last_seq": attempt.last_seq,
        "form": attempt.form.code,
        "count": len(items),
        "items": items if started else [],
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
