"""The audit trail: every action recorded, chained by hash, never changed.

Each entry stores `prev_hash` (the previous entry's hash) and `entry_hash`, the
SHA-256 of `prev_hash` followed by the entry's canonical JSON (sorted keys, UTC
timestamps with microseconds). Changing, inserting or removing any entry breaks
the chain from that entry on, which `verify` reports. Details pass through the
PHI redactor before they are stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from voiceassist_desktop.core import phi
from voiceassist_desktop.core.ids import isoformat, new_id, utcnow
from voiceassist_desktop.storage.models import AuditLogEntry, AuditStatus

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
LOCAL_IP = "127.0.0.1"
USER_AGENT = "VoiceAssist Desktop"

# The fields the hash covers, in the exported names.
_HASHED_FIELDS = (
    "id",
    "user_id",
    "action",
    "resource_type",
    "resource_id",
    "status",
    "ip_address",
    "user_agent",
    "details",
    "phi_accessed",
    "timestamp",
    "session_id",
    "sequence",
)


def canonical_json(entry: AuditLogEntry) -> str:
    """The entry's fields as canonical JSON: sorted keys, no spaces, UTC times."""
    values: dict[str, Any] = {}
    for name in _HASHED_FIELDS:
        value = getattr(entry, name)
        if name == "timestamp":
            value = isoformat(value)
        elif name == "status":
            value = AuditStatus(value).value
        values[name] = value
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(prev_hash: str, entry: AuditLogEntry) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(canonical_json(entry).encode("utf-8"))
    return digest.hexdigest()


def _begin_write(session: OrmSession) -> None:
    """Makes sure the caller's transaction is open and holds the write lock.

    Python's sqlite3 module opens a transaction only before a data change, and
    a SAVEPOINT outside one starts and then, on release, commits a transaction
    of its own: an entry recorded before the caller's first change would be
    committed even when the caller's work rolls back. Beginning the
    transaction here (IMMEDIATE, so the last entry read is the newest) keeps
    the entry in the caller's unit of work.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass(frozen=True)
class VerifyResult:
    """What `verify` found: whether the chain is whole, and where it breaks."""

    ok: bool
    checked: int
    first_bad_id: str | None = None
    first_bad_sequence: int | None = None
    reason: str | None = None


class AuditTrail:
    """Appends entries to the chain; one writer at a time in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def record(
        self,
        session: OrmSession,
        action: str,
        resource_type: str,
        *,
        resource_id: str | None = None,
        status: AuditStatus | str = AuditStatus.SUCCESS,
        user_id: str | None = None,
        session_id: str | None = None,
        details: dict[str, Any] | None = None,
        phi_accessed: bool = False,
    ) -> AuditLogEntry:
        """Adds one entry to the chain in the caller's transaction.

        Args:
            session: The caller's unit of work; the entry commits with it.
            action: What happened, e.g. `document.import`.
            resource_type: What it happened to, e.g. `document`.
            resource_id: The affected record's id.
            status: success, failure or denied.
            user_id: The acting user; None for the app's own actions.
            session_id: The conversation's id, where there is one.
            details: Context; patient identifiers are redacted before storing.
            phi_accessed: Whether a patient's context or PHI was involved.
        """
        clean = phi.redact_obj(details) if details else None
        with self._lock:
            _begin_write(session)
            for _attempt in range(5):
                last = session.execute(
                    select(AuditLogEntry.sequence, AuditLogEntry.entry_hash)
                    .order_by(AuditLogEntry.sequence.desc())
                    .limit(1)
                ).first()
                sequence = (last.sequence + 1) if last else 1
                prev_hash = last.entry_hash if last else GENESIS_HASH
                entry = AuditLogEntry(
                    id=new_id(),
                    user_id=user_id,
                    action=action,
                    resource_type=resource_type,
                    resource_id=resource_id,
                    status=AuditStatus(status),
                    ip_address=LOCAL_IP,
                    user_agent=USER_AGENT,
                    details=clean,
                    phi_accessed=phi_accessed,
                    timestamp=utcnow(),
                    session_id=session_id,
                    sequence=sequence,
                    prev_hash=prev_hash,
                )
                entry.entry_hash = compute_hash(prev_hash, entry)
                try:
                    with session.begin_nested():
                        session.add(entry)
                        session.flush()
                except IntegrityError:
                    # Another process took this sequence number: read again.
                    logger.debug("audit sequence %s taken, retrying", sequence)
                    continue
                logger.debug("audit %s %s %s", action, resource_type, status)
                return entry
        raise RuntimeError("could not append to the audit log")

    @staticmethod
    def entries(session: OrmSession) -> Iterable[AuditLogEntry]:
        return session.scalars(
            select(AuditLogEntry).order_by(AuditLogEntry.sequence)
        ).yield_per(500)

    @staticmethod
    def count(session: OrmSession) -> int:
        return session.scalar(select(func.count()).select_from(AuditLogEntry)) or 0

    def verify(self, session: OrmSession) -> VerifyResult:
        """Walks the chain; names the first entry that does not hold."""
        prev_hash = GENESIS_HASH
        expected_sequence = 1
        checked = 0
        for entry in self.entries(session):
            problem = None
            if entry.sequence != expected_sequence:
                problem = (
                    f"sequence {entry.sequence} where {expected_sequence} was "
                    "expected: an entry is missing or was inserted"
                )
            elif entry.prev_hash != prev_hash:
                problem = "its link to the previous entry does not match"
            elif compute_hash(prev_hash, entry) != entry.entry_hash:
                problem = "its content does not match its hash: it was changed"
            if problem:
                return VerifyResult(False, checked, entry.id, entry.sequence, problem)
            prev_hash = entry.entry_hash
            expected_sequence += 1
            checked += 1
        return VerifyResult(True, checked)
