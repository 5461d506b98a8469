"""Offer templates with their versions, offers with line items, and the sandbox outbox (oferty)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simulator.crm.base import Base, LabelledEnum, Money, UTCDateTime, enum_column
from simulator.crm.enums import VatRate
from simulator.crm.models.accounts import Account, Contact
from simulator.crm.models.catalog import Product
from simulator.crm.models.sales import Opportunity
from simulator.crm.models.system import CrmUser


class OfferStatus(LabelledEnum):
    """State of an offer (status oferty)."""

    DRAFT = "szkic", "szkic"
    SENT = "wyslana", "wysłana"


class OfferTemplate(Base):
    """An offer template (szablon oferty); its text lives in numbered versions."""

    __tablename__ = "offer_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    versions: Mapped[list[OfferTemplateVersion]] = relationship(
        back_populates="template", order_by="OfferTemplateVersion.version"
    )

    @property
    def current(self) -> OfferTemplateVersion:
        """Return the newest version (the one new offers use)."""
        return self.versions[-1]

    def __str__(self) -> str:
        return self.name


class OfferTemplateVersion(Base):
    """One version of a template's subject and body; a version used by a sent offer never changes."""

    __tablename__ = "offer_template_version"
    __table_args__ = (UniqueConstraint("template_id", "version", name="template_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("offer_template.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    template: Mapped[OfferTemplate] = relationship(back_populates="versions")


class Offer(Base):
    """An offer for an opportunity and its customer (oferta handlowa)."""

    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    template_version_id: Mapped[int] = mapped_column(ForeignKey("offer_template_version.id"), index=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("crm_user.id"))
    status: Mapped[OfferStatus] = mapped_column(enum_column(OfferStatus), default=OfferStatus.DRAFT)
    issued_on: Mapped[date]
    valid_until: Mapped[date]
    rendered_subject: Mapped[str] = mapped_column(String(300), default="")
    rendered_body: Mapped[str] = mapped_column(Text, default="")
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")
    # the person's protected fields (JSON list) whose values the sent text and PDF contain, and the company's fields
    # that a sole trader's protection covers, prefixed "firma." (e.g. "firma.email")
    rendered_personal: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    template_version: Mapped[OfferTemplateVersion] = relationship()
    opportunity: Mapped[Opportunity] = relationship()
    account: Mapped[Account] = relationship()
    contact: Mapped[Contact | None] = relationship()
    owner: Mapped[CrmUser] = relationship()
    items: Mapped[list[OfferItem]] = relationship(
        back_populates="offer", order_by="OfferItem.position", cascade="all, delete-orphan"
    )

    @property
    def is_sent(self) -> bool:
        return self.status == OfferStatus.SENT

    @property
    def sent_fields(self) -> set[str]:
        """Return the protected fields the sent text and PDF contain: the person's, and the company's prefixed."""
        return set(json.loads(self.rendered_personal or "[]"))

    @property
    def sent_personal_fields(self) -> set[str]:
        """Return the person's protected fields whose values the sent text and PDF contain."""
        return {name for name in self.sent_fields if "." not in name}

    def __str__(self) -> str:
        return self.number


class OfferItem(Base):
    """A line of an offer: a catalogue product with quantity, net price and VAT rate (pozycja oferty)."""

    __tablename__ = "offer_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(Money)  # two decimal places, stored exactly like amounts
    net_price: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[VatRate] = mapped_column(enum_column(VatRate))

    offer: Mapped[Offer] = relationship(back_populates="items")
    product: Mapped[Product | None] = relationship()


class OutboxMessage(Base):
    """A message "sent" to the sandbox outbox (skrzynka nadawcza); nothing leaves the simulator."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    # the person whose e-mail address ``recipient`` is (None: the company's address)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    attachment_name: Mapped[str] = mapped_column(String(200), default="")
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    attachment_sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    offer: Mapped[Offer | None] = relationship()
    account: Mapped[Account | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
