"""Who sits on a session's commission, and who may verify which candidate (conflicts of interest)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from examplatform.audit.services import record
from examplatform.auth.models import Role, User
from examplatform.commission.models import (
    Commission,
    CommissionMember,
    ConflictMeasure,
    Declaration,
    MeasureKind,
    TrainingRecord,
)
from examplatform.core.content import ContentError, LocatedError
from examplatform.core.errors import Conflict, DomainError, PermissionDenied
from examplatform.extensions import db
from examplatform.institutions.eligibility import commission_eligibility
from examplatform.institutions.models import StaffMember
from examplatform.qualification.loader import Qualification
from examplatform.sessions.models import ValidationSession


def commission_of(session: ValidationSession) -> Commission:
    """Return the session's commission, creating an empty one on first use."""
    commission = db.session.scalar(select(Commission).where(Commission.session_id == session.id))
    if commission is None:
        commission = Commission(session=session)
        db.session.add(commission)
        db.session.flush()
    return commission


def _staff_record(session: ValidationSession, user: User) -> StaffMember | None:
    return db.session.scalar(
        select(StaffMember).where(StaffMember.institution_id == session.institution_id, StaffMember.user_id == user.id)
    )


def appoint(
    session: ValidationSession,
    user: User,
    *,
    actor: User,
    now: datetime,
    qualification: Qualification,
    chair: bool = False,
) -> CommissionMember:
    """Appoint an eligible commission member of the session's institution; refuse others with the reason."""
    staff = _staff_record(session, user)
    if staff is None or not user.has_role(Role.COMMISSION_MEMBER, institution_id=session.institution_id):
        raise DomainError(_("%(name)s nie jest członkiem komisji w tej instytucji.", name=user.full_name))
    verdict = commission_eligibility(staff, qualification.commission, now.date())
    if not verdict.eligible:
        raise DomainError(verdict.reason)
    commission = commission_of(session)
    if any(m.user_id == user.id for m in commission.members):
        raise Conflict(_("%(name)s jest już w komisji tej sesji.", name=user.full_name))
    if chair:
        for member in commission.members:
            member.is_chair = False
    member = CommissionMember(
        commission=commission,
        user=user,
        is_chair=chair,
        eligibility=verdict.reason,
        appointed_at=now,
        appointed_by_id=actor.id,
    )
    db.session.add(member)
    db.session.flush()
    record(
        "commission.member_appointed",
        actor=actor,
        now=now,
        institution_id=session.institution_id,
        object_type="session",
        object_id=session.code,
        details={"member": user.email, "chair": chair, "eligibility": verdict.reason},
    )
    return member


def check_composition(session: ValidationSession, qualification: Qualification) -> list[str]:
    """Return what the commission still lacks (at least the minimum members and a chair)."""
    commission = commission_of(session)
    problems = []
    if len(commission.members) < qualification.commission.min_members:
        problems.append(_("Komisja musi liczyć co najmniej %(n)d osoby.", n=qualification.commission.min_members))
    if not any(m.is_chair for m in commission.members):
        problems.append(_("Wskaż przewodniczącego komisji."))
    return problems


def add_training(
    institution_id: int,
    *,
    trainer_email: str,
    candidate_email: str,
    course: str,
    date_from: date,
    date_to: date | None,
    actor: User | None,
    now: datetime,
    source: str = "manual",
) -> TrainingRecord:
    """Record that a person trained a candidate for this qualification."""
    entry = TrainingRecord(
        institution_id=institution_id,
        trainer_email=trainer_email.strip().lower(),
        candidate_email=candidate_email.strip().lower(),
        course=course.strip(),
        date_from=date_from,
        date_to=date_to,
        source=source,
        recorded_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    record(
        "commission.training_recorded",
        actor=actor,
        now=now,
        institution_id=institution_id,
        object_type="training",
        object_id=entry.id,
        details={"trainer": entry.trainer_email, "candidate": entry.candidate_email, "source": source},
    )
    return entry


CSV_COLUMNS = ("trener_email", "kandydat_email", "szkolenie", "od", "do")


def import_training_csv(institution_id: int, text: str, *, file: str, actor: User | None, now: datetime) -> int:
    """Import a training roster (CSV with the columns of CSV_COLUMNS, ; or , separated): all or nothing."""
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text.strip() else ",", delimiters=";,")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if reader.fieldnames is None or set(CSV_COLUMNS[:4]) - {f.strip() for f in reader.fieldnames}:
        raise ContentError([LocatedError(file, 1, "nagłówek musi zawierać kolumny: " + ", ".join(CSV_COLUMNS))])
    rows, errors = [], []
    for line, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        try:
            start = date.fromisoformat(row["od"])
            end = date.fromisoformat(row["do"]) if row.get("do") else None
        except ValueError:
            errors.append(LocatedError(file, line, "daty w formacie RRRR-MM-DD"))
            continue
        if "@" not in row["trener_email"] or "@" not in row["kandydat_email"] or not row["szkolenie"]:
            errors.append(LocatedError(file, line, "brak adresu e-mail trenera, kandydata lub nazwy szkolenia"))
            continue
        rows.append((row, start, end))
    if errors:
        raise ContentError(errors)
    for row, start, end in rows:
        add_training(
            institution_id,
            trainer_email=row["trener_email"],
            candidate_email=row["kandydat_email"],
            course=row["szkolenie"],
            date_from=start,
            date_to=end,
            actor=actor,
            now=now,
            source=f"csv:{file}"[:40],
        )
    return len(rows)


