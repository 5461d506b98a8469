"""Demo data: an institution with a centre, staff in every role, candidates and an upcoming session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from examplatform.auth import services as auth_services
from examplatform.auth.models import Role, User
from examplatform.extensions import db
from examplatform.institutions import services as inst
from examplatform.institutions.models import DocumentKind, Education, Institution, StaffMember, Voivodeship
from examplatform.qualification.loader import Qualification
from examplatform.sessions.models import Enrolment, TheoryMode, ValidationSession

DEMO_PASSWORD = "Walidacja-13881"  # noqa: S105  (published demo accounts)
INSTITUTION_NAME = "Centrum Certyfikacji Kompetencji Cyfrowych sp. z o.o. (demo)"
SECOND_INSTITUTION_NAME = "Fundacja Rozwoju Kwalifikacji Handlowych (demo)"
# A one-page PDF, so the demo evidence documents open in a viewer.
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    roles: tuple[Role, ...]
    education: Education = Education.SECONDARY
    supervising_years: int = 0
    it_skills: bool = False


STAFF = (
    DemoPerson("admin@demo.example", "Anna Kowalska", (Role.INSTITUTION_ADMIN,), Education.HIGHER, 3, True),
    DemoPerson("operator@demo.example", "Piotr Nowak", (Role.OPERATOR,), Education.SECONDARY, 1, True),
    DemoPerson(
        "komisja1@demo.example", "Maria Wiśniewska", (Role.COMMISSION_MEMBER, Role.OPERATOR), Education.HIGHER, 8, True
    ),
    DemoPerson("komisja2@demo.example", "Tomasz Wójcik", (Role.COMMISSION_MEMBER,), Education.SECONDARY, 6, False),
    DemoPerson("odwolania@demo.example", "Ewa Kamińska", (Role.APPEALS_PANEL,), Education.HIGHER, 10, False),
    DemoPerson("audytor@demo.example", "Jan Zieliński", (Role.QA_AUDITOR,), Education.HIGHER, 0, False),
)
CANDIDATES = (
    ("kandydat1@demo.example", "Katarzyna Lewandowska"),
    ("kandydat2@demo.example", "Michał Dąbrowski"),
    ("kandydat3@demo.example", "Agnieszka Szymańska"),
)
PLATFORM_ADMIN = ("platforma@demo.example", "Administrator Platformy")
SECOND_ADMIN = ("admin2@demo.example", "Barbara Mazur")


def _user(email: str, name: str, now: datetime) -> User:
    user = auth_services.find_user_by_email(email)
    if user is None:
        user = auth_services.create_user(email=email, full_name=name, password=DEMO_PASSWORD, now=now)
    return user


def _ensure_role(user: User, role: Role, institution_id: int | None, now: datetime) -> None:
    if not any(a.role == role and a.institution_id == institution_id for a in user.roles):
        auth_services.grant_role(
            user, role, institution_id=institution_id, actor=None, now=now, reason="dane demonstracyjne"
        )


def _institution(name: str, short: str, nip: str, now: datetime, actor: User) -> Institution:
    institution = db.session.scalar(select(Institution).where(Institution.name == name))
    if institution is None:
        institution = inst.create_institution(
            actor,
            now=now,
            name=name,
            short_name=short,
            nip=nip,
            address="ul. Długa 12, 31-147 Kraków",
            email="biuro@demo.example",
        )
    return institution


def _staff(institution: Institution, person: DemoPerson, now: datetime, qualification: Qualification) -> None:
    staff = db.session.scalar(
        select(StaffMember).where(StaffMember.institution_id == institution.id, StaffMember.email == person.email)
    )
    if staff is None:
        staff = inst.create_staff(
            None,
            institution,
            now=now,
            full_name=person.name,
            email=person.email,
            education=person.education,
            education_details="",
            it_skills_confirmed=person.it_skills,
        )
        today = now.date()
        if person.supervising_years:
            start = date(today.year - person.supervising_years, 1, 1)
            inst.add_experience(
                None,
                staff,
                now=now,
                employer="Przykładowa Firma Handlowa S.A.",
                position="Kierownik zespołu obsługi klienta (CRM)",
                start_date=start,
                end_date=None,
                supervises_crm_operators=True,
            )
        for kind, title in (
            (DocumentKind.DIPLOMA, "Świadectwo dojrzałości"),
            (DocumentKind.EMPLOYMENT_CERTIFICATE, "Zaświadczenie o zatrudnieniu"),
        ):
            inst.add_document(
                None,
                staff,
                now=now,
                kind=kind,
                title=title,
                filename="dokument.pdf",
                content=_PDF,
                max_bytes=10 * 1024 * 1024,
            )
    staff.user = _user(person.email, person.name, now)
    for role in person.roles:
        if not staff.user.has_role(role, institution_id=institution.id):
            inst.grant_staff_role(None, staff, role, now=now, reason="dane demonstracyjne", qualification=qualification)


def load_demo(*, now: datetime, qualification: Qualification) -> list[tuple[str, str, str]]:
    """Create (or complete) the demo data; return (e-mail, password, roles) for each demo login."""
    platform_admin = _user(*PLATFORM_ADMIN, now)
    _ensure_role(platform_admin, Role.PLATFORM_ADMIN, None, now)
    institution = _institution(INSTITUTION_NAME, "CCKC", "6773214574", now, platform_admin)
    if not institution.centres:
        inst.add_centre(
            platform_admin,
            institution,
            now=now,
            name="Ośrodek Walidacyjny Kraków",
            street="ul. Długa 12",
            postal_code="31-147",
            city="Kraków",
            voivodeship=Voivodeship.MALOPOLSKIE,
            workstations=16,
        )
    for person in STAFF:
        _staff(institution, person, now, qualification)

    second = _institution(SECOND_INSTITUTION_NAME, "FRKH", "5252291181", now, platform_admin)
    _ensure_role(_user(*SECOND_ADMIN, now), Role.INSTITUTION_ADMIN, second.id, now)

    candidates = [_user(email, name, now) for email, name in CANDIDATES]
    for candidate in candidates:
        _ensure_role(candidate, Role.CANDIDATE, None, now)

    session = db.session.scalar(select(ValidationSession).where(ValidationSession.code == "DEMO-KRK-01"))
    if session is None:
        warsaw = ZoneInfo("Europe/Warsaw")
        day = (now.astimezone(warsaw) + timedelta(days=14)).date()
        session = ValidationSession(
            institution=institution,
            centre=institution.centres[0],
            code="DEMO-KRK-01",
            starts_at=datetime.combine(day, time(9, 0), warsaw),
            theory_mode=TheoryMode.SCREEN,
            created_at=now,
        )
        db.session.add(session)
        db.session.flush()
    enrolled = {e.candidate_id for e in session.enrolments}
    for candidate in candidates:
        if candidate.id not in enrolled:
            db.session.add(Enrolment(session=session, candidate=candidate, created_at=now))
    db.session.flush()

    from flask import current_app

    from examplatform.bank.services import sync_from_files

    sync_from_files(current_app.config["BANK_FOLDER"], {c.code for c in qualification.criteria}, actor=None, now=now)

    from examplatform.theory.formgen import prepare_session

    prepare_session(session, actor=None, now=now, qualification=qualification)

    from examplatform.commission import composition
    from examplatform.practical.models import PracticalSetup

    if not composition.commission_of(session).members:  # the two eligible members, the first one chairs
        admin = _user(STAFF[0].email, STAFF[0].name, now)
        for index, email in enumerate(("komisja1@demo.example", "komisja2@demo.example")):
            person = next(p for p in STAFF if p.email == email)
            composition.appoint(
                session,
                _user(email, person.name, now),
                actor=admin,
                now=now,
                qualification=qualification,
                chair=not index,
            )

    if db.session.scalar(select(PracticalSetup).where(PracticalSetup.session_id == session.id)) is None:
        # the operator prepares the candidates' CRM instances from the session page (not at start-up)
        db.session.add(PracticalSetup(session_id=session.id, scenario="egzamin-b2b-it", time_limit_minutes=150))

    logins = [(PLATFORM_ADMIN[0], DEMO_PASSWORD, Role.PLATFORM_ADMIN.label)]
    logins += [(p.email, DEMO_PASSWORD, ", ".join(r.label for r in p.roles)) for p in STAFF]
    logins += [(SECOND_ADMIN[0], DEMO_PASSWORD, Role.INSTITUTION_ADMIN.label + " (druga instytucja)")]
    logins += [(email, DEMO_PASSWORD, Role.CANDIDATE.label) for email, _name in CANDIDATES]
    return logins
