"""Writing the audit trail out as JSON Lines or CSV.

Each JSON line is the entry's schema-valid record (the AuditLogEntry schema,
with the chain's `sequence`, `prev_hash` and `entry_hash` as extra keys), so a
reader can check the chain again outside the app. The CSV has one column per
field; `details` is its JSON text.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session as OrmSession

from voiceassist_desktop.audit.trail import AuditTrail
from voiceassist_desktop.storage.export import export_record

logger = logging.getLogger(__name__)

FORMATS = ("jsonl", "csv")

CSV_COLUMNS = (
    "sequence",
    "id",
    "timestamp",
    "user_id",
    "action",
    "resource_type",
    "resource_id",
    "status",
    "ip_address",
    "user_agent",
    "session_id",
    "phi_accessed",
    "details",
    "prev_hash",
    "entry_hash",
)


def audit_records(session: OrmSession):
    """Every entry's exported record, in chain order."""
    for entry in AuditTrail.entries(session):
        yield export_record(entry)


def write_audit(session: OrmSession, handle: IO[str], fmt: str = "jsonl") -> int:
    """Writes every entry to an open text file; returns how many.

    Args:
        session: A database session.
        handle: A text file open for writing (CSV needs `newline=""`).
        fmt: "jsonl" or "csv".
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    count = 0
    if fmt == "jsonl":
        for record in audit_records(session):
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True))
            handle.write("\n")
            count += 1
        return count

    writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for record in audit_records(session):
        writer.writerow(_csv_row(record))
        count += 1
    return count


def export_audit(session: OrmSession, target: Path, fmt: str = "jsonl") -> int:
    """Writes every entry to `target`; returns how many.

    The file is written beside its final name and renamed, so an interrupted
    export never leaves a truncated file under that name.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        count = write_audit(session, handle, fmt)
    partial.replace(target)
    logger.info("audit trail exported: %s entries as %s", count, fmt)
    return count


def _csv_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {column: record.get(column, "") for column in CSV_COLUMNS}
    row["details"] = (
        json.dumps(record["details"], ensure_ascii=False, sort_keys=True)
        if "details" in record
        else ""
    )
    row["phi_accessed"] = "true" if record.get("phi_accessed") else "false"
    return row
