"""Institutions, centres, staff records and their roles: queries and audited changes."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from stdnum.pl import nip as nip_number

from examplatform.audit.services import apply_changes, record
from examplatform.auth import services as auth_services
from examplatform.auth.models import Role, RoleAssignment, User
from examplatform.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from examplatform.extensions import db
from examplatform.institutions.eligibility import Eligibility, commission_eligibility, operator_eligibility
from examplatform.institutions.models import (
    DocumentKind,
    EvidenceDocument,
    ExperiencePeriod,
    Institution,
    StaffMember,
    ValidationCentre,
)
from examplatform.qualification.loader import Qualification

READERS = (Role.INSTITUTION_ADMIN, Role.QA_AUDITOR)
WRITERS = (Role.INSTITUTION_ADMIN,)
STAFF_ROLE_CHOICES = (
    Role.OPERATOR,
    Role.COMMISSION_MEMBER,
    Role.INSTITUTION_ADMIN,
    Role.APPEALS_PANEL,
    Role.QA_AUDITOR,
)
# Magic numbers of the evidence formats we accept: the browser's content type is not trusted.
_SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def all_institutions() -> list[Institution]:
    return list(db.session.scalars(select(Institution).order_by(Institution.name)))


def visible_institutions(user: User) -> list[Institution]:
    """Institutions the user may look into: all for the platform admin, else their own."""
    if user.has_role(Role.PLATFORM_ADMIN):
        return all_institutions()
    ids = user.institutions_for(*READERS)
    if not ids:
        return []
    return list(db.session.scalars(select(Institution).where(Institution.id.in_(ids)).order_by(Institution.name)))


def institution_for(user: User, institution_id: int, *, write: bool = False) -> Institution:
    """Return the institution if ``user`` may read it (or change it, with ``write``)."""
    institution = db.session.get(Institution, institution_id)
    if institution is None:
        raise NotFound(_("Nie ma takiej instytucji."))
    if user.has_role(Role.PLATFORM_ADMIN):
        return institution
    allowed = WRITERS if write else READERS
    if not user.has_role(*allowed, institution_id=institution_id):
        raise PermissionDenied(_("Nie masz uprawnień do tej instytucji."))
    return institution


def staff_for(user: User, institution_id: int, staff_id: int, *, write: bool = False) -> StaffMember:
    institution = institution_for(user, institution_id, write=write)
    staff = db.session.get(StaffMember, staff_id)
    if staff is None or staff.institution_id != institution.id:
        raise NotFound(_("Nie ma takiego pracownika w tej instytucji."))
    return staff


def normalise_nip(value: str | None) -> str | None:
    """Return the NIP as 10 digits, or raise a DomainError saying what is wrong with it."""
    if not value or not value.strip():
        return None
    try:
        return nip_number.validate(value)
    except Exception as exc:  # stdnum raises several ValidationError subclasses
        raise DomainError(_("NIP %(nip)s jest niepoprawny (błędna długość lub cyfra kontrolna).", nip=value)) from exc


def create_institution(
    actor: User,
    *,
    now: datetime,
    name: str,
    short_name: str,
    nip: str | None,
    address: str,
    email: str,
    crm_system_info: str | None = None,
) -> Institution:
    """Register a certifying institution on the platform."""
    if db.session.scalar(select(Institution).where(Institution.name == name.strip())):
        raise Conflict(_("Instytucja o tej nazwie już istnieje."))
    institution = Institution(
        name=name.strip(),
        short_name=short_name.strip(),
        nip=normalise_nip(nip),
        address=address.strip(),
        email=email.strip().lower(),
        created_at=now,
    )
    if crm_system_info:
        institution.crm_system_info = crm_system_info.strip()
    db.session.add(institution)
    db.session.flush()
    record(
        "institution.created",
        actor=actor,
        now=now,
        institution_id=institution.id,
        object_type="institution",
        object_id=institution.id,
        details={"name": institution.name},
    )
    return institution


SETTINGS_FIELDS = ("name", "short_name", "nip", "address", "email", "crm_system_info")


def update_settings(actor: User, institution: Institution, *, now: datetime, reason: str, **values) -> dict:
    """Change institution settings; the audit entry keeps each field's before and after."""
    if "nip" in values:
        values["nip"] = normalise_nip(values["nip"])
    changes = apply_changes(
        institution,
        {k: v for k, v in values.items() if k in SETTINGS_FIELDS},
        action="institution.settings_changed",
        actor=actor,
        now=now,
        reason=reason,
        institution_id=institution.id,
        object_type="institution",
    )
    return changes


