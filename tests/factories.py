"""Callable factories for test data (indico style): each returns a flushed object."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from examplatform.auth import services as auth_services
from examplatform.auth.models import Role, User
from examplatform.institutions import services as inst
from examplatform.institutions.models import Education, Institution, StaffMember, ValidationCentre, Voivodeship
from examplatform.sessions.models import Enrolment, ValidationSession

_counter = itertools.count(1)
VALID_NIPS = ["6773214574", "5252291181", "1234563218", "7251801126"]


class Factories:
    def __init__(self, db, *, now: datetime, password: str) -> None:
        self.db, self.now, self.password = db, now, password

    def user(
        self,
        email: str | None = None,
        *,
        name: str = "Jan Testowy",
        roles: tuple[Role, ...] = (),
        institution: Institution | None = None,
        password: str | None = None,
    ) -> User:
        email = email or f"user{next(_counter)}@test.example"
        user = auth_services.create_user(email=email, full_name=name, password=password or self.password, now=self.now)
        for role in roles:
            institution_id = None if role in (Role.CANDIDATE, Role.PLATFORM_ADMIN) else institution.id
            auth_services.grant_role(user, role, institution_id=institution_id, actor=None, now=self.now, reason="test")
        self.db.session.commit()
        return user

    def institution(self, name: str | None = None, *, nip: str | None = None) -> Institution:
        n = next(_counter)
        institution = inst.create_institution(
            None,
            now=self.now,
            name=name or f"Instytucja testowa {n}",
            short_name=f"IT{n}",
            nip=nip,
            address="ul. Testowa 1, 00-001 Warszawa",
            email=f"biuro{n}@test.example",
        )
        self.db.session.commit()
        return institution

    def centre(self, institution: Institution) -> ValidationCentre:
        centre = inst.add_centre(
            None,
            institution,
            now=self.now,
            name=f"Ośrodek {next(_counter)}",
            street="ul. Prosta 2",
            postal_code="00-950",
            city="Warszawa",
            voivodeship=Voivodeship.MAZOWIECKIE,
            workstations=8,
        )
        self.db.session.commit()
        return centre

    def staff(
        self,
        institution: Institution,
        *,
        education: Education = Education.SECONDARY,
        supervising_years: float = 0,
        it_skills: bool = False,
        email: str | None = None,
        name: str = "Ewa Pracownik",
    ) -> StaffMember:
        staff = inst.create_staff(
            None,
            institution,
            now=self.now,
            full_name=name,
            email=email or f"staff{next(_counter)}@test.example",
            education=education,
            education_details="",
            it_skills_confirmed=it_skills,
        )
        if supervising_years:
            start = self.now.date() - timedelta(days=round(supervising_years * 365))
            inst.add_experience(
                None,
                staff,
                now=self.now,
                employer="Firma",
                position="Kierownik zespołu CRM",
                start_date=start,
                end_date=None,
                supervises_crm_operators=True,
            )
        self.db.session.commit()
        return staff

    def item_version(self, item=None, *, status=None):
        """Store one item version (by default a reviewed single-choice item)."""
        from examplatform.bank.items import Choice, Item, ItemStatus, ItemType
        from examplatform.bank.services import add_items, search

        n = next(_counter)
        item = item or Item(
            id=f"T-TEST-{n:03d}",
            version=1,
            criterion="1.3.2",
            type=ItemType.SINGLE,
            stem=f"Pytanie testowe {n}?",
            key="B",
            status=status or ItemStatus.REVIEWED,
            source="test",
            options=(Choice("A", "Pierwsza"), Choice("B", "Druga"), Choice("C", "Trzecia"), Choice("D", "Czwarta")),
        )
        add_items([item], actor=None, now=self.now, origin_label="test")
        self.db.session.commit()
        return next(v for v in search(text=item.id) if v.version == item.version)

    def attempt(self, session: ValidationSession, candidate: User, *, items: int = 3):
        """A prepared (READY) attempt with a small form of single-choice items, for tests of screens and access."""
        import json

        from examplatform.theory.models import Attempt, AttemptStatus, FormItem, TestForm

        enrolment = next(e for e in session.enrolments if e.candidate_id == candidate.id)
        versions = [self.item_version() for _ in range(items)]
        settings = {
            "allocation": {"1.3.2": items},
            "time_limit_minutes": 60,
            "pass_percent": 70,
            "shuffle_items": False,
            "shuffle_options": False,
            "partial_credit": "per_item",
            "answer_review_allowed": False,
            "qualification_version": 1,
        }
        form = TestForm(
            enrolment=enrolment,
            code=f"T-TEST{next(_counter):04d}",
            seed=1,
            settings=json.dumps(settings),
            selection_trace="{}",
            created_at=self.now,
        )
        form.items = [
            FormItem(position=n, item_version_id=v.id, option_order=json.dumps(["A", "B", "C", "D"]))
            for n, v in enumerate(versions, start=1)
        ]
        attempt = Attempt(form=form, status=AttemptStatus.READY)
        self.db.session.add_all([form, attempt])
        self.db.session.commit()
        return attempt

    def session(
        self, institution: Institution, candidates: list[User] = (), *, starts_at: datetime | None = None
    ) -> ValidationSession:
        centre = institution.centres[0] if institution.centres else self.centre(institution)
        session = ValidationSession(
            institution=institution,
            centre=centre,
            code=f"S-{next(_counter)}",
            starts_at=starts_at or self.now + timedelta(days=7),
            created_at=self.now,
        )
        self.db.session.add(session)
        for candidate in candidates:
            self.db.session.add(Enrolment(session=session, candidate=candidate, created_at=self.now))
        self.db.session.commit()
        return session


def years_ago(today: date, years: int) -> date:
    return today.replace(year=today.year - years)
