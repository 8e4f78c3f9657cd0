"""Identifiers and clocks: UUID v4 ids and timezone-aware UTC timestamps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def new_id() -> str:
    """Returns a new UUID v4 as a lowercase string."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Returns the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Returns `value` in UTC; naive values (as SQLite hands back) are UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def isoformat(value: datetime) -> str:
    """ISO 8601 in UTC with microseconds, the form exports and hashes use."""
    return as_utc(value).isoformat(timespec="microseconds").replace("+00:00", "Z")


def is_uuid4(value: str) -> bool:
    """True when `value` is a canonical UUID v4 string."""
    try:
        parsed = uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return parsed.version == 4 and str(parsed) == value.lower()
