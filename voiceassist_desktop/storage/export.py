"""JSON export and import of every entity, validated against its schema.

Records use the V2 data model's snake_case names, omit null fields (the schemas
allow no null) and carry columns the data model does not list as extra keys.
The draft-07 checker ignores `format: uuid`, so formats are checked here.
"""

from __future__ import annotations

import enum
import json
import logging
import uuid
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
from sqlalchemy import DateTime, select
from sqlalchemy.orm import Session as OrmSession

from voiceassist_desktop.core.errors import ValidationFailed
from voiceassist_desktop.core.ids import is_uuid4, isoformat
from voiceassist_desktop.storage import models
from voiceassist_desktop.storage.types import UTCDateTime

logger = logging.getLogger(__name__)

# Entity name -> ORM class, in an order that satisfies foreign keys on import.
ENTITIES: dict[str, type[models.Base]] = {
    "User": models.User,
    "Session": models.Session,
    "ClinicalContext": models.ClinicalContext,
    "ChatMessage": models.ChatMessage,
    "KnowledgeDocument": models.KnowledgeDocument,
    "KBChunk": models.KBChunk,
    "IndexingJob": models.IndexingJob,
    "AuditLogEntry": models.AuditLogEntry,
    "ToolCall": models.ToolCall,
    "UserSettings": models.UserSettings,
    "SystemSettings": models.SystemSettings,
}

# Python attribute -> exported key, where they differ.
_RENAMED = {"meta": "metadata"}
# Derived, read-only attributes exported for compatibility.
_DERIVED = {"IndexingJob": ("status", "progress", "chunks_created")}
# Columns that are internal and never exported.
_INTERNAL = {"fts_rowid"}

_format_checker = jsonschema.FormatChecker()


@_format_checker.checks("uuid")
def _check_uuid(value: object) -> bool:
    return not isinstance(value, str) or is_uuid4(value)


@_format_checker.checks("date-time", raises=ValueError)
def _check_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.tzinfo is not None


@_format_checker.checks("uri")
def _check_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = urlparse(value)
    return bool(parsed.scheme) and bool(parsed.netloc or parsed.path)


@cache
def load_schema(entity: str) -> dict[str, Any]:
    """The packaged JSON Schema of `entity` (settings have none and get {})."""
    path = resources.files("voiceassist_desktop.schemas") / f"{entity}.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def validate(entity: str, record: dict[str, Any]) -> None:
    """Raises `ValidationFailed` naming the first offending field."""
    schema = load_schema(entity)
    if not schema:
        return
    validator = jsonschema.Draft7Validator(schema, format_checker=_format_checker)
    errors = sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    error = errors[0]
    path = ".".join(str(p) for p in error.absolute_path)
    if not path and error.validator == "required":
        missing = [f for f in error.validator_value if f not in record]
        path = missing[0] if missing else "(record)"
    raise ValidationFailed(f"{entity}.{path}" if path else entity, error.message)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def to_record(obj: models.Base) -> dict[str, Any]:
    """The exported form of an ORM object, nulls omitted."""
    entity = type(obj).__name__
    record: dict[str, Any] = {}
    for attr in obj.__mapper__.column_attrs:
        if attr.key in _INTERNAL:
            continue
        value = getattr(obj, attr.key)
        if value is None:
            continue
        record[_RENAMED.get(attr.key, attr.key)] = _json_value(value)
    for name in _DERIVED.get(entity, ()):
        value = getattr(obj, name)
        if value is not None:
            record[name] = _json_value(value)
    return record


def export_record(obj: models.Base) -> dict[str, Any]:
    """`to_record`, validated against the entity's schema."""
    record = to_record(obj)
    validate(type(obj).__name__, record)
    return record


def dump(session: OrmSession, target: Path) -> dict[str, int]:
    """Writes one `<Entity>.jsonl` per entity; returns the record counts."""
    target.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for entity, cls in ENTITIES.items():
        count = 0
        path = target / f"{entity}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for obj in session.scalars(select(cls)):
                record = export_record(obj)
                handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True))
                handle.write("\n")
                count += 1
        counts[entity] = count
    logger.info("exported %s records to %s", sum(counts.values()), target)
    return counts


def _from_value(column: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, (UTCDateTime, DateTime)) and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    enum_class = getattr(column.type, "enum_class", None)
    if enum_class is not None:
        return enum_class(value)
    return value


def from_record(entity: str, record: dict[str, Any]) -> models.Base:
    """Builds an ORM object from a record after validating it."""
    if entity not in ENTITIES:
        raise ValidationFailed("entity", f"unknown entity {entity!r}")
    validate(entity, record)
    cls = ENTITIES[entity]
    reverse = {exported: attr for attr, exported in _RENAMED.items()}
    derived = set(_DERIVED.get(entity, ()))
    kwargs: dict[str, Any] = {}
    columns = {attr.key: attr.columns[0] for attr in cls.__mapper__.column_attrs}
    for key, value in record.items():
        attr = reverse.get(key, key)
        if attr in derived:
            continue
        if attr not in columns:
            raise ValidationFailed(f"{entity}.{key}", "is not a field of this entity")
        kwargs[attr] = _from_value(columns[attr], value)
    return cls(**kwargs)


def load(session: OrmSession, source: Path) -> dict[str, int]:
    """Imports the `<Entity>.jsonl` files that `dump` writes.

    Every record is validated first; nothing is written if one is invalid.
    """
    objects: list[models.Base] = []
    counts: dict[str, int] = {}
    for entity in ENTITIES:
        path = source / f"{entity}.jsonl"
        if not path.exists():
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                objects.append(from_record(entity, json.loads(line)))
            except ValidationFailed as exc:
                raise ValidationFailed(
                    exc.field, f"{exc.reason} ({path.name} line {number})"
                ) from exc
        counts[entity] = len(lines)
    # A document's `superseded_by` may name a later row: link after inserting.
    links = []
    for obj in objects:
        if isinstance(obj, models.KnowledgeDocument) and obj.superseded_by:
            links.append((obj, obj.superseded_by))
            obj.superseded_by = None
        session.add(obj)
        session.flush()
    for obj, newer in links:
        obj.superseded_by = newer
    session.flush()
    return counts