def declare(
    session: ValidationSession, member: User, *, now: datetime, related_candidate_ids: list[int], statement: str
) -> Declaration:
    """Confirm the member's impartiality declaration for the session (timestamped; once per session)."""
    if not any(m.user_id == member.id for m in commission_of(session).members):
        raise PermissionDenied(_("Nie jesteś członkiem komisji tej sesji."))
    enrolled = {e.candidate_id for e in session.enrolments}
    if set(related_candidate_ids) - enrolled:
        raise DomainError(_("Wskazano kandydata spoza tej sesji."))
    if db.session.scalar(
        select(Declaration).where(Declaration.session_id == session.id, Declaration.user_id == member.id)
    ):
        raise Conflict(_("Oświadczenie do tej sesji zostało już złożone."))
    declaration = Declaration(
        session_id=session.id,
        user_id=member.id,
        statement=statement.strip(),
        related_candidate_ids=json.dumps(sorted(related_candidate_ids)),
        confirmed_at=now,
    )
    db.session.add(declaration)
    db.session.flush()
    record(
        "commission.declaration",
        actor=member,
        now=now,
        institution_id=session.institution_id,
        object_type="session",
        object_id=session.code,
        details={"related_candidates": sorted(related_candidate_ids)},
    )
    return declaration


def conflict_reason(session: ValidationSession, member: User, candidate: User) -> str | None:
    """Say why ``member`` may not verify ``candidate`` in this session, or None when they may."""
    trained = db.session.scalar(
        select(TrainingRecord).where(
            TrainingRecord.institution_id == session.institution_id,
            TrainingRecord.trainer_email == member.email,
            TrainingRecord.candidate_email == candidate.email,
        )
    )
    if trained is not None:
        return _("%(member)s przygotowywał(a) kandydata (%(course)s).", member=member.full_name, course=trained.course)
    declaration = db.session.scalar(
        select(Declaration).where(Declaration.session_id == session.id, Declaration.user_id == member.id)
    )
    if declaration is not None and candidate.id in json.loads(declaration.related_candidate_ids):
        return _("%(member)s zadeklarował(a) związek z kandydatem.", member=member.full_name)
    return None


def replacements(
    session: ValidationSession, candidate: User, qualification: Qualification, now: datetime
) -> list[User]:
    """Eligible commission members of the institution who could verify the candidate instead."""
    in_commission = {m.user_id for m in commission_of(session).members}
    proposals = []
    for staff in db.session.scalars(select(StaffMember).where(StaffMember.institution_id == session.institution_id)):
        user = staff.user
        if user is None or not user.has_role(Role.COMMISSION_MEMBER, institution_id=session.institution_id):
            continue
        if not commission_eligibility(staff, qualification.commission, now.date()).eligible:
            continue
        if conflict_reason(session, user, candidate) is None:
            proposals.append((user.id in in_commission, user))
    return [user for _busy, user in sorted(proposals, key=lambda p: (p[0], p[1].full_name))]


def record_measure(
    session: ValidationSession,
    *,
    candidate: User,
    member: User,
    kind: MeasureKind,
    reason: str,
    actor: User | None,
    now: datetime,
    replacement: User | None = None,
) -> ConflictMeasure:
    """Keep the measure taken about a conflict (refusal or replacement) as evidence."""
    measure = ConflictMeasure(
        session_id=session.id,
        candidate_id=candidate.id,
        member_id=member.id,
        kind=kind,
        reason=reason,
        replacement_id=replacement.id if replacement else None,
        recorded_at=now,
        recorded_by_id=actor.id if actor else None,
    )
    db.session.add(measure)
    db.session.flush()
    record(
        f"commission.conflict_{kind}",
        actor=actor,
        now=now,
        institution_id=session.institution_id,
        object_type="session",
        object_id=session.code,
        reason=reason,
        details={
            "candidate": candidate.email,
            "member": member.email,
            "replacement": replacement.email if replacement else None,
        },
    )
    return measure
