"""RODO: processing purposes with their legal basis, consents and data-subject requests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simulator.crm.base import Base, LabelledEnum, UTCDateTime, enum_column
from simulator.crm.models.accounts import Contact


class LegalBasis(LabelledEnum):
    """A legal basis of processing under art. 6 ust. 1 RODO."""

    CONSENT = "a", "art. 6 ust. 1 lit. a – zgoda osoby"
    CONTRACT = "b", "art. 6 ust. 1 lit. b – wykonanie umowy lub działania przed jej zawarciem"
    LEGAL_OBLIGATION = "c", "art. 6 ust. 1 lit. c – obowiązek prawny administratora"
    VITAL_INTERESTS = "d", "art. 6 ust. 1 lit. d – ochrona żywotnych interesów"
    PUBLIC_TASK = "e", "art. 6 ust. 1 lit. e – zadanie w interesie publicznym"
    LEGITIMATE_INTEREST = "f", "art. 6 ust. 1 lit. f – prawnie uzasadniony interes administratora"


class ConsentChannel(LabelledEnum):
    """A channel a consent covers."""

    EMAIL = "email", "e-mail"
    PHONE = "telefon", "telefon"
    SMS = "sms", "SMS"


class RequestKind(LabelledEnum):
    """A kind of data-subject request (żądanie osoby, której dane dotyczą)."""

    ACCESS = "dostep", "dostęp do danych (art. 15)"
    RECTIFICATION = "sprostowanie", "sprostowanie danych (art. 16)"
    ERASURE = "usuniecie", "usunięcie danych (art. 17)"
    OBJECTION = "sprzeciw", "sprzeciw wobec marketingu (art. 21)"


class RequestStatus(LabelledEnum):
    """State of a data-subject request."""

    OPEN = "otwarte", "otwarte"
    DONE = "zrealizowane", "zrealizowane"
    REFUSED = "odmowa", "odmowa (z uzasadnieniem)"


class ProcessingPurpose(Base):
    """A purpose of processing personal data (cel przetwarzania) and its legal basis."""

    __tablename__ = "processing_purpose"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[LegalBasis] = mapped_column(enum_column(LegalBasis))
    description: Mapped[str] = mapped_column(Text, default="")
    retention: Mapped[str] = mapped_column(String(300), default="")
    marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __str__(self) -> str:
        return self.name


class Consent(Base):
    """One consent of a person for a purpose and channel; a withdrawal closes it (history is kept)."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    purpose_id: Mapped[int] = mapped_column(ForeignKey("processing_purpose.id"))
    channel: Mapped[ConsentChannel] = mapped_column(enum_column(ConsentChannel))
    source: Mapped[str] = mapped_column(String(200))
    given_on: Mapped[date]
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_on: Mapped[date | None]
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_source: Mapped[str] = mapped_column(String(200), default="")

    contact: Mapped[Contact] = relationship()
    purpose: Mapped[ProcessingPurpose] = relationship()

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None


class SubjectRequest(Base):
    """A data-subject request with its one-month deadline (art. 12 ust. 3 RODO)."""

    __tablename__ = "subject_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    kind: Mapped[RequestKind] = mapped_column(enum_column(RequestKind))
    received_on: Mapped[date]
    deadline: Mapped[date]
    channel: Mapped[str] = mapped_column(String(100), default="")
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus), default=RequestStatus.OPEN)
    resolution: Mapped[str] = mapped_column(Text, default="")
    completed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    contact: Mapped[Contact] = relationship()
