"""Products and services (katalog produktów i usług)."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from simulator.crm.base import Base, Money, UTCDateTime, enum_column
from simulator.crm.enums import VatRate


class Product(Base):
    """A product or service with its net price and VAT rate."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), default="")
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    net_price: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[VatRate] = mapped_column(enum_column(VatRate))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def gross_price(self) -> Decimal:
        """Return the gross unit price, rounded to grosze."""
        gross = self.net_price * (100 + VatRate(self.vat_rate).percent) / 100
        return gross.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def __str__(self) -> str:
        return self.name
