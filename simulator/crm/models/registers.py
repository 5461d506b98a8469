"""Fixture records of the mock public registers inside the simulator (GUS/REGON BIR and VIES)."""

from __future__ import annotations

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from simulator.crm.base import Base


class GusRecord(Base):
    """A record of the mock GUS REGON database (BIR), as the register returns it."""

    __tablename__ = "gus_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(10), index=True, default="")
    regon: Mapped[str] = mapped_column(String(14), index=True, default="")
    krs: Mapped[str] = mapped_column(String(10), default="")
    legal_form: Mapped[str] = mapped_column(String(30), default="", server_default="")  # a LegalForm value or ""
    name: Mapped[str] = mapped_column(String(300))
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(6), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    voivodeship: Mapped[str] = mapped_column(String(30), default="")
    pkd: Mapped[str] = mapped_column(String(7), default="")
    unit_type: Mapped[str] = mapped_column(String(2), default="P")  # P legal person, F natural person, LP local unit
    status: Mapped[str] = mapped_column(String(20), default="aktywny")  # aktywny | wykreślony | zawieszony
    end_date: Mapped[str] = mapped_column(String(10), default="")
    parent_regon: Mapped[str] = mapped_column(String(14), default="")


class ViesRecord(Base):
    """A record of the mock VIES service (VAT-UE numbers)."""

    __tablename__ = "vies_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(10), index=True)
    valid: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(Text, default="")
