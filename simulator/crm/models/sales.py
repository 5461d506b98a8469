"""Pipelines, their stages, opportunities and the stage history (lejki i szanse sprzedaży)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simulator.crm.base import Base, Money, UTCDateTime, enum_column
from simulator.crm.enums import ActivityType, Currency, CustomerType, LossReason, OpportunityStatus, SaleForm
from simulator.crm.models.accounts import Account, Contact
from simulator.crm.models.system import CrmUser


class Pipeline(Base):
    """A sales pipeline (lejek sprzedaży) for a customer type, product line and form of sale.

    The three dimensions are optional (an instance made before they existed has none; the upgrade step adds
    the columns as NULL and ''): a pipeline is still usable, it only does not say whom and how it sells to.
    The product dimension is a free "linia produktów": the catalogue has no categories, and a pipeline sells
    a line of several catalogue items rather than one.
    """

    __tablename__ = "pipeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    customer_type: Mapped[CustomerType | None] = mapped_column(enum_column(CustomerType))
    sale_form: Mapped[SaleForm | None] = mapped_column(enum_column(SaleForm))
    product_line: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    stages: Mapped[list[Stage]] = relationship(back_populates="pipeline", order_by="Stage.position")

    @property
    def profile(self) -> str:
        """Return whom and how the pipeline sells to, as the UI shows it ("Firmy (B2B) · Sprzedaż …"), or ""."""
        return " · ".join(v.label for v in (self.customer_type, self.sale_form) if v is not None)

    def __str__(self) -> str:
        return self.name


class Stage(Base):
    """A stage of a pipeline (etap), with its order, default probability and required activities."""

    __tablename__ = "stage"
    __table_args__ = (CheckConstraint("probability BETWEEN 0 AND 100", name="probability_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipeline.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    probability: Mapped[int] = mapped_column(Integer)
    required_activities: Mapped[str] = mapped_column(Text, default="[]")

    pipeline: Mapped[Pipeline] = relationship(back_populates="stages")

    @property
    def required_types(self) -> list[ActivityType]:
        """Return the activity types that must be done before leaving this stage."""
        return [ActivityType(v) for v in json.loads(self.required_activities or "[]")]

    @required_types.setter
    def required_types(self, types) -> None:
        ordered = [t for t in ActivityType if t in {ActivityType(v) for v in types}]
        self.required_activities = json.dumps([t.value for t in ordered])

    def __str__(self) -> str:
        return self.name


class Opportunity(Base):
    """A sales opportunity (szansa sprzedaży)."""

    __tablename__ = "opportunity"
    __table_args__ = (
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability_range"),
        CheckConstraint("status <> 'przegrana' OR loss_reason IS NOT NULL", name="loss_reason_required"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint(f"currency IN ({', '.join(repr(c.value) for c in Currency)})", name="currency_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    value: Mapped[Decimal] = mapped_column(Money)  # in ``currency``: amounts are never converted
    currency: Mapped[Currency] = mapped_column(enum_column(Currency), default=Currency.PLN, server_default="PLN")
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipeline.id"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"), index=True)
    probability: Mapped[int] = mapped_column(Integer)
    probability_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    expected_close: Mapped[date | None]
    owner_id: Mapped[int] = mapped_column(ForeignKey("crm_user.id"))
    status: Mapped[OpportunityStatus] = mapped_column(enum_column(OpportunityStatus), default=OpportunityStatus.OPEN)
    loss_reason: Mapped[LossReason | None] = mapped_column(enum_column(LossReason))
    loss_note: Mapped[str] = mapped_column(Text, default="")
    closed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()
    contact: Mapped[Contact | None] = relationship()
    pipeline: Mapped[Pipeline] = relationship()
    stage: Mapped[Stage] = relationship()
    owner: Mapped[CrmUser] = relationship()
    history: Mapped[list[StageHistory]] = relationship(
        back_populates="opportunity", order_by="StageHistory.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.name


class StageHistory(Base):
    """One change of an opportunity's stage or status (historia etapów)."""

    __tablename__ = "stage_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity.id"), index=True)
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"))
    from_status: Mapped[OpportunityStatus | None] = mapped_column(enum_column(OpportunityStatus))
    to_status: Mapped[OpportunityStatus] = mapped_column(enum_column(OpportunityStatus))
    probability: Mapped[int] = mapped_column(Integer)
    via: Mapped[str] = mapped_column(String(40))
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    business_date: Mapped[date]
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    opportunity: Mapped[Opportunity] = relationship(back_populates="history")
    from_stage: Mapped[Stage | None] = relationship(foreign_keys=[from_stage_id])
    to_stage: Mapped[Stage] = relationship(foreign_keys=[to_stage_id])
