"""Paper mode: personalised booklets and answer sheets (PDF), double entry of the sheets, the same scoring."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from datetime import datetime

import segno
from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select

from examplatform.audit.services import record
from examplatform.auth.models import User
from examplatform.bank.items import ItemType
from examplatform.core.errors import Conflict, DomainError
from examplatform.extensions import db
from examplatform.theory import attempts as A
from examplatform.theory.delivery import public_item
from examplatform.theory.models import Attempt, AttemptStatus, DeliveryMode, FinishReason, PaperEntry

LETTERS = string.ascii_lowercase


def qr_svg(attempt: Attempt) -> str:
    """A QR code (SVG data URI) naming the qualification, form and attempt, for scanning sheets back in."""
    payload = f"13881|{attempt.form.code}|{attempt.id}"
    return segno.make(payload, error="m").svg_data_uri(scale=3)


def paper_items(attempt: Attempt) -> list[dict]:
    """Items as printed: options lettered a, b, c… in the order stored on the form; premises numbered."""
    items = []
    for fi in attempt.form.items:
        data = public_item(fi)
        for key in ("options", "responses"):
            for n, choice in enumerate(data.get(key, [])):
                choice["label"] = LETTERS[n]
        for n, premise in enumerate(data.get("premises", []), start=1):
            premise["label"] = str(n)
        items.append(data)
    return items


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def booklet_pdf(attempt: Attempt) -> bytes:
    """The candidate's own booklet: their form in its order, without any key."""
    return render_pdf(
        render_template("theory/paper/booklet.html", attempt=attempt, items=paper_items(attempt), qr=qr_svg(attempt))
    )


def sheet_pdf(attempt: Attempt) -> bytes:
    """The answer sheet of the candidate's form, with answers already given on screen printed in."""
    carried = {
        pos: paper_text(attempt, pos, value) for pos, value in A.answers_of(attempt).items() if value is not None
    }
    return render_pdf(
        render_template(
            "theory/paper/sheet.html", attempt=attempt, items=paper_items(attempt), qr=qr_svg(attempt), carried=carried
        )
    )


def _form_item(attempt: Attempt, position: int):
    return next(fi for fi in attempt.form.items if fi.position == position)


def paper_text(attempt: Attempt, position: int, value) -> str:
    """Write an answer the way it is written on the sheet (letters, P/F)."""
    fi = _form_item(attempt, position)
    item_type = fi.item_version.type
    if item_type is ItemType.TRUEFALSE:
        return "P" if value else "F"
    if item_type is ItemType.MATCHING:
        premises, responses = fi.order["premises"], fi.order["responses"]
        return "".join(LETTERS[responses.index(value[p])] if p in value else "-" for p in premises)
    ids = [value] if isinstance(value, str) else value
    return "".join(LETTERS[fi.order.index(i)] for i in ids)


def parse_paper(attempt: Attempt, position: int, raw: str):
    """Turn what was keyed from the sheet into an answer; '' = no answer; raise DomainError if unreadable."""
    text = raw.strip().lower().replace(" ", "").replace(",", "")
    if not text:
        return None
    fi = _form_item(attempt, position)
    item_type = fi.item_version.type
    bad = DomainError(_("Zadanie %(n)d: nieczytelny wpis „%(raw)s”.", n=position, raw=raw.strip()[:20]))
    if item_type is ItemType.TRUEFALSE:
        if text not in ("p", "f"):
            raise bad
        return text == "p"
    if item_type is ItemType.MATCHING:
        premises, responses = fi.order["premises"], fi.order["responses"]
        if len(text) != len(premises) or any(c != "-" and c not in LETTERS[: len(responses)] for c in text):
            raise bad
        pairs = {p: responses[LETTERS.index(c)] for p, c in zip(premises, text, strict=True) if c != "-"}
        return pairs or None
    order = fi.order
    if any(c not in LETTERS[: len(order)] for c in text) or len(set(text)) != len(text):
        raise bad
    ids = [order[LETTERS.index(c)] for c in text]
    if item_type is ItemType.SINGLE:
        if len(ids) != 1:
            raise bad
        return ids[0]
    if item_type is ItemType.MULTIPLE:
        return sorted(ids)
    if len(ids) != len(order):
        raise bad
    return ids


def move_to_paper(attempt: Attempt, *, actor: User, now: datetime, reason: str) -> None:
    """Switch a candidate to paper mid-session: the screen stops, answers so far carry over."""
    if attempt.status is AttemptStatus.SUBMITTED:
        raise Conflict(_("Test jest już zakończony."))
    if not reason.strip():
        raise DomainError(_("Podaj powód działania operatora."))
    if attempt.status is AttemptStatus.IN_PROGRESS:
        A.pause(attempt, actor=actor, now=now, reason=reason)
    attempt.mode = DeliveryMode.PAPER
    record(
        "theory.operator.moved_to_paper",
        actor=actor,
        now=now,
        object_type="attempt",
        object_id=attempt.id,
        reason=reason.strip(),
        details={"answers_carried_over": len(attempt.answers)},
    )