def add_centre(actor: User, institution: Institution, *, now: datetime, **values) -> ValidationCentre:
    """Add a validation centre (ośrodek walidacyjny)."""
    if any(c.name == values["name"].strip() for c in institution.centres):
        raise Conflict(_("Ośrodek o tej nazwie już istnieje w tej instytucji."))
    centre = ValidationCentre(
        institution=institution, **{k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    )
    db.session.add(centre)
    db.session.flush()
    record(
        "centre.created",
        actor=actor,
        now=now,
        institution_id=institution.id,
        object_type="centre",
        object_id=centre.id,
        details={"name": centre.name, "city": centre.city},
    )
    return centre


STAFF_FIELDS = ("full_name", "email", "education", "education_details", "it_skills_confirmed")


def create_staff(actor: User | None, institution: Institution, *, now: datetime, **values) -> StaffMember:
    """Create a staff record (without roles: roles are granted separately, after eligibility)."""
    values["email"] = values["email"].strip().lower()
    if any(s.email == values["email"] for s in institution.staff):
        raise Conflict(_("Pracownik z tym adresem e-mail jest już w tej instytucji."))
    staff = StaffMember(institution=institution, created_at=now, updated_at=now, **values)
    db.session.add(staff)
    db.session.flush()
    record(
        "staff.created",
        actor=actor,
        now=now,
        institution_id=institution.id,
        object_type="staff",
        object_id=staff.id,
        details={k: str(v) for k, v in values.items()},
    )
    return staff


def update_staff(actor: User, staff: StaffMember, *, now: datetime, reason: str, **values) -> dict:
    """Change a staff record; the audit entry keeps each field's before and after."""
    if "email" in values:
        values["email"] = values["email"].strip().lower()
    changes = apply_changes(
        staff,
        {k: v for k, v in values.items() if k in STAFF_FIELDS},
        action="staff.updated",
        actor=actor,
        now=now,
        reason=reason,
        institution_id=staff.institution_id,
        object_type="staff",
    )
    if changes:
        staff.updated_at = now
    return changes


def add_experience(
    actor: User | None,
    staff: StaffMember,
    *,
    now: datetime,
    employer: str,
    position: str,
    start_date: date,
    end_date: date | None,
    supervises_crm_operators: bool,
) -> ExperiencePeriod:
    """Record a period of work as eligibility evidence."""
    if end_date is not None and end_date < start_date:
        raise DomainError(_("Data zakończenia nie może być wcześniejsza niż data rozpoczęcia."))
    if start_date > now.date():
        raise DomainError(_("Data rozpoczęcia nie może być z przyszłości."))
    period = ExperiencePeriod(
        staff=staff,
        employer=employer.strip(),
        position=position.strip(),
        start_date=start_date,
        end_date=end_date,
        supervises_crm_operators=supervises_crm_operators,
    )
    db.session.add(period)
    db.session.flush()
    record(
        "staff.experience_added",
        actor=actor,
        now=now,
        institution_id=staff.institution_id,
        object_type="staff",
        object_id=staff.id,
        details={
            "employer": period.employer,
            "position": period.position,
            "from": start_date.isoformat(),
            "to": end_date.isoformat() if end_date else None,
            "supervises_crm_operators": supervises_crm_operators,
        },
    )
    return period


def add_document(
    actor: User | None,
    staff: StaffMember,
    *,
    now: datetime,
    kind: DocumentKind,
    title: str,
    filename: str,
    content: bytes,
    max_bytes: int,
) -> EvidenceDocument:
    """Attach an evidence document (PDF, PNG or JPEG), checked by its content, not its name."""
    if not content:
        raise DomainError(_("Plik jest pusty."))
    if len(content) > max_bytes:
        raise DomainError(_("Plik jest za duży (najwyżej %(mb)d MB).", mb=max_bytes // (1024 * 1024)))
    content_type = next((t for sig, t in _SIGNATURES.items() if content.startswith(sig)), None)
    if content_type is None:
        raise DomainError(_("Dozwolone są tylko pliki PDF, PNG i JPEG."))
    digest = hashlib.sha256(content).hexdigest()
    document = EvidenceDocument(
        staff=staff,
        kind=kind,
        title=title.strip(),
        filename=filename[-255:] or "dokument",
        content_type=content_type,
        size=len(content),
        sha256=digest,
        content=content,
        uploaded_at=now,
        uploaded_by_id=actor.id if actor else None,
    )
    db.session.add(document)
    db.session.flush()
    record(
        "staff.document_added",
        actor=actor,
        now=now,
        institution_id=staff.institution_id,
        object_type="staff",
        object_id=staff.id,
        details={"kind": str(kind), "title": document.title, "sha256": digest, "size": len(content)},
    )
    return document


def document_for(user: User, institution_id: int, staff_id: int, document_id: int) -> EvidenceDocument:
    staff = staff_for(user, institution_id, staff_id)
    document = db.session.get(EvidenceDocument, document_id)
    if document is None or document.staff_id != staff.id:
        raise NotFound(_("Nie ma takiego dokumentu."))
    return document


def eligibility_of(staff: StaffMember, qualification: Qualification, today: date) -> dict[str, Eligibility]:
    """Judge the staff member for both functions the qualification regulates."""
    return {
        "commission_member": commission_eligibility(staff, qualification.commission, today),
        "operator": operator_eligibility(staff, qualification.operator),
    }


def grant_staff_role(
    actor: User | None,
    staff: StaffMember,
    role: Role,
    *,
    now: datetime,
    reason: str,
    qualification: Qualification,
    link_for=None,
) -> RoleAssignment:
    """Give a staff member a role, refusing it (with the reason) where the qualification's rules are not met.

    A staff member without an account gets one; a link to set the password goes to their outbox.
    """
    if role not in STAFF_ROLE_CHOICES:
        raise DomainError(_("Tej roli nie nadaje się pracownikom instytucji."))
    verdicts = eligibility_of(staff, qualification, now.date())
    if role is Role.COMMISSION_MEMBER and not verdicts["commission_member"].eligible:
        raise DomainError(verdicts["commission_member"].reason)
    if role is Role.OPERATOR and not verdicts["operator"].eligible:
        raise DomainError(verdicts["operator"].reason)
    user = staff.user or auth_services.find_user_by_email(staff.email)
    if user is None:
        user = auth_services.create_user(
            email=staff.email, full_name=staff.full_name, password=None, now=now, actor=actor
        )
        if link_for is not None:
            auth_services.request_password_reset(staff.email, now=now, ip="", ttl_minutes=72 * 60, link_for=link_for)
    staff.user = user
    return auth_services.grant_role(
        user, role, institution_id=staff.institution_id, actor=actor, now=now, reason=reason
    )


def revoke_staff_role(actor: User, staff: StaffMember, assignment_id: int, *, now: datetime, reason: str) -> None:
    assignment = db.session.get(RoleAssignment, assignment_id)
    if (
        assignment is None
        or staff.user is None
        or assignment.user_id != staff.user.id
        or assignment.institution_id != staff.institution_id
    ):
        raise NotFound(_("Nie ma takiej roli u tego pracownika."))
    if assignment.user_id == actor.id and assignment.role is Role.INSTITUTION_ADMIN:
        raise DomainError(_("Nie możesz odebrać sobie roli administratora instytucji."))
    auth_services.revoke_role(assignment, actor=actor, now=now, reason=reason)


def staff_roles(staff: StaffMember) -> list[RoleAssignment]:
    if staff.user is None:
        return []
    return [a for a in staff.user.roles if a.institution_id == staff.institution_id]


def staff_list(institution: Institution) -> list[StaffMember]:
    return list(
        db.session.scalars(
            select(StaffMember)
            .where(StaffMember.institution_id == institution.id)
            .options(
                selectinload(StaffMember.experience),
                selectinload(StaffMember.documents),
                selectinload(StaffMember.user).selectinload(User.roles),
            )
            .order_by(StaffMember.full_name)
        )
    )
