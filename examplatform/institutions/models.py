"""Institutions, centres and staff records with eligibility evidence."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from examplatform.core.clock import utcnow
from examplatform.core.db import str_enum
from examplatform.extensions import db

if TYPE_CHECKING:
    from examplatform.auth.models import User


class Education(StrEnum):
    """Highest completed education level, ordered from lowest."""

    PRIMARY = "primary"
    BASIC_VOCATIONAL = "basic_vocational"
    SECONDARY = "secondary"
    HIGHER = "higher"

    @property
    def rank(self) -> int:
        return list(Education).index(self)

    @property
    def label(self) -> str:
        return str(EDUCATION_LABELS[self])


EDUCATION_LABELS = {
    Education.PRIMARY: _l("podstawowe lub gimnazjalne"),
    Education.BASIC_VOCATIONAL: _l("zasadnicze zawodowe / branżowe I stopnia"),
    Education.SECONDARY: _l("średnie (w tym branżowe II stopnia)"),
    Education.HIGHER: _l("wyższe"),
}


class Voivodeship(StrEnum):
    DOLNOSLASKIE = "dolnośląskie"
    KUJAWSKO_POMORSKIE = "kujawsko-pomorskie"
    LUBELSKIE = "lubelskie"
    LUBUSKIE = "lubuskie"
    LODZKIE = "łódzkie"
    MALOPOLSKIE = "małopolskie"
    MAZOWIECKIE = "mazowieckie"
    OPOLSKIE = "opolskie"
    PODKARPACKIE = "podkarpackie"
    PODLASKIE = "podlaskie"
    POMORSKIE = "pomorskie"
    SLASKIE = "śląskie"
    SWIETOKRZYSKIE = "świętokrzyskie"
    WARMINSKO_MAZURSKIE = "warmińsko-mazurskie"
    WIELKOPOLSKIE = "wielkopolskie"
    ZACHODNIOPOMORSKIE = "zachodniopomorskie"


class DocumentKind(StrEnum):
    DIPLOMA = "diploma"
    EMPLOYMENT_CERTIFICATE = "employment_certificate"
    EMPLOYER_REFERENCE = "employer_reference"
    IT_SKILLS = "it_skills"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(DOCUMENT_KIND_LABELS[self])


DOCUMENT_KIND_LABELS = {
    DocumentKind.DIPLOMA: _l("świadectwo lub dyplom (wykształcenie)"),
    DocumentKind.EMPLOYMENT_CERTIFICATE: _l("świadectwo pracy / zaświadczenie o zatrudnieniu"),
    DocumentKind.EMPLOYER_REFERENCE: _l("referencje pracodawcy (nadzór nad operatorami CRM)"),
    DocumentKind.IT_SKILLS: _l("potwierdzenie umiejętności informatycznych"),
    DocumentKind.OTHER: _l("inny dokument"),
}

DEFAULT_CRM_INFO = (
    "W walidacji wykorzystywany jest symulator systemu CRM wbudowany w platformę egzaminacyjną. "
    "Każdy kandydat pracuje we własnej, odizolowanej instancji z danymi przykładowymi. Symulator "
    "obejmuje: konta firm i osób kontaktowych (NIP, REGON, KRS, PESEL), segmentację, zgody i żądania "
    "RODO, produkty i usługi, lejki sprzedaży z etapami i zadaniami, cele SMART, szanse sprzedaży, "
    "zadania i kalendarz, szablony ofert ze znacznikami, wysyłkę ofert z rejestracją w historii klienta "
    "oraz raporty z wykresami i eksportem. Obsługa w przeglądarce internetowej, w języku polskim. "
    "Przed egzaminem można go wypróbować w trybie ćwiczeniowym."
)


class Institution(db.Model):
    """A certifying institution (instytucja certyfikująca)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    short_name: Mapped[str] = mapped_column(String(60))
    nip: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    crm_system_info: Mapped[str] = mapped_column(Text, default=DEFAULT_CRM_INFO)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    centres: Mapped[list[ValidationCentre]] = relationship(
        back_populates="institution", cascade="all, delete-orphan", order_by="ValidationCentre.name"
    )
    staff: Mapped[list[StaffMember]] = relationship(
        back_populates="institution", cascade="all, delete-orphan", order_by="StaffMember.full_name"
    )


class ValidationCentre(db.Model):
    """A validation centre (ośrodek walidacyjny) where sessions take place."""

    __table_args__ = (UniqueConstraint("institution_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(6))
    city: Mapped[str] = mapped_column(String(100))
    voivodeship: Mapped[Voivodeship] = mapped_column(str_enum(Voivodeship))
    workstations: Mapped[int] = mapped_column(default=10)

    institution: Mapped[Institution] = relationship(back_populates="centres")


class StaffMember(db.Model):
    """A person who works for an institution, with the evidence of their eligibility."""

    __table_args__ = (UniqueConstraint("institution_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    education: Mapped[Education] = mapped_column(str_enum(Education))
    education_details: Mapped[str] = mapped_column(String(300), default="")
    it_skills_confirmed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    institution: Mapped[Institution] = relationship(back_populates="staff")
    user: Mapped[User | None] = relationship()
    experience: Mapped[list[ExperiencePeriod]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", order_by="ExperiencePeriod.start_date"
    )
    documents: Mapped[list[EvidenceDocument]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", order_by="EvidenceDocument.uploaded_at"
    )


class ExperiencePeriod(db.Model):
    """A period of work; those supervising CRM-system operators count towards commission eligibility."""

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"), index=True)
    employer: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    supervises_crm_operators: Mapped[bool] = mapped_column(default=False)

    staff: Mapped[StaffMember] = relationship(back_populates="experience")


class EvidenceDocument(db.Model):
    """A document supporting a staff record (diploma, employment certificate …), stored in the database."""

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    staff: Mapped[StaffMember] = relationship(back_populates="documents")
