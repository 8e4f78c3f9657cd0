"""Registering files: what each one is before any work is queued.

A file is hashed and keyed, then compared with the library: the same bytes
under the same key are unchanged, the same bytes under another key are a
duplicate, new bytes are a new document or a new version. Files of a type the
converters do not read are refused with a reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from voiceassist_desktop.audit.trail import AuditTrail
from voiceassist_desktop.knowledge.jobs import FileOutcome, JobProgress, Outcome
from voiceassist_desktop.knowledge.pipeline import (
    guess_document_type,
    progress_of,
    title_from_file_name,
)
from voiceassist_desktop.storage.models import (
    DocumentType,
    FileFormat,
    IndexingJob,
    IndexingStatus,
    JobState,
    KnowledgeDocument,
)

# Extensions read by the converters, and the format each is registered as.
SUPPORTED_FORMATS = {
    ".pdf": FileFormat.PDF,
    ".docx": FileFormat.DOCX,
    ".docm": FileFormat.DOCX,
    ".txt": FileFormat.TXT,
    ".text": FileFormat.TXT,
    ".md": FileFormat.TXT,
    ".html": FileFormat.HTML,
    ".htm": FileFormat.HTML,
    ".xhtml": FileFormat.HTML,
}
LEGACY_WORD = "legacy Word .doc is not supported; save it as .docx"


def normalise_key(path: Path) -> str:
    """The `doc_key` of a file: its absolute, resolved, case-normalised path."""
    return os.path.normcase(str(Path(path).expanduser().resolve()))


@dataclass
class PreparedFile:
    """A file ready to register: where it is, its key, hash and format."""

    index: int
    path: Path
    key: str
    content_hash: str
    size: int
    file_format: FileFormat


def register_file(
    session: OrmSession,
    audit: AuditTrail,
    user_id: str,
    item: PreparedFile,
    options: dict[str, Any],
) -> tuple[FileOutcome, JobProgress | None]:
    """Decides what one file is (unchanged, a duplicate, new) and records it.

    Returns:
        The outcome, and the new or requeued job's progress, if any.
    """
    latest = session.scalars(
        select(KnowledgeDocument)
        .where(KnowledgeDocument.doc_key == item.key)
        .order_by(KnowledgeDocument.version.desc())
        .limit(1)
    ).first()

    if latest is not None and latest.content_hash == item.content_hash:
        job = latest_job(session, latest.id)
        # An import that was interrupted (the process was killed) is not
        # "unchanged": this import waits for it to finish.
        interrupted = job is not None and job.state in (
            JobState.PENDING,
            JobState.RUNNING,
        )
        if not interrupted:
            if latest.indexing_status != IndexingStatus.FAILED or job is None:
                return (
                    FileOutcome(
                        item.path,
                        Outcome.UNCHANGED,
                        latest.id,
                        job.id if job else None,
                    ),
                    None,
                )
            if not (job.error_details or {}).get("retryable", False):
                reason = job.error_message or "the file could not be read"
                return (
                    FileOutcome(item.path, Outcome.FAILED, latest.id, job.id, reason),
                    None,
                )
            requeue_job(job, latest)
            session.flush()
        kind = Outcome.NEW_VERSION if latest.version > 1 else Outcome.IMPORTED
        return (
            FileOutcome(item.path, kind, latest.id, job.id),
            progress_of(job, latest.file_name),
        )

    original = session.scalars(
        select(KnowledgeDocument)
        .where(
            KnowledgeDocument.content_hash == item.content_hash,
            KnowledgeDocument.doc_key != item.key,
            KnowledgeDocument.superseded_by.is_(None),
            KnowledgeDocument.indexing_status != IndexingStatus.FAILED,
        )
        .order_by(KnowledgeDocument.created_at)
        .limit(1)
    ).first()
    if original is not None:
        audit.record(
            session,
            "document.duplicate",
            "document",
            resource_id=original.id,
            user_id=user_id,
            details={"file_name": item.path.name, "duplicate_of": original.id},
        )
        reason = f"same content as {original.file_name!r}"
        return (
            FileOutcome(
                item.path,
                Outcome.DUPLICATE,
                original.id,
                reason=reason,
                duplicate_of=original.id,
            ),
            None,
        )

    doc_type = options.get("doc_type")
    document = KnowledgeDocument(
        user_id=user_id,
        doc_key=item.key,
        content_hash=item.content_hash,
        version=(latest.version + 1) if latest is not None else 1,
        title=title_from_file_name(item.path.name),
        document_type=DocumentType(doc_type)
        if doc_type
        else guess_document_type(None, item.path.name),
        specialty=options.get("specialty"),
        file_path=str(item.path.resolve()),
        file_name=item.path.name,
        file_size=item.size,
        file_format=item.file_format,
        is_indexed=False,
        indexing_status=IndexingStatus.PENDING,
    )
    session.add(document)
    session.flush()
    job = IndexingJob(
        document_id=document.id,
        doc_key=item.key,
        user_id=user_id,
        state=JobState.PENDING,
        current_step="queued",
        processed_chunks=0,
        retry_count=0,
        max_retries=3,
        source_path=str(item.path.resolve()),
        options={key: value for key, value in options.items() if value},
    )
    session.add(job)
    session.flush()
    kind = Outcome.NEW_VERSION if latest is not None else Outcome.IMPORTED
    return (
        FileOutcome(item.path, kind, document.id, job.id),
        progress_of(job, document.file_name),
    )


def expand_paths(
    paths: Iterable[str | Path],
) -> tuple[list[tuple[int, Path, FileFormat]], list[tuple[int, FileOutcome]]]:
    """Files to import and files refused at once, each with its position."""
    found: list[tuple[int, Path, FileFormat]] = []
    refused: list[tuple[int, FileOutcome]] = []
    candidates: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and not any(p.startswith(".") for p in relative):
                    candidates.append((child, False))
        else:
            candidates.append((path, True))

    seen: set[str] = set()
    for index, (path, explicit) in enumerate(candidates):
        if not path.exists():
            refused.append(
                (index, FileOutcome(path, Outcome.FAILED, reason="no such file"))
            )
            continue
        key = normalise_key(path)
        if key in seen:
            continue
        seen.add(key)
        suffix = path.suffix.lower()
        file_format = SUPPORTED_FORMATS.get(suffix)
        reason = None
        if file_format is None and explicit and not suffix:
            file_format, reason = _sniff(path)
        elif file_format is None:
            reason = (
                LEGACY_WORD
                if suffix == ".doc"
                else f"files of type {suffix or 'without extension'} are not supported"
            )
        if file_format is None:
            refused.append((index, FileOutcome(path, Outcome.FAILED, reason=reason)))
        else:
            found.append((index, path, file_format))
    return found, refused


def _sniff(path: Path) -> tuple[FileFormat | None, str | None]:
    from voiceassist_desktop.knowledge.converters import detect_format
    from voiceassist_desktop.knowledge.errors import ConversionError

    try:
        return FileFormat(detect_format(path)), None
    except ConversionError as exc:
        return None, exc.reason


def latest_job(session, document_id: str) -> IndexingJob | None:
    return session.scalars(
        select(IndexingJob)
        .where(IndexingJob.document_id == document_id)
        .order_by(IndexingJob.created_at.desc())
        .limit(1)
    ).first()


def requeue_job(job: IndexingJob, document: KnowledgeDocument) -> None:
    job.state = JobState.PENDING
    job.retry_count = 0
    job.cancel_requested = False
    job.error_message = None
    job.error_details = None
    job.failed_at = None
    job.next_attempt_at = None
    job.current_step = "queued"
    job.processed_chunks = 0
    job.total_chunks = None
    document.indexing_status = IndexingStatus.PENDING


def options_of(session, document_id: str) -> dict[str, Any]:
    job = latest_job(session, document_id)
    return dict(job.options or {}) if job is not None else {}
