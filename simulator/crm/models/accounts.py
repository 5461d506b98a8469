"""Companies (firmy) and persons (osoby kontaktowe)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simulator.crm.base import Base, UTCDateTime, enum_column
from simulator.crm.enums import AcquisitionMethod, CompanySize, ContactChannel, DataSource, LegalForm, Voivodeship
from simulator.crm.models.system import CrmUser


class Account(Base):
    """A customer company (firma / kontrahent).

    ``pesel`` is the owner's PESEL of a sole trader (``legal_form`` JDG) only: personal data, shown under the same
    role permission as a person's PESEL. A sole trader's ``email`` and ``phone`` are its owner's personal data too,
    under the permissions of a person's e-mail and phone (``roles.account_protected_fields``); of any other legal
    form they are company data every role sees. New columns are nullable, so an older instance can gain them.
    """

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str | None] = mapped_column(String(10), index=True)
    regon: Mapped[str | None] = mapped_column(String(14))
    krs: Mapped[str | None] = mapped_column(String(10))
    legal_form: Mapped[LegalForm | None] = mapped_column(enum_column(LegalForm))
    pesel: Mapped[str | None] = mapped_column(String(11))
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(6), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    voivodeship: Mapped[Voivodeship | None] = mapped_column(enum_column(Voivodeship))
    pkd: Mapped[str] = mapped_column(String(7), default="")
    size: Mapped[CompanySize | None] = mapped_column(enum_column(CompanySize))
    email: Mapped[str] = mapped_column(String(200), default="", index=True)
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    website: Mapped[str] = mapped_column(String(200), default="")
    data_source: Mapped[DataSource] = mapped_column(enum_column(DataSource))
    acquisition_method: Mapped[AcquisitionMethod | None] = mapped_column(enum_column(AcquisitionMethod))
    preferred_channel: Mapped[ContactChannel | None] = mapped_column(enum_column(ContactChannel))
    owner_id: Mapped[int] = mapped_column(ForeignKey("crm_user.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    owner: Mapped[CrmUser] = relationship()
    contacts: Mapped[list[Contact]] = relationship(back_populates="account", order_by="Contact.last_name")

    def __str__(self) -> str:
        return self.name


class Contact(Base):
    """A person (osoba kontaktowa), linked to a company or on their own (B2C)."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(120))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    position: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(200), default="", index=True)
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    pesel: Mapped[str | None] = mapped_column(String(11))
    birth_date: Mapped[date | None]
    data_source: Mapped[DataSource] = mapped_column(enum_column(DataSource))
    acquisition_method: Mapped[AcquisitionMethod | None] = mapped_column(enum_column(AcquisitionMethod))
    preferred_channel: Mapped[ContactChannel | None] = mapped_column(enum_column(ContactChannel))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    account: Mapped[Account | None] = relationship(back_populates="contacts")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __str__(self) -> str:
        return self.full_name
