"""The indexing pipeline: one job from file to searchable chunks.

A worker reads the file, converts and chunks it, then embeds the chunks batch
by batch. Each batch becomes one write unit on the single writer: vectors are
upserted first, then the chunk rows and the job's counters commit in one
transaction (the lexical index follows the rows inside the database). A crash
between the two leaves at worst vectors without chunks, which reconciliation
deletes. When the last batch is saved, one transaction makes the new version
current and supersedes the old one; the old version's vectors are deleted
afterwards.

Interrupted jobs resume: chunking is deterministic, so a job restarted on the
same bytes keeps the chunk rows it already saved and goes on from there.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session as OrmSession

from voiceassist_desktop.audit.trail import AuditTrail
from voiceassist_desktop.core.events import EventBus
from voiceassist_desktop.core.ids import new_id, utcnow
from voiceassist_desktop.index.embedder import collection_name, passage_text
from voiceassist_desktop.index.vector import VectorIndex, VectorPoint
from voiceassist_desktop.knowledge.document import ConvertedDocument
from voiceassist_desktop.knowledge.errors import ConversionError, FileChangedError
from voiceassist_desktop.knowledge.jobs import (
    CANCELLED_REASON,
    JobInterrupted,
    JobProgress,
    backoff_seconds,
    error_details,
    is_final,
    plain_reason,
)
from voiceassist_desktop.knowledge.writer import StoreWriter
from voiceassist_desktop.storage.database import Database
from voiceassist_desktop.storage.models import (
    AuditStatus,
    DocumentType,
    FileFormat,
    IndexingJob,
    IndexingStatus,
    JobState,
    KBChunk,
    KnowledgeDocument,
)

logger = logging.getLogger(__name__)

# Chunks embedded and written together; the cancel flag is checked between them.
WRITE_BATCH = 32
HASH_BLOCK = 1 << 20

FILE_CHANGED = "the file changed after it was added; import it again"
NO_CHUNKS = "no text to index was found in the file"


@dataclass
class PipelineContext:
    """What the pipeline needs from the library that owns it."""

    db: Database
    audit: AuditTrail
    events: EventBus
    user_id: str
    vectors: VectorIndex
    writer: StoreWriter
    embedder_for: Callable[[str], Any]
    model_name: Callable[[], str]
    emit: Callable[[JobProgress], None]
    stopping: threading.Event
    cancelled: set[str] = field(default_factory=set)
    retry_base_seconds: float = 2.0


# --- helpers -------------------------------------------------------------------


def convert(path: Path) -> ConvertedDocument:
    """Converts a file with the converter for its format.

    PDFs are read one at a time (the converter holds pdfium's lock) while other
    formats convert in parallel.
    """
    from voiceassist_desktop.knowledge.converters import detect_format, get_converter

    return get_converter(detect_format(path))(path)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def title_from_file_name(name: str) -> str:
    """A readable title from a file name: no extension, underscores as spaces."""
    stem = Path(name).stem
    words = re.sub(r"[_\s]+", " ", stem).strip(" -.")
    return (words[:1].upper() + words[1:]) if words else name


# Checked in order; the first rule that matches the title or file name wins.
_TYPE_RULES: list[tuple[DocumentType, re.Pattern[str]]] = [
    (
        DocumentType.OTHER,
        re.compile(
            r"\b(fda[ _]?label|label|prescribing information|package insert|"
            r"medication guide|drug facts)\b"
        ),
    ),
    (
        DocumentType.GUIDELINE,
        re.compile(
            r"guideline|guidance|recommendation|core components|consensus|"
            r"position statement|\bguide\b|policy"
        ),
    ),
    (DocumentType.TEXTBOOK, re.compile(r"textbook|handbook|\bmanual\b|\bedition\b")),
    (
        DocumentType.JOURNAL,
        re.compile(
            r"journal|\breview\b|\btrial\b|\bstudy\b|\bmmwr\b|article|"
            r"meta[ -]analysis|\bcohort\b|surveillance"
        ),
    ),
]


def guess_document_type(
    title: str | None, file_name: str, doi: str | None = None, isbn: str | None = None
) -> DocumentType:
    """A modest guess of the document's type from its title and file name.

    Drug labels and prescribing information are "other"; guidelines,
    guidance and recommendations "guideline"; textbooks, handbooks and
    manuals (or anything with an ISBN) "textbook"; articles, reviews, trials
    and reports (or anything with a DOI) "journal"; the rest "other".
    """
    text = " ".join(
        part for part in (title, re.sub(r"[_\-.]+", " ", file_name)) if part
    ).lower()
    for kind, pattern in _TYPE_RULES:
        if pattern.search(text):
            return kind
    if isbn:
        return DocumentType.TEXTBOOK
    if doi:
        return DocumentType.JOURNAL
    return DocumentType.OTHER


def vector_payload(document: KnowledgeDocument, chunk: KBChunk) -> dict[str, Any]:
    """The QdrantPayload of a chunk; fields without a value are left out."""
    payload: dict[str, Any] = {
        "document_id": document.id,
        "chunk_id": chunk.id,
        "content": chunk.content,
        "page_number": chunk.page_number,
        "chapter": chunk.chapter,
        "document_title": document.title,
        "document_type": DocumentType(document.document_type).value,
        "specialty": document.specialty,
        "authors": list(document.authors) if document.authors else None,
        "publication_year": document.publication_year,
    }
    return {key: value for key, value in payload.items() if value is not None}


def batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def progress_of(job: IndexingJob, file_name: str) -> JobProgress:
    return JobProgress(
        job_id=job.id,
        document_id=job.document_id,
        file_name=file_name,
        state=JobState(job.state).value,
        current_step=job.current_step,
        processed_chunks=job.processed_chunks or 0,
        total_chunks=job.total_chunks,
        error=job.error_message,
    )


def delete_vectors(
    vectors: VectorIndex, by_model: dict[str, list[str]] | list[tuple[str, str]]
) -> None:
    """Deletes points, grouped by the embedding model (one collection each)."""
    groups: dict[str, list[str]] = {}
    items = by_model.items() if isinstance(by_model, dict) else None
    if items is not None:
        for model, ids in items:
            groups.setdefault(model, []).extend(ids)
    else:
        for chunk_id, model in by_model:
            groups.setdefault(model, []).append(chunk_id)
    for model, ids in groups.items():
        for part in batches(ids, 1000):
            vectors.delete(collection_name(model), list(part))


def chunk_ids_of(session: OrmSession, document_ids: Sequence[str]) -> list[tuple]:
    """(chunk id, embedding model) of every chunk of the given documents."""
    if not document_ids:
        return []
    rows = session.execute(
        select(KBChunk.id, KBChunk.embedding_model).where(
            KBChunk.document_id.in_(list(document_ids))
        )
    ).all()
    return [(row.id, row.embedding_model) for row in rows]


# --- the job --------------------------------------------------------------------


@dataclass
class _JobView:
    """What a worker needs to know of its job, read once."""

    job_id: str
    document_id: str
    doc_key: str
    version: int
    content_hash: str
    source_path: Path
    file_name: str
    type_from_option: bool


class JobPipeline:
    """Runs indexing jobs; every write goes through the context's writer."""

    def __init__(self, context: PipelineContext) -> None:
        self.ctx = context

    # -- entry point, on a worker thread --

    def run(self, job_id: str) -> float | None:
        """Runs one job to its end.

        Returns:
            Seconds until the job should run again (a transient failure with
            retries left), else None.
        """
        view = self.ctx.writer.call(lambda: self._start(job_id))
        if view is None:
            return None
        try:
            self._index(view)
        except JobInterrupted as stop:
            self.ctx.writer.call(lambda why=stop.why: self._interrupted(view, why))
            return None
        except Exception as error:
            logger.warning(
                "indexing %s failed: %s", view.file_name, plain_reason(error)
            )
            return self.ctx.writer.call(lambda e=error: self._failed(view, e))
        return None

    def _index(self, view: _JobView) -> None:
        self._check(view)
        if file_sha256(view.source_path) != view.content_hash:
            # A newer version of the file is queued already: this one is moot.
            if self.ctx.writer.call(lambda: self._superseded_by_newer(view)):
                raise JobInterrupted("superseded")
            raise FileChangedError(FILE_CHANGED)

        # Imported here: the chunker loads its tokenizer on first use.
        from voiceassist_desktop.knowledge.chunker import chunk_document

        converted = convert(view.source_path)
        self._check(view)
        self.ctx.writer.call(lambda: self._step(view, "chunking"))
        chunks = chunk_document(converted)
        if not chunks:
            raise ConversionError(NO_CHUNKS)
        self._check(view)

        model = self.ctx.model_name()
        embedder = self.ctx.embedder_for(model)
        start = self.ctx.writer.call(
            lambda: self._describe(view, converted, chunks, model)
        )
        pending = None
        total = len(chunks)
        for batch in batches(chunks[start:], WRITE_BATCH):
            self._check(view)
            vectors = embedder.embed(
                [passage_text(c.heading, c.content) for c in batch]
            )
            if pending is not None:
                pending.result()
            pending = self.ctx.writer.submit(
                lambda batch=batch, vectors=vectors: self._write_batch(
                    view, batch, vectors, model, total
                )
            )
        if pending is not None:
            pending.result()
        self.ctx.writer.call(lambda: self._complete(view))

    def _check(self, view: _JobView) -> None:
        if self.ctx.stopping.is_set():
            raise JobInterrupted("shutdown")
        if view.job_id in self.ctx.cancelled:
            raise JobInterrupted("cancelled")

    # -- write units, on the writer thread --

    def _start(self, job_id: str) -> _JobView | None:
        with self.ctx.db.session() as session:
            job = session.get(IndexingJob, job_id)
            if job is None or job.state != JobState.PENDING:
                return None
            document = session.get(KnowledgeDocument, job.document_id)
            if document is None:
                return None
            if job.cancel_requested:
                self.ctx.cancelled.add(job_id)
            newer = _newer_completed(session, document)
            if newer is not None:
                job.state = JobState.SUPERSEDED
                job.current_step = "superseded by a newer version"
                document.superseded_by = newer.id
                session.flush()
                progress = progress_of(job, document.file_name)
                view = None
            else:
                job.state = JobState.RUNNING
                job.started_at = job.started_at or utcnow()
                job.next_attempt_at = None
                job.current_step = "reading"
                document.indexing_status = IndexingStatus.PROCESSING
                session.flush()
                progress = progress_of(job, document.file_name)
                options = job.options or {}
                view = _JobView(
                    job_id=job.id,
                    document_id=document.id,
                    doc_key=document.doc_key,
                    version=document.version,
                    content_hash=document.content_hash,
                    source_path=Path(job.source_path or document.file_path),
                    file_name=document.file_name,
                    type_from_option=bool(options.get("doc_type")),
                )
        self.ctx.emit(progress)
        return view

    def _superseded_by_newer(self, view: _JobView) -> bool:
        with self.ctx.db.session() as session:
            newer = session.scalars(
                select(KnowledgeDocument)
                .where(
                    KnowledgeDocument.doc_key == view.doc_key,
                    KnowledgeDocument.version > view.version,
                    KnowledgeDocument.indexing_status != IndexingStatus.FAILED,
                )
                .order_by(KnowledgeDocument.version.desc())
                .limit(1)
            ).first()
            if newer is None:
                return False
            job = session.get(IndexingJob, view.job_id)
            document = session.get(KnowledgeDocument, view.document_id)
            job.state = JobState.SUPERSEDED
            job.current_step = "superseded by a newer version"
            job.superseded_by = session.scalar(
                select(IndexingJob.id)
                .where(IndexingJob.document_id == newer.id)
                .order_by(IndexingJob.created_at.desc())
                .limit(1)
            )
            document.superseded_by = newer.id
            document.indexing_status = IndexingStatus.PENDING
        return True

    def _step(self, view: _JobView, step: str) -> None:
        with self.ctx.db.session() as session:
            job = self._running_job(session, view)
            job.current_step = step
            session.flush()
            progress = progress_of(job, view.file_name)
        self.ctx.emit(progress)

    def _running_job(self, session: OrmSession, view: _JobView) -> IndexingJob:
        job = session.get(IndexingJob, view.job_id)
        if job is None:
            raise JobInterrupted("deleted")
        if job.state == JobState.SUPERSEDED:
            raise JobInterrupted("superseded")
        if job.state != JobState.RUNNING or job.cancel_requested:
            raise JobInterrupted("cancelled")
        return job

    def _describe(
        self,
        view: _JobView,
        converted: ConvertedDocument,
        chunks: list[Any],
        model: str,
    ) -> int:
        """Stores what the file says about itself; returns the resume point."""
        stale: list[tuple[str, str]] = []
        with self.ctx.db.session() as session:
            job = self._running_job(session, view)
            document = session.get(KnowledgeDocument, view.document_id)
            _apply_metadata(document, converted, view)

            saved = session.execute(
                select(KBChunk.chunk_index, KBChunk.content, KBChunk.embedding_model)
                .where(KBChunk.document_id == view.document_id)
                .order_by(KBChunk.chunk_index)
            ).all()
            start = len(saved)
            resumable = start <= len(chunks) and all(
                row.chunk_index == index
                and row.content == chunks[index].content
                and row.embedding_model == model
                for index, row in enumerate(saved)
            )
            if saved and not resumable:
                stale = chunk_ids_of(session, [view.document_id])
                session.execute(
                    delete(KBChunk).where(KBChunk.document_id == view.document_id)
                )
                start = 0
            elif saved:
                logger.info(
                    "resuming %s at chunk %d of %d", view.file_name, start, len(chunks)
                )
            job.total_chunks = len(chunks)
            job.processed_chunks = start
            job.current_step = f"embedding {start}/{len(chunks)}"
            session.flush()
            progress = progress_of(job, view.file_name)
        delete_vectors(self.ctx.vectors, stale)
        self.ctx.emit(progress)
        return start

    def _write_batch(
        self,
        view: _JobView,
        batch: Sequence[Any],
        vectors: np.ndarray,
        model: str,
        total: int,
    ) -> None:
        collection = collection_name(model)
        written: list[str] = []
        try:
            with self.ctx.db.session() as session:
                job = self._running_job(session, view)
                document = session.get(KnowledgeDocument, view.document_id)
                rows = []
                for chunk in batch:
                    chunk_id = new_id()
                    rows.append(
                        KBChunk(
                            id=chunk_id,
                            document_id=view.document_id,
                            chunk_index=chunk.chunk_index,
                            content=chunk.content,
                            page_number=chunk.page_number,
                            page_label=chunk.page_label,
                            chapter=_clip(chunk.chapter, 1000),
                            heading=_clip(chunk.heading, 1000),
                            token_count=chunk.token_count,
                            qdrant_id=chunk_id,
                            embedding_model=model,
                            superseded=False,
                            char_start=chunk.char_start,
                            char_end=chunk.char_end,
                        )
                    )
                points = [
                    VectorPoint(row.id, vector, vector_payload(document, row))
                    for row, vector in zip(rows, vectors, strict=True)
                ]
                self.ctx.vectors.ensure_collection(collection, vectors.shape[1])
                # Vectors first: a crash before the commit leaves only vectors
                # without chunks, which reconciliation removes.
                self.ctx.vectors.upsert(collection, points)
                written = [row.id for row in rows]
                session.add_all(rows)
                job.processed_chunks = (job.processed_chunks or 0) + len(rows)
                job.current_step = f"embedding {job.processed_chunks}/{total}"
                session.flush()
                progress = progress_of(job, view.file_name)
        except BaseException:
            if written:
                self.ctx.vectors.delete(collection, written)
            raise
        self.ctx.emit(progress)

    def _complete(self, view: _JobView) -> None:
        obsolete: list[tuple[str, str]] = []
        changes: list[tuple[str, str]] = []
        with self.ctx.db.session() as session:
            job = self._running_job(session, view)
            document = session.get(KnowledgeDocument, view.document_id)
            count = session.scalar(
                select(func.count())
                .select_from(KBChunk)
                .where(KBChunk.document_id == document.id)
            )
            document.chunk_count = count or 0
            document.indexing_status = IndexingStatus.COMPLETED
            document.is_indexed = True
            job.state = JobState.COMPLETED
            job.completed_at = utcnow()
            job.current_step = "done"
            job.processed_chunks = count or 0
            job.error_message = None

            newer = _newer_completed(session, document)
            if newer is not None:
                # A later version finished first: this one is history at once.
                job.state = JobState.SUPERSEDED
                job.superseded_by = None
                document.superseded_by = newer.id
                obsolete = _supersede_chunks(session, [document.id])
                changes.append((document.id, "superseded"))
            else:
                older = _older_versions(session, document)
                obsolete = _supersede_chunks(session, [d.id for d in older])
                for old in older:
                    old.superseded_by = document.id
                    changes.append((old.id, "superseded"))
                _supersede_jobs(session, [d.id for d in older], job.id, self.ctx)
                self.ctx.audit.record(
                    session,
                    "document.import",
                    "document",
                    resource_id=document.id,
                    user_id=self.ctx.user_id,
                    details={
                        "file_name": document.file_name,
                        "format": FileFormat(document.file_format).value,
                        "version": document.version,
                        "chunks": document.chunk_count,
                        "pages": document.page_count,
                    },
                )
                if older:
                    self.ctx.audit.record(
                        session,
                        "document.version",
                        "document",
                        resource_id=document.id,
                        user_id=self.ctx.user_id,
                        details={
                            "version": document.version,
                            "supersedes": [old.id for old in older],
                        },
                    )
                changes.append((document.id, "indexed"))
            session.flush()
            progress = progress_of(job, view.file_name)

        # The old version's vectors are never searched again; its chunk rows
        # stay as history.
        delete_vectors(self.ctx.vectors, obsolete)
        self.ctx.emit(progress)
        for document_id, change in changes:
            self.ctx.events.publish(
                "document.changed", document_id=document_id, change=change
            )

    def _interrupted(self, view: _JobView, why: str) -> None:
        leftovers: list[tuple[str, str]] = []
        progress = None
        with self.ctx.db.session() as session:
            job = session.get(IndexingJob, view.job_id)
            document = session.get(KnowledgeDocument, view.document_id)
            if job is None or document is None:
                return
            if why == "shutdown" and job.state == JobState.RUNNING:
                # Picked up again at the next start, from the saved chunks.
                job.state = JobState.PENDING
                job.current_step = "interrupted; resumes at the next start"
                document.indexing_status = IndexingStatus.PENDING
            elif why == "cancelled":
                leftovers = _drop_chunks(session, document.id)
                job.state = JobState.FAILED
                job.failed_at = utcnow()
                job.current_step = "cancelled"
                job.error_message = CANCELLED_REASON
                job.error_details = {"type": "Cancelled", "retryable": True}
                document.indexing_status = IndexingStatus.FAILED
                document.chunk_count = 0
            elif why == "superseded":
                leftovers = _drop_chunks(session, document.id)
            session.flush()
            progress = progress_of(job, view.file_name)
        self.ctx.cancelled.discard(view.job_id)
        delete_vectors(self.ctx.vectors, leftovers)
        if progress is not None:
            self.ctx.emit(progress)
        if why == "cancelled":
            self.ctx.events.publish(
                "document.changed", document_id=view.document_id, change="failed"
            )

    def _failed(self, view: _JobView, error: Exception) -> float | None:
        leftovers: list[tuple[str, str]] = []
        delay = None
        with self.ctx.db.session() as session:
            job = session.get(IndexingJob, view.job_id)
            document = session.get(KnowledgeDocument, view.document_id)
            if job is None or document is None:
                return None
            reason = plain_reason(error)
            job.error_message = reason
            job.error_details = error_details(error)
            if not is_final(error) and job.retry_count < job.max_retries:
                job.retry_count += 1
                delay = backoff_seconds(job.retry_count, self.ctx.retry_base_seconds)
                job.state = JobState.PENDING
                job.next_attempt_at = utcnow() + timedelta(seconds=delay)
                job.current_step = (
                    f"waiting to retry ({job.retry_count}/{job.max_retries})"
                )
                document.indexing_status = IndexingStatus.PENDING
            else:
                leftovers = _drop_chunks(session, document.id)
                job.state = JobState.FAILED
                job.failed_at = utcnow()
                job.current_step = "failed"
                document.indexing_status = IndexingStatus.FAILED
                document.chunk_count = 0
                self.ctx.audit.record(
                    session,
                    "document.import",
                    "document",
                    resource_id=document.id,
                    status=AuditStatus.FAILURE,
                    user_id=self.ctx.user_id,
                    details={"file_name": document.file_name, "reason": reason},
                )
            session.flush()
            progress = progress_of(job, view.file_name)
        delete_vectors(self.ctx.vectors, leftovers)
        self.ctx.emit(progress)
        if delay is None:
            self.ctx.events.publish(
                "document.changed", document_id=view.document_id, change="failed"
            )
        return delay


# --- queries and updates shared with the library --------------------------------


def _clip(value: str | None, limit: int) -> str | None:
    return value if value is None or len(value) <= limit else value[: limit - 1] + "…"


def _apply_metadata(
    document: KnowledgeDocument, converted: ConvertedDocument, view: _JobView
) -> None:
    meta = converted.metadata
    if meta.title:
        document.title = _clip(meta.title, 1000)
    if meta.authors:
        document.authors = list(meta.authors)
    document.publication_year = meta.publication_year or document.publication_year
    document.publisher = _clip(meta.publisher, 500) or document.publisher
    document.doi = _clip(meta.doi, 256) or document.doi
    document.isbn = _clip(meta.isbn, 32) or document.isbn
    document.page_count = len(converted.pages) if converted.paginated else None
    if converted.format in FileFormat._value2member_map_:
        document.file_format = FileFormat(converted.format)
    if not view.type_from_option:
        document.document_type = guess_document_type(
            meta.title, document.file_name, meta.doi, meta.isbn
        )
    quality = converted.quality
    extra = dict(document.meta or {})
    extra.update(
        {
            "warnings": list(converted.warnings),
            "ocr_pages": list(quality.ocr_pages),
            "garbled_pages": list(quality.garbled_pages),
            "empty_pages": list(quality.empty_pages),
            "skipped_pages": list(quality.skipped_pages),
            "garbled_text_detected": quality.garbled_text_detected,
        }
    )
    if meta.url:
        extra["source_url"] = meta.url
    document.meta = {key: value for key, value in extra.items() if value is not None}


def _newer_completed(
    session: OrmSession, document: KnowledgeDocument
) -> KnowledgeDocument | None:
    return session.scalars(
        select(KnowledgeDocument)
        .where(
            KnowledgeDocument.doc_key == document.doc_key,
            KnowledgeDocument.version > document.version,
            KnowledgeDocument.indexing_status == IndexingStatus.COMPLETED,
            KnowledgeDocument.superseded_by.is_(None),
        )
        .order_by(KnowledgeDocument.version.desc())
        .limit(1)
    ).first()


def _older_versions(
    session: OrmSession, document: KnowledgeDocument
) -> list[KnowledgeDocument]:
    return list(
        session.scalars(
            select(KnowledgeDocument).where(
                KnowledgeDocument.doc_key == document.doc_key,
                KnowledgeDocument.version < document.version,
                KnowledgeDocument.superseded_by.is_(None),
            )
        )
    )


def _supersede_chunks(
    session: OrmSession, document_ids: Sequence[str]
) -> list[tuple[str, str]]:
    """Marks the documents' chunks superseded; returns them for vector removal."""
    if not document_ids:
        return []
    ids = chunk_ids_of(session, document_ids)
    session.execute(
        update(KBChunk)
        .where(KBChunk.document_id.in_(list(document_ids)))
        .values(superseded=True)
    )
    return ids


def _supersede_jobs(
    session: OrmSession, document_ids: Sequence[str], by_job: str, ctx: PipelineContext
) -> None:
    """Older versions' unfinished jobs are superseded by the finished one."""
    if not document_ids:
        return
    jobs = session.scalars(
        select(IndexingJob).where(
            IndexingJob.document_id.in_(list(document_ids)),
            IndexingJob.state.in_([JobState.PENDING, JobState.RUNNING]),
        )
    )
    for job in jobs:
        job.state = JobState.SUPERSEDED
        job.superseded_by = by_job
        job.current_step = "superseded by a newer version"


def _drop_chunks(session: OrmSession, document_id: str) -> list[tuple[str, str]]:
    ids = chunk_ids_of(session, [document_id])
    session.execute(delete(KBChunk).where(KBChunk.document_id == document_id))
    return ids
