"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Enum, TypeDecorator
from sqlalchemy.engine import Dialect

from voiceassist_desktop.core.ids import as_utc


class UTCDateTime(TypeDecorator[datetime]):
    """Stores timezone-aware UTC; hands back aware UTC even where SQLite drops it."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: timestamps must be UTC-aware")
        return as_utc(value)

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        return None if value is None else as_utc(value)


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum: VARCHAR plus a named CHECK constraint, storing values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
