"""The operational item bank: sync from files, review workflow, queries."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import or_, select

from examplatform.audit.services import canonical_json, record
from examplatform.auth.models import User
from examplatform.bank.files import load_bank
from examplatform.bank.items import Item, ItemStatus
from examplatform.bank.models import ItemReview, ItemVersion, ReviewVerdict
from examplatform.core.content import ContentError, LocatedError
from examplatform.core.errors import DomainError, NotFound
from examplatform.extensions import db


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def _store(item: Item, now: datetime) -> ItemVersion:
    return ItemVersion(
        item_key=item.id,
        version=item.version,
        criterion=item.criterion,
        type=item.type,
        status=item.status,
        difficulty=item.difficulty,
        stem=item.stem,
        content=canonical_json(item.content()),
        content_hash=item.content_hash,
        origin=item.origin[-300:],
        created_at=now,
    )


def add_items(items: list[Item], *, actor: User | None, now: datetime, origin_label: str) -> SyncReport:
    """Put items into the bank; refuse (all or nothing) to change a version a candidate has seen."""
    existing = {
        (v.item_key, v.version): v
        for v in db.session.scalars(select(ItemVersion).where(ItemVersion.item_key.in_({i.id for i in items})))
    }
    report, errors = SyncReport(), []
    for item in items:
        stored = existing.get((item.id, item.version))
        if stored is None:
            db.session.add(_store(item, now))
            report.added.append(f"{item.id} w.{item.version}")
        elif stored.content_hash == item.content_hash:
            report.unchanged += 1
        elif stored.is_used:
            file, _sep, line = item.origin.rpartition(":")
            errors.append(
                LocatedError(
                    file or origin_label,
                    int(line) if line.isdigit() else None,
                    f"zadanie {item.id} w. {item.version} było już użyte w teście i nie może się zmienić: "
                    f"nadaj zmienionej treści wersję {item.version + 1}",
                )
            )
        else:
            stored.content, stored.content_hash = canonical_json(item.content()), item.content_hash
            stored.stem, stored.difficulty, stored.type = item.stem, item.difficulty, item.type
            report.updated.append(f"{item.id} w.{item.version}")
    if errors:
        raise ContentError(errors)
    db.session.flush()
    if report.added or report.updated:
        record(
            "bank.items_loaded",
            actor=actor,
            now=now,
            object_type="bank",
            object_id=Path(origin_label).name,
            details={
                "source": origin_label,
                "added": len(report.added),
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
        )
    return report


def sync_from_files(folder: Path | str, criteria: set[str], *, actor: User | None, now: datetime) -> SyncReport:
    """Load the bank files and store every new or edited (unused) item version."""
    return add_items(load_bank(folder, criteria), actor=actor, now=now, origin_label=str(folder))


def item_version(version_id: int) -> ItemVersion:
    found = db.session.get(ItemVersion, version_id)
    if found is None:
        raise NotFound(_("Nie ma takiego zadania."))
    return found


_TRANSITIONS = {
    ReviewVerdict.APPROVED: ({ItemStatus.DRAFT}, ItemStatus.REVIEWED),
    ReviewVerdict.CHANGES_REQUESTED: ({ItemStatus.DRAFT, ItemStatus.REVIEWED}, ItemStatus.DRAFT),
    ReviewVerdict.RETIRED: ({ItemStatus.DRAFT, ItemStatus.REVIEWED}, ItemStatus.RETIRED),
    ReviewVerdict.REOPENED: ({ItemStatus.RETIRED}, ItemStatus.DRAFT),
}


def review(version: ItemVersion, verdict: ReviewVerdict, *, actor: User, now: datetime, comment: str) -> ItemReview:
    """Record a review decision and move the item version to its new status."""
    allowed_from, target = _TRANSITIONS[verdict]
    if version.status not in allowed_from:
        raise DomainError(_("Tej decyzji nie można podjąć dla zadania w stanie „%(status)s”.", status=version.status))
    if verdict is not ReviewVerdict.APPROVED and not comment.strip():
        raise DomainError(_("Podaj uzasadnienie decyzji."))
    before = version.status
    version.status = target
    entry = ItemReview(
        item_version=version, reviewer_id=actor.id, verdict=verdict, comment=comment.strip(), created_at=now
    )
    db.session.add(entry)
    db.session.flush()
    record(
        "bank.item_reviewed",
        actor=actor,
        now=now,
        object_type="item",
        object_id=f"{version.item_key}@{version.version}",
        reason=comment.strip(),
        details={"verdict": str(verdict), "before": str(before), "after": str(target)},
    )
    return entry


def search(
    *, text: str = "", criterion: str = "", status: str = "", item_type: str = "", limit: int = 200
) -> list[ItemVersion]:
    """Find item versions by words of the stem or id, criterion, status and type."""
    query = select(ItemVersion).order_by(ItemVersion.criterion, ItemVersion.item_key, ItemVersion.version)
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(or_(ItemVersion.stem.ilike(pattern), ItemVersion.item_key.ilike(pattern)))
    if criterion:
        query = query.where(ItemVersion.criterion == criterion)
    if status:
        query = query.where(ItemVersion.status == status)
    if item_type:
        query = query.where(ItemVersion.type == item_type)
    return list(db.session.scalars(query.limit(limit)))


def stats() -> dict[str, Counter]:
    """Count item versions per criterion, type and status."""
    rows = db.session.execute(select(ItemVersion.criterion, ItemVersion.type, ItemVersion.status)).all()
    return {
        "criterion": Counter(r.criterion for r in rows),
        "type": Counter(str(r.type) for r in rows),
        "status": Counter(str(r.status) for r in rows),
        "usable_by_criterion": Counter(r.criterion for r in rows if r.status is ItemStatus.REVIEWED),
    }


def items_of(versions: list[ItemVersion]) -> list[Item]:
    return [v.to_item() for v in versions]


def content_of(version: ItemVersion) -> dict:
    return json.loads(version.content)
