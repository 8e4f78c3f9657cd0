"""The audit trail: every action recorded, chained by hash, never changed.

Each entry stores `prev_hash` (the previous entry's hash) and `entry_hash`, the
SHA-256 of `prev_hash` followed by the entry's canonical JSON (sorted keys, UTC
timestamps with microseconds). Changing, inserting or removing any entry breaks
the chain from that entry on, which `verify` reports. Details pass through the
PHI redactor before they are stored.

A chain alone cannot show that entries were cut from its end, so the trail
keeps the sequence and hash of the newest committed entry in a small file
beside the settings (the head). `verify` fails when the log ends before the
head or the entry at the head is another one, and when the database's guards
against changing the log have been dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text
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


# The triggers of the first migration that refuse UPDATE and DELETE.
_GUARDS = {
    "sqlite": ("audit_logs_no_update", "audit_logs_no_delete"),
    "postgresql": ("audit_logs_no_update_delete", "audit_logs_no_truncate"),
}


def missing_guards(session: OrmSession) -> list[str]:
    """The append-only triggers on `audit_logs` that are not in the database."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    elif dialect == "postgresql":
        query = (
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
        )
    else:
        return []
    present = set(session.execute(text(query)).scalars())
    return [name for name in _GUARDS[dialect] if name not in present]


class AuditTrail:
    """Appends entries to the chain; one writer at a time in this process.

    Args:
        head_file: Where the newest committed entry's sequence and hash are
            kept; None keeps no head (the chain is still checked).
    """

    def __init__(self, head_file: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._head_lock = threading.Lock()
        self.head_file = head_file

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
                if self.head_file is not None and self._holds_head(session):
                    heads = session.info.setdefault(_HEADS_KEY, {})
                    heads[id(self)] = (self, sequence, entry.entry_hash)
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
        head = self.read_head()
        head_hash = None
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
            if head is not None and entry.sequence == head[0]:
                head_hash = entry.entry_hash
            prev_hash = entry.entry_hash
            expected_sequence += 1
            checked += 1

        if head is not None and checked < head[0]:
            return VerifyResult(
                False,
                checked,
                None,
                checked + 1,
                f"the log ends at entry {checked}, but entry {head[0]} was "
                "recorded: entries were removed from its end",
            )
        if head is not None and head_hash != head[1]:
            entry_id = session.scalar(
                select(AuditLogEntry.id).where(AuditLogEntry.sequence == head[0])
            )
            return VerifyResult(
                False,
                checked,
                entry_id,
                head[0],
                "it is not the entry recorded at that place: the log was rewritten",
            )
        missing = missing_guards(session)
        if missing:
            return VerifyResult(
                False,
                checked,
                reason="the database no longer refuses changes to the log "
                f"(missing {', '.join(missing)}); the entries themselves hold",
            )
        return VerifyResult(True, checked)

    def read_head(self) -> tuple[int, str] | None:
        """The recorded newest entry as (sequence, hash), if one is kept."""
        if self.head_file is None or not self.head_file.exists():
            return None
        try:
            data = json.loads(self.head_file.read_text(encoding="utf-8"))
            return int(data["sequence"]), str(data["entry_hash"])
        except (OSError, ValueError, KeyError, TypeError):
            logger.warning("the audit head file %s is unreadable", self.head_file)
            return None

    def _holds_head(self, session: OrmSession) -> bool:
        """Whether the log still holds its recorded end, so the end may move."""
        head = self.read_head()
        if head is None:
            return True
        found = session.scalar(
            select(AuditLogEntry.entry_hash).where(AuditLogEntry.sequence == head[0])
        )
        if found != head[1]:
            # Keep the evidence: verify names the break.
            logger.error("the audit log no longer holds its recorded end")
            return False
        return True

    def _advance_head(self, sequence: int, entry_hash: str) -> None:
        """Records a committed entry as the log's end, if it is newer."""
        assert self.head_file is not None
        with self._head_lock:
            head = self.read_head()
            if head is not None and sequence <= head[0]:
                return
            self.head_file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.head_file.with_suffix(".tmp")
            temporary.write_text(
                json.dumps({"sequence": sequence, "entry_hash": entry_hash}),
                encoding="utf-8",
            )
            os.replace(temporary, self.head_file)


_HEADS_KEY = "voiceassist.audit_heads"


@event.listens_for(OrmSession, "after_commit")
def _write_heads(session: OrmSession) -> None:
    heads = session.info.pop(_HEADS_KEY, None)
    for trail, sequence, entry_hash in (heads or {}).values():
        try:
            trail._advance_head(sequence, entry_hash)
        except OSError:
            logger.exception("could not record the audit log's end")


@event.listens_for(OrmSession, "after_rollback")
def _forget_heads(session: OrmSession) -> None:
    session.info.pop(_HEADS_KEY, None)
