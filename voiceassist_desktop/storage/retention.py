"""Data retention: old conversations and recordings are deleted as set.

`data_retention.conversation_retention_days` removes conversations whose last
activity is older than that many days, with their messages, clinical context,
tool calls and recordings; `recording_retention_days` removes recordings older
than that, keeping their messages. Zero keeps for ever. The audit trail is
never pruned: it is the record that the deletion happened, and it holds
counts only.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from sqlalchemy import delete, select, update

from voiceassist_desktop.core.ids import as_utc, utcnow
from voiceassist_desktop.storage.models import ChatMessage, Session

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionReport:
    """What one run of the retention rules deleted."""

    conversations_deleted: int = 0
    messages_deleted: int = 0
    recordings_deleted: int = 0
    conversation_retention_days: int = 0
    recording_retention_days: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def recording_path(audio_url: str | None, recordings: Path) -> Path | None:
    """The file an `audio_url` names, when it lies in the recordings folder."""
    if not audio_url:
        return None
    # The app stores file URIs, escaped ("Application%20Support"); older rows
    # may hold a plain path.
    raw = (
        url2pathname(urlparse(audio_url).path)
        if audio_url.startswith("file:")
        else audio_url
    )
    try:
        path = Path(raw).expanduser().resolve()
    except (OSError, ValueError):
        return None
    folder = recordings.resolve()
    return path if path.is_relative_to(folder) else None


def apply_retention(
    db: Any,
    audit: Any,
    paths: Any,
    system_settings: Any,
    *,
    user_id: str | None = None,
    now: datetime | None = None,
) -> RetentionReport:
    """Deletes what the retention settings say is too old; audits the counts.

    Args:
        db: The app's database.
        audit: The audit trail (`record(session, action, resource_type, ...)`).
        paths: The app's folders (`AppPaths`).
        system_settings: The system settings model (its `data_retention`).
        user_id: The acting user, for the audit entry.
        now: The present moment (tests pass one).
    """
    rules = system_settings.data_retention
    now = now or utcnow()
    recordings = Path(paths.recordings)
    conversations = messages = 0
    removed_files: set[Path] = set()

    with db.session() as session:
        if rules.conversation_retention_days > 0:
            cutoff = now - timedelta(days=rules.conversation_retention_days)
            old_ids = list(
                session.scalars(select(Session.id).where(Session.updated_at < cutoff))
            )
            for start in range(0, len(old_ids), 500):
                batch = old_ids[start : start + 500]
                urls = session.scalars(
                    select(ChatMessage.audio_url).where(
                        ChatMessage.session_id.in_(batch),
                        ChatMessage.audio_url.is_not(None),
                    )
                )
                for url in urls:
                    path = recording_path(url, recordings)
                    if path is not None:
                        removed_files.add(path)
                messages += session.execute(
                    delete(ChatMessage).where(ChatMessage.session_id.in_(batch))
                ).rowcount
                # Clinical contexts and tool calls go with their conversation
                # (ON DELETE CASCADE).
                conversations += session.execute(
                    delete(Session).where(Session.id.in_(batch))
                ).rowcount

        if rules.recording_retention_days > 0:
            cutoff = now - timedelta(days=rules.recording_retention_days)
            rows = session.execute(
                select(
                    ChatMessage.id, ChatMessage.audio_url, ChatMessage.created_at
                ).where(ChatMessage.audio_url.is_not(None))
            ).all()
            for message_id, url, created in rows:
                path = recording_path(url, recordings)
                if path is None or as_utc(created) >= cutoff:
                    continue
                removed_files.add(path)
                session.execute(
                    update(ChatMessage)
                    .where(ChatMessage.id == message_id)
                    .values(audio_url=None)
                )
            if recordings.is_dir():
                for path in recordings.rglob("*"):
                    if path.is_file() and _modified(path) < cutoff:
                        removed_files.add(path.resolve())

        deleted_files = 0
        for path in removed_files:
            try:
                path.unlink()
                deleted_files += 1
            except FileNotFoundError:
                continue

        report = RetentionReport(
            conversations_deleted=conversations,
            messages_deleted=messages,
            recordings_deleted=deleted_files,
            conversation_retention_days=rules.conversation_retention_days,
            recording_retention_days=rules.recording_retention_days,
        )
        audit.record(
            session,
            "retention.apply",
            "data_retention",
            user_id=user_id,
            details=report.as_dict(),
            phi_accessed=conversations > 0,
        )
    logger.info(
        "retention: %s conversations, %s recordings deleted",
        conversations,
        deleted_files,
    )
    return report


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
