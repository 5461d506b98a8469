"""The CRM's own declarative base and the column types its models share.

The simulator never uses the platform's metadata: every instance file holds only these tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sqlalchemy import Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of the CRM models (separate metadata from the platform's)."""

    metadata = MetaData(naming_convention=NAMING)


class LabelledEnum(StrEnum):
    """A string enum whose members carry a Polish label for the UI."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """Return (value, label) pairs for a select field."""
        return [(m.value, m.label) for m in cls]


class Money(TypeDecorator):
    """A PLN amount as a Decimal, stored exactly as whole grosze (so SQL sums stay exact)."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value(rounding=ROUND_HALF_UP))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value).scaleb(-2)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime, stored as ISO 8601 text with microseconds."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return value.astimezone(UTC).isoformat(timespec="microseconds")

    def process_result_value(self, value, dialect):
        return None if value is None else datetime.fromisoformat(value)


def enum_column(enum: type[StrEnum]):
    """Return a SQLAlchemy Enum type storing the members' values (not their names)."""
    from sqlalchemy import Enum

    return Enum(
        enum,
        native_enum=False,
        length=max(len(m.value) for m in enum),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