def entries(attempt: Attempt) -> dict[int, PaperEntry]:
    return {e.entry_no: e for e in db.session.scalars(select(PaperEntry).where(PaperEntry.attempt_id == attempt.id))}


def save_entry(attempt: Attempt, entry_no: int, raw: dict[int, str], *, actor: User, now: datetime) -> PaperEntry:
    """Store one keying of the sheet; the two keyings must come from two different people."""
    if entry_no not in (1, 2):
        raise DomainError(_("Są dwa wprowadzenia: 1 i 2."))
    if attempt.mode is not DeliveryMode.PAPER:
        raise Conflict(_("Ten kandydat nie pisze testu na papierze."))
    if attempt.status is AttemptStatus.SUBMITTED:
        raise Conflict(_("Odpowiedzi z arkusza zostały już zatwierdzone."))
    existing = entries(attempt)
    if entry_no in existing:
        raise Conflict(_("Wprowadzenie nr %(n)d już zapisano.", n=entry_no))
    other = existing.get(3 - entry_no)
    if other is not None and other.entered_by_id == actor.id:
        raise DomainError(_("Drugie wprowadzenie musi wykonać inna osoba niż pierwsze."))
    errors = []
    for position, text in raw.items():
        try:
            parse_paper(attempt, position, text)
        except DomainError as exc:
            errors.append(exc.message)
    if errors:
        raise DomainError(" ".join(errors))
    entry = PaperEntry(
        attempt_id=attempt.id,
        entry_no=entry_no,
        entered_by_id=actor.id,
        entered_at=now,
        raw=json.dumps({str(k): v.strip().lower() for k, v in raw.items()}, ensure_ascii=False),
    )
    db.session.add(entry)
    db.session.flush()
    record(
        "theory.paper_entry",
        actor=actor,
        now=now,
        object_type="attempt",
        object_id=attempt.id,
        details={"entry": entry_no},
    )
    return entry


@dataclass(frozen=True)
class Difference:
    position: int
    first: str
    second: str


def differences(attempt: Attempt) -> list[Difference]:
    """Positions where the two keyings disagree (compared as parsed answers, so 'AC' equals 'ca')."""
    both = entries(attempt)
    if set(both) != {1, 2}:
        return []
    first, second = json.loads(both[1].raw), json.loads(both[2].raw)
    return [
        Difference(int(pos), first.get(pos, ""), second.get(pos, ""))
        for pos in sorted(set(first) | set(second), key=int)
        if parse_paper(attempt, int(pos), first.get(pos, "")) != parse_paper(attempt, int(pos), second.get(pos, ""))
    ]


def finalise(attempt: Attempt, *, actor: User, now: datetime, resolutions: dict[int, str]) -> str:
    """Write the agreed sheet into the attempt (journalled like screen answers) and submit it."""
    both = entries(attempt)
    if set(both) != {1, 2}:
        raise Conflict(_("Potrzebne są oba wprowadzenia arkusza."))
    open_positions = {d.position for d in differences(attempt)}
    if missing := sorted(open_positions - set(resolutions)):
        raise DomainError(_("Rozstrzygnij różnice w zadaniach: %(list)s.", list=", ".join(map(str, missing))))
    agreed = {int(k): v for k, v in json.loads(both[1].raw).items()}
    agreed.update(resolutions)
    if attempt.status is AttemptStatus.READY:
        attempt.status, attempt.started_at = AttemptStatus.IN_PROGRESS, now
    elif attempt.status is AttemptStatus.PAUSED:
        attempt.status, attempt.paused_at = AttemptStatus.IN_PROGRESS, None
    attempt.deadline_at = None  # the sheet was handed in; the screen clock no longer applies
    seq = attempt.last_seq
    for position, text in sorted(agreed.items()):
        value = parse_paper(attempt, position, text)
        if value is None:
            continue  # a blank on the sheet keeps what was answered on screen before the move
        seq += 1
        A.save_answer(attempt, seq=seq, position=position, value=value, flagged=False, now=now, client_at="paper")
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at, attempt.finish_reason = now, FinishReason.CANDIDATE
    attempt.receipt = A.receipt_of(attempt)
    record(
        "theory.paper_finalised",
        actor=actor,
        now=now,
        object_type="attempt",
        object_id=attempt.id,
        details={"resolved": sorted(resolutions), "receipt": attempt.receipt},
    )
    return attempt.receipt
