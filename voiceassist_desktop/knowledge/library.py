"""The library service: import files, follow their jobs, keep the stores in step.

`import_paths` registers files at once (a document row and a job each) and
returns an `ImportBatch`; jobs run on a pool of worker threads sized to the
machine, and every write goes through one writer thread. Progress reaches
callers through a Qt-free callback and the event bus (`job.progress`,
`document.changed`, `library.reembed`, `settings.changed`).

Decisions:
- A file's `doc_key` is its normalised absolute path unless the caller gives
  one. The same bytes again are a no-op ("unchanged"); new bytes under the
  same key are version N+1, current only once its job completes.
- The same bytes under another key are a duplicate: reported, audited, and
  given no row of their own, so nothing is embedded twice.
- A file whose type is not supported (a legacy .doc, an .xml) gets no row and
  no job; the report lists it as failed with the reason. A supported file that
  cannot be read gets its row (status failed) and a failed job.
- Deleting a document deletes every version of its `doc_key`: rows, chunks
  (the lexical index follows) and vectors. Bringing back an older version
  when the newest is deleted would surprise more than it helps.
- Re-importing a file that failed for good (a reason that would recur) reports
  the earlier failure; one that failed for a passing reason is queued again.
"""

from __future__ import annotations

import heapq
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update

from voiceassist_desktop.audit.trail import AuditTrail
from voiceassist_desktop.core.errors import NotFound, ValidationFailed
from voiceassist_desktop.core.events import EventBus
from voiceassist_desktop.core.ids import utcnow
from voiceassist_desktop.core.paths import AppPaths
from voiceassist_desktop.core.settings import SystemSettingsModel
from voiceassist_desktop.index.embedder import MODELS, collection_name, passage_text
from voiceassist_desktop.index.vector import VectorIndex, VectorPoint
from voiceassist_desktop.knowledge.jobs import (
    CANCELLED_REASON,
    FileOutcome,
    ImportBatch,
    ImportReport,
    JobProgress,
    Outcome,
    ProgressCallback,
    Waiter,
)
from voiceassist_desktop.knowledge.pipeline import (
    JobPipeline,
    PipelineContext,
    batches,
    chunk_ids_of,
    delete_vectors,
    file_sha256,
    progress_of,
    vector_payload,
)
from voiceassist_desktop.knowledge.registration import (
    PreparedFile,
    expand_paths,
    normalise_key,
    options_of,
    register_file,
    requeue_job,
)
from voiceassist_desktop.knowledge.writer import StoreWriter, WriterClosed
from voiceassist_desktop.storage.database import Database
from voiceassist_desktop.storage.models import (
    DocumentType,
    IndexingJob,
    IndexingStatus,
    JobState,
    KBChunk,
    KnowledgeDocument,
)
from voiceassist_desktop.storage.settings_store import SystemSettingsStore

logger = logging.getLogger(__name__)

TERMINAL = (JobState.COMPLETED, JobState.FAILED, JobState.SUPERSEDED)
ACTIVE = (JobState.PENDING, JobState.RUNNING)


def default_workers() -> int:
    """Worker threads for parsing and chunking: the cores, between 2 and 4."""
    return max(2, min(os.cpu_count() or 2, 4))


@dataclass
class ReconcileReport:
    """What a reconciliation repaired."""

    jobs_resumed: int = 0
    orphan_vectors_deleted: int = 0
    vectors_restored: int = 0


@dataclass
class ReembedTask:
    """A model switch running in the background."""

    model: str
    thread: threading.Thread | None = None
    processed: int = 0
    total: int = 0
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def wait(self, timeout: float | None = None) -> None:
        """Waits for the switch; raises its error if it failed."""
        if not self.done.wait(timeout):
            raise TimeoutError("the model switch has not finished yet")
        if self.error is not None:
            raise self.error


class Library:
    """The user's document library: import, list, delete, re-embed.

    Args:
        db: The database.
        audit: The audit trail.
        events: The change-event bus.
        user_id: The local user owning the documents.
        paths: The app's folders.
        embedder_for: Returns the embedder of a model name.
        vectors: The vector index.
        system_settings: Returns the current system settings.
        workers: Worker threads; default from the settings, else the cores.
        retry_base_seconds: First back-off delay of a transient failure.
        shutdown_timeout: Seconds `close` waits for a worker mid-step.
    """

    def __init__(
        self,
        db: Database,
        audit: AuditTrail,
        events: EventBus,
        user_id: str,
        paths: AppPaths,
        embedder_for: Callable[[str], Any],
        vectors: VectorIndex,
        system_settings: Callable[[], SystemSettingsModel],
        *,
        workers: int | None = None,
        retry_base_seconds: float = 2.0,
        shutdown_timeout: float = 60.0,
    ) -> None:
        self.db = db
        self.audit = audit
        self.events = events
        self.user_id = user_id
        self.paths = paths
        self.embedder_for = embedder_for
        self.vectors = vectors
        self.system_settings = system_settings
        self._settings_store = SystemSettingsStore(paths.system_settings_backup)
        self._workers_wanted = workers
        self._retry_base = retry_base_seconds
        self._shutdown_timeout = shutdown_timeout

        self._stopping = threading.Event()
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, str]] = []
        self._sequence = 0
        self._queued: set[str] = set()
        self._running: set[str] = set()
        self._paused = False
        self._threads: list[threading.Thread] = []
        self._callbacks: dict[str, list[ProgressCallback]] = {}
        self._listeners: list[ProgressCallback] = []
        self._waiter = Waiter()
        self._switch: ReembedTask | None = None
        self._writer: StoreWriter | None = None
        self._pipeline: JobPipeline | None = None
        self._started = False
        self.last_reconcile: ReconcileReport | None = None

    # --- lifecycle ------------------------------------------------------------

    def start(self) -> Library:
        """Reconciles the stores, then starts the writer and the workers."""
        if self._started:
            return self
        self._writer = StoreWriter()
        self._context = PipelineContext(
            db=self.db,
            audit=self.audit,
            events=self.events,
            user_id=self.user_id,
            vectors=self.vectors,
            writer=self._writer,
            embedder_for=self.embedder_for,
            model_name=self.model_name,
            emit=self._emit,
            stopping=self._stopping,
            retry_base_seconds=self._retry_base,
        )
        self._pipeline = JobPipeline(self._context)
        self._started = True
        self.last_reconcile = self.reconcile()

        count = self._workers_wanted or (
            self.system_settings().resource_limits.worker_threads or default_workers()
        )
        for number in range(count):
            # Daemon threads: a worker deep inside a long conversion must not
            # keep the app from exiting; its job resumes at the next start.
            thread = threading.Thread(
                target=self._work, name=f"library-worker-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        with self.db.session() as session:
            pending = session.scalars(
                select(IndexingJob)
                .where(IndexingJob.state == JobState.PENDING)
                .order_by(IndexingJob.created_at)
            ).all()
        now = utcnow()
        for job in pending:
            delay = 0.0
            if job.next_attempt_at is not None:
                delay = max(0.0, (job.next_attempt_at - now).total_seconds())
            self._schedule(job.id, delay)
        logger.info("library started with %d workers", count)
        return self

    def close(self) -> None:
        """Stops the workers between steps, then the writer."""
        if not self._started:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        deadline = time.monotonic() + self._shutdown_timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        busy = [thread.name for thread in self._threads if thread.is_alive()]
        if self._switch is not None and self._switch.thread is not None:
            self._switch.thread.join(max(0.0, deadline - time.monotonic()))
        if busy:
            logger.warning("leaving %s mid-step; their jobs resume later", busy)
            with self._cond:
                abandoned = list(self._running)
            self._writer.call(lambda: self._requeue(abandoned))
        self._writer.close()
        self._threads.clear()
        self._started = False
        self._waiter.notify()

    def __enter__(self) -> Library:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def model_name(self) -> str:
        """The embedding model in use (the one searches use)."""
        return self.system_settings().ai_configuration.embedding_model

    # --- progress -------------------------------------------------------------

    def add_listener(self, callback: ProgressCallback) -> Callable[[], None]:
        """Calls `callback` for every job's progress; returns a remover."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    def _emit(self, progress: JobProgress) -> None:
        callbacks = [*self._callbacks.get(progress.job_id, ()), *self._listeners]
        for callback in callbacks:
            try:
                callback(progress)
            except Exception:
                logger.exception("a progress callback failed")
        self.events.publish("job.progress", **progress.as_dict())
        if progress.finished:
            self._callbacks.pop(progress.job_id, None)
        self._waiter.notify()

    # --- import ---------------------------------------------------------------

    def import_paths(
        self,
        paths: Iterable[str | Path],
        *,
        doc_type: str | None = None,
        specialty: str | None = None,
        doc_key: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> ImportBatch:
        """Registers files and folders (recursively) and queues their jobs.

        Args:
            paths: Files and folders.
            doc_type: textbook, journal, guideline or other; guessed when None.
            specialty: The specialty to file the documents under.
            doc_key: The key for a single file instead of its path.
            progress: Called with each job's progress (on background threads).

        Returns:
            The batch; `wait()` gives the report once every job has finished.

        Raises:
            ValidationFailed: An unknown document type, or `doc_key` with
                more than one file.
        """
        self._require_started()
        if doc_type is not None and doc_type not in DocumentType._value2member_map_:
            raise ValidationFailed(
                "doc_type", f"must be one of {', '.join(t.value for t in DocumentType)}"
            )
        found, refused = expand_paths(paths)
        if doc_key is not None and len(found) + len(refused) != 1:
            raise ValidationFailed("doc_key", "a key can name a single file only")

        outcomes: dict[int, FileOutcome] = dict(refused)
        prepared: list[PreparedFile] = []
        for index, path, file_format in found:
            # Hashing reads the whole file: done here, off the writer thread.
            try:
                digest = file_sha256(path)
                size = path.stat().st_size
            except OSError as exc:
                outcomes[index] = FileOutcome(
                    path, Outcome.FAILED, reason=f"the file cannot be read ({exc})"
                )
                continue
            key = doc_key if doc_key is not None else normalise_key(path)
            prepared.append(PreparedFile(index, path, key, digest, size, file_format))

        options = {"doc_type": doc_type, "specialty": specialty}
        registered = self._writer.call(
            lambda: self._register(prepared, options, progress)
        )
        for item in prepared:
            outcomes[item.index] = registered[item.index]

        ordered = [outcomes[index] for index in sorted(outcomes)]
        for item in ordered:
            if item.job_id and item.outcome in (Outcome.IMPORTED, Outcome.NEW_VERSION):
                self._schedule(item.job_id, 0.0)
        logger.info(
            "import of %d files: %s",
            len(ordered),
            ImportReport(ordered).counts(),
        )
        return ImportBatch(self, ordered)

    def _register(
        self,
        prepared: Sequence[PreparedFile],
        options: dict[str, Any],
        callback: ProgressCallback | None,
    ) -> dict[int, FileOutcome]:
        results: dict[int, FileOutcome] = {}
        for item in prepared:
            with self.db.session() as session:
                outcome, progress = register_file(
                    session, self.audit, self.user_id, item, options
                )
            results[item.index] = outcome
            if progress is not None:
                if callback is not None:
                    self._callbacks.setdefault(progress.job_id, []).append(callback)
                self._emit(progress)
            if outcome.outcome in (Outcome.IMPORTED, Outcome.NEW_VERSION):
                self.events.publish(
                    "document.changed", document_id=outcome.document_id, change="added"
                )
        return results

    # --- waiting --------------------------------------------------------------

    def _job_states(self, job_ids: Sequence[str]) -> dict[str, JobState]:
        if not job_ids:
            return {}
        states: dict[str, JobState] = {}
        with self.db.session() as session:
            for part in batches(list(job_ids), 500):
                rows = session.execute(
                    select(IndexingJob.id, IndexingJob.state).where(
                        IndexingJob.id.in_(list(part))
                    )
                ).all()
                states.update({row.id: JobState(row.state) for row in rows})
        return states

    def jobs_finished(self, job_ids: Sequence[str]) -> bool:
        """True when every job is completed, failed, superseded or deleted."""
        states = self._job_states(job_ids)
        return all(state in TERMINAL for state in states.values())

    def wait_for_jobs(self, job_ids: Sequence[str], timeout: float | None) -> bool:
        """Waits until the jobs have finished; False on timeout."""
        return self._waiter.wait_until(lambda: self.jobs_finished(job_ids), timeout)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Waits until no job is pending or running; False on timeout."""

        def idle() -> bool:
            with self.db.session() as session:
                active = session.scalar(
                    select(func.count())
                    .select_from(IndexingJob)
                    .where(IndexingJob.state.in_(ACTIVE))
                )
            return not active

        return self._waiter.wait_until(idle, timeout)

    def resolve_outcomes(self, outcomes: Sequence[FileOutcome]) -> ImportReport:
        """The outcomes with each job's final word (a failed job is a failure)."""
        job_ids = [
            item.job_id
            for item in outcomes
            if item.job_id and item.outcome in (Outcome.IMPORTED, Outcome.NEW_VERSION)
        ]
        states = self._job_states(job_ids)
        reasons: dict[str, str | None] = {}
        if job_ids:
            with self.db.session() as session:
                for part in batches(job_ids, 500):
                    rows = session.execute(
                        select(IndexingJob.id, IndexingJob.error_message).where(
                            IndexingJob.id.in_(list(part))
                        )
                    ).all()
                    reasons.update({row.id: row.error_message for row in rows})
        resolved = []
        for item in outcomes:
            state = states.get(item.job_id) if item.job_id else None
            if item.outcome in (Outcome.IMPORTED, Outcome.NEW_VERSION):
                if state == JobState.FAILED:
                    item = FileOutcome(
                        item.path,
                        Outcome.FAILED,
                        item.document_id,
                        item.job_id,
                        reasons.get(item.job_id) or "the import failed",
                    )
                elif state == JobState.SUPERSEDED:
                    item = FileOutcome(
                        item.path,
                        Outcome.SUPERSEDED,
                        item.document_id,
                        item.job_id,
                        "a newer version of the file was imported",
                    )
                elif item.job_id and state is None:
                    item = FileOutcome(
                        item.path,
                        Outcome.FAILED,
                        item.document_id,
                        item.job_id,
                        "the document was deleted",
                    )
            resolved.append(item)
        return ImportReport(resolved)

    # --- queries --------------------------------------------------------------

    def documents(self, include_superseded: bool = False) -> list[KnowledgeDocument]:
        """Document rows, oldest first; by default the newest version of each."""
        statement = select(KnowledgeDocument).order_by(
            KnowledgeDocument.created_at, KnowledgeDocument.version
        )
        if not include_superseded:
            statement = statement.where(KnowledgeDocument.superseded_by.is_(None))
        with self.db.session() as session:
            return list(session.scalars(statement))

    def document(self, document_id: str) -> KnowledgeDocument:
        """One document row; raises `NotFound`."""
        with self.db.session() as session:
            document = session.get(KnowledgeDocument, document_id)
        if document is None:
            raise NotFound(f"no document {document_id}")
        return document

    def jobs(self, active_only: bool = False) -> list[IndexingJob]:
        """Job rows, newest first; only pending and running ones if asked."""
        statement = select(IndexingJob).order_by(IndexingJob.created_at.desc())
        if active_only:
            statement = statement.where(IndexingJob.state.in_(ACTIVE))
        with self.db.session() as session:
            return list(session.scalars(statement))

    def job(self, job_id: str) -> IndexingJob:
        """One job row; raises `NotFound`."""
        with self.db.session() as session:
            job = session.get(IndexingJob, job_id)
        if job is None:
            raise NotFound(f"no job {job_id}")
        return job

    # --- job control ----------------------------------------------------------

    def cancel(self, job_id: str) -> bool:
        """Cancels a pending or running job; False when it had already ended.

        A running job stops at its next batch; its saved chunks are removed.
        """
        self._require_started()

        def unit() -> tuple[bool, JobProgress | None]:
            with self.db.session() as session:
                job = session.get(IndexingJob, job_id)
                if job is None or job.state not in ACTIVE:
                    return False, None
                document = session.get(KnowledgeDocument, job.document_id)
                if job.state == JobState.RUNNING:
                    job.cancel_requested = True
                    self._context.cancelled.add(job_id)
                    return True, None
                job.state = JobState.FAILED
                job.failed_at = utcnow()
                job.current_step = "cancelled"
                job.error_message = CANCELLED_REASON
                job.error_details = {"type": "Cancelled", "retryable": True}
                document.indexing_status = IndexingStatus.FAILED
                session.flush()
                return True, progress_of(job, document.file_name)

        accepted, progress = self._writer.call(unit)
        if progress is not None:
            self._emit(progress)
        return accepted

    def retry(self, job_id: str) -> bool:
        """Queues a failed job again from the start; False if it had not failed."""
        self._require_started()

        def unit() -> JobProgress | None:
            with self.db.session() as session:
                job = session.get(IndexingJob, job_id)
                if job is None or job.state != JobState.FAILED:
                    return None
                document = session.get(KnowledgeDocument, job.document_id)
                requeue_job(job, document)
                session.flush()
                return progress_of(job, document.file_name)

        progress = self._writer.call(unit)
        if progress is None:
            return False
        self._context.cancelled.discard(job_id)
        self._emit(progress)
        self._schedule(job_id, 0.0)
        return True

    def delete_document(self, document_id: str) -> int:
        """Deletes a document with every version of it; returns the versions.

        Its chunks (and with them the lexical index rows), its vectors in
        every model's collection and its jobs go too.

        Raises:
            NotFound: No such document.
        """
        self._require_started()

        def unit() -> tuple[list[str], list[tuple[str, str]]]:
            with self.db.session() as session:
                document = session.get(KnowledgeDocument, document_id)
                if document is None:
                    raise NotFound(f"no document {document_id}")
                versions = list(
                    session.scalars(
                        select(KnowledgeDocument).where(
                            KnowledgeDocument.doc_key == document.doc_key
                        )
                    )
                )
                ids = [version.id for version in versions]
                for job_id in session.scalars(
                    select(IndexingJob.id).where(IndexingJob.document_id.in_(ids))
                ):
                    self._context.cancelled.add(job_id)
                chunks = chunk_ids_of(session, ids)
                session.execute(delete(KBChunk).where(KBChunk.document_id.in_(ids)))
                session.execute(
                    delete(IndexingJob).where(IndexingJob.document_id.in_(ids))
                )
                session.execute(
                    update(KnowledgeDocument)
                    .where(KnowledgeDocument.id.in_(ids))
                    .values(superseded_by=None)
                )
                session.execute(
                    delete(KnowledgeDocument).where(KnowledgeDocument.id.in_(ids))
                )
                self.audit.record(
                    session,
                    "document.delete",
                    "document",
                    resource_id=document_id,
                    user_id=self.user_id,
                    details={
                        "file_name": document.file_name,
                        "versions": len(ids),
                        "chunks": len(chunks),
                    },
                )
            # Every model's collection may hold them (after a model switch).
            for model in MODELS:
                for part in batches([chunk_id for chunk_id, _ in chunks], 1000):
                    self.vectors.delete(collection_name(model), list(part))
            return ids, chunks

        ids, _ = self._writer.call(unit)
        self._waiter.notify()
        for version_id in ids:
            self.events.publish(
                "document.changed", document_id=version_id, change="deleted"
            )
        logger.info("deleted document %s (%d versions)", document_id, len(ids))
        return len(ids)

    def reindex(self, document_id: str) -> str:
        """Reads a document's file again as a new version; returns the job id.

        The current version stays searchable until the new one completes.

        Raises:
            NotFound: No such document, or its file is gone.
        """
        self._require_started()
        document = self.document(document_id)
        path = Path(document.file_path)
        if not path.is_file():
            raise NotFound(f"the file {document.file_name} is no longer there")
        digest = file_sha256(path)

        def unit() -> tuple[str, JobProgress]:
            with self.db.session() as session:
                latest = session.scalars(
                    select(KnowledgeDocument)
                    .where(KnowledgeDocument.doc_key == document.doc_key)
                    .order_by(KnowledgeDocument.version.desc())
                    .limit(1)
                ).one()
                for job in session.scalars(
                    select(IndexingJob).where(
                        IndexingJob.doc_key == document.doc_key,
                        IndexingJob.state.in_(ACTIVE),
                    )
                ):
                    # One version is being read already: reuse its job.
                    return job.id, progress_of(job, latest.file_name)
                fresh = KnowledgeDocument(
                    user_id=self.user_id,
                    doc_key=document.doc_key,
                    content_hash=digest,
                    version=latest.version + 1,
                    title=document.title,
                    document_type=document.document_type,
                    specialty=document.specialty,
                    file_path=document.file_path,
                    file_name=document.file_name,
                    file_size=path.stat().st_size,
                    file_format=document.file_format,
                    is_indexed=False,
                    indexing_status=IndexingStatus.PENDING,
                )
                session.add(fresh)
                session.flush()
                options = options_of(session, document.id)
                job = IndexingJob(
                    document_id=fresh.id,
                    doc_key=document.doc_key,
                    user_id=self.user_id,
                    state=JobState.PENDING,
                    current_step="queued",
                    processed_chunks=0,
                    retry_count=0,
                    max_retries=3,
                    source_path=document.file_path,
                    options=options,
                )
                session.add(job)
                session.flush()
                return job.id, progress_of(job, fresh.file_name)

        job_id, progress = self._writer.call(unit)
        self._emit(progress)
        self._schedule(job_id, 0.0)
        return job_id

    # --- the pool -------------------------------------------------------------

    def _require_started(self) -> None:
        if not self._started:
            raise RuntimeError("the library is not started")

    def _schedule(self, job_id: str, delay: float) -> None:
        with self._cond:
            if job_id in self._queued or job_id in self._running:
                return
            self._queued.add(job_id)
            self._sequence += 1
            heapq.heappush(
                self._heap, (time.monotonic() + delay, self._sequence, job_id)
            )
            self._cond.notify()

    def _next_job(self) -> str | None:
        with self._cond:
            while not self._stopping.is_set():
                now = time.monotonic()
                if self._heap and not self._paused and self._heap[0][0] <= now:
                    _, _, job_id = heapq.heappop(self._heap)
                    self._queued.discard(job_id)
                    self._running.add(job_id)
                    return job_id
                wait = 1.0
                if self._heap and not self._paused:
                    wait = min(wait, max(0.01, self._heap[0][0] - now))
                self._cond.wait(wait)
            return None

    def _work(self) -> None:
        while True:
            job_id = self._next_job()
            if job_id is None:
                return
            delay = None
            try:
                delay = self._pipeline.run(job_id)
            except WriterClosed:
                return
            except Exception:
                # A failure of the pipeline itself, not of the file: logged,
                # and the job is picked up again at the next start.
                logger.exception("job %s stopped unexpectedly", job_id)
            finally:
                with self._cond:
                    self._running.discard(job_id)
                    self._cond.notify_all()
                self._waiter.notify()
            if delay is not None and not self._stopping.is_set():
                self._schedule(job_id, delay)

    def _requeue(self, job_ids: Sequence[str]) -> None:
        with self.db.session() as session:
            for job_id in job_ids:
                job = session.get(IndexingJob, job_id)
                if job is not None and job.state == JobState.RUNNING:
                    job.state = JobState.PENDING
                    job.current_step = "interrupted; resumes at the next start"

    # --- consistency ----------------------------------------------------------

    def reconcile(self) -> ReconcileReport:
        """Brings the two stores back in step after a crash or a kill.

        Running jobs (their process died) become pending and resume; vectors
        without a current chunk row are deleted; chunk rows without their
        vector are embedded again.
        """
        self._require_started()
        report = ReconcileReport()
        model = self.model_name()
        collection = collection_name(model)

        def reset_jobs() -> int:
            with self.db.session() as session:
                running = list(
                    session.scalars(
                        select(IndexingJob).where(IndexingJob.state == JobState.RUNNING)
                    )
                )
                for job in running:
                    job.state = JobState.PENDING
                    job.current_step = "interrupted; resuming"
                    document = session.get(KnowledgeDocument, job.document_id)
                    if document is not None:
                        document.indexing_status = IndexingStatus.PENDING
                return len(running)

        report.jobs_resumed = self._writer.call(reset_jobs)

        # Vectors whose chunk row is gone or superseded are never wanted.
        point_ids = list(self.vectors.ids(collection))
        live: set[str] = set()
        with self.db.session() as session:
            for part in batches(point_ids, 500):
                live.update(
                    session.scalars(
                        select(KBChunk.id).where(
                            KBChunk.id.in_(list(part)), KBChunk.superseded.is_(False)
                        )
                    )
                )
        orphans = [point for point in point_ids if point not in live]
        if orphans:
            self._writer.call(lambda: delete_vectors(self.vectors, {model: orphans}))
        report.orphan_vectors_deleted = len(orphans)

        # Chunk rows of this model without a vector get one again.
        with self.db.session() as session:
            missing = [
                chunk_id
                for chunk_id in session.scalars(
                    select(KBChunk.id).where(
                        KBChunk.superseded.is_(False),
                        KBChunk.embedding_model == model,
                    )
                )
                if chunk_id not in live
            ]
        if missing:
            report.vectors_restored = self._embed_chunks(missing, model)
        if report.jobs_resumed or orphans or missing:
            logger.warning(
                "reconciled the library: %d jobs resumed, %d stray vectors "
                "deleted, %d vectors restored",
                report.jobs_resumed,
                report.orphan_vectors_deleted,
                report.vectors_restored,
            )
        return report

    def _embed_chunks(
        self,
        chunk_ids: Sequence[str],
        model: str,
        on_batch: Callable[[int], None] | None = None,
    ) -> int:
        """Embeds the given chunk rows with `model` into its collection."""
        embedder = self.embedder_for(model)
        collection = collection_name(model)
        done = 0
        for part in batches(list(chunk_ids), 64):
            with self.db.session() as session:
                rows = list(
                    session.scalars(select(KBChunk).where(KBChunk.id.in_(list(part))))
                )
                payloads = [vector_payload(row.document, row) for row in rows]
            if not rows:
                continue
            vectors = embedder.embed(
                [passage_text(row.heading, row.content) for row in rows]
            )
            points = [
                VectorPoint(row.id, vector, payload)
                for row, vector, payload in zip(rows, vectors, payloads, strict=True)
            ]

            def write(points=points, dimension=vectors.shape[1]) -> None:
                self.vectors.ensure_collection(collection, dimension)
                self.vectors.upsert(collection, points)

            self._writer.call(write)
            done += len(rows)
            if on_batch is not None:
                on_batch(done)
        return done

    def check_consistency(self) -> dict[str, int]:
        """Counts what would be inconsistent between the stores (all 0 is good).

        Returns:
            `missing_vectors`: current chunks without a vector;
            `stray_vectors`: vectors without a current chunk;
            `missing_lexical`: current chunks absent from the full-text index
            (SQLite only; PostgreSQL's column cannot be absent).
        """
        model = self.model_name()
        point_ids = set(self.vectors.ids(collection_name(model)))
        with self.db.session() as session:
            current = set(
                session.scalars(
                    select(KBChunk.id).where(
                        KBChunk.superseded.is_(False),
                        KBChunk.embedding_model == model,
                    )
                )
            )
            missing_lexical = 0
            if self.db.is_sqlite:
                from sqlalchemy import text

                missing_lexical = session.scalar(
                    text(
                        "SELECT count(*) FROM kb_chunks c WHERE c.superseded = 0 "
                        "AND NOT EXISTS (SELECT 1 FROM kb_chunks_fts f "
                        "WHERE f.rowid = c.fts_rowid)"
                    )
                )
        return {
            "missing_vectors": len(current - point_ids),
            "stray_vectors": len(point_ids - current),
            "missing_lexical": int(missing_lexical or 0),
        }

    # --- embedding model ------------------------------------------------------

    def switch_embedding_model(
        self, name: str, progress: Callable[[int, int], None] | None = None
    ) -> ReembedTask:
        """Re-embeds the library with another model, then switches to it.

        Jobs wait while the switch runs; searches keep using the old model's
        collection until the last chunk is embedded, then one transaction
        updates every chunk's `embedding_model` and the system setting.

        Args:
            name: A key of `index.embedder.MODELS`.
            progress: Called with (chunks done, chunks in all).

        Returns:
            The background task; `wait()` blocks until it has switched.

        Raises:
            ValidationFailed: Unknown model, or a switch is already running.
        """
        self._require_started()
        if name not in MODELS:
            raise ValidationFailed("embedding_model", f"unknown model {name!r}")
        if self._switch is not None and not self._switch.done.is_set():
            raise ValidationFailed("embedding_model", "a switch is already running")
        task = ReembedTask(model=name)
        self._switch = task
        task.thread = threading.Thread(
            target=self._run_switch,
            args=(task, progress),
            name="library-reembed",
            daemon=True,
        )
        task.thread.start()
        return task

    def _run_switch(
        self, task: ReembedTask, progress: Callable[[int, int], None] | None
    ) -> None:
        old = self.model_name()
        try:
            with self._cond:
                self._paused = True
                while self._running and not self._stopping.is_set():
                    self._cond.wait(0.5)
            if old == task.model:
                return
            new_collection = collection_name(task.model)
            embedder = self.embedder_for(task.model)
            # Anything left from an earlier, interrupted switch is stale.
            self._writer.call(lambda: self.vectors.drop_collection(new_collection))
            self._writer.call(
                lambda: self.vectors.ensure_collection(
                    new_collection, embedder.dimension
                )
            )
            with self.db.session() as session:
                chunk_ids = list(
                    session.scalars(
                        select(KBChunk.id).where(KBChunk.superseded.is_(False))
                    )
                )
            chunks = chunk_ids
            task.total = len(chunks)

            def on_batch(done: int) -> None:
                task.processed = done
                self.events.publish(
                    "library.reembed",
                    model=task.model,
                    processed=done,
                    total=task.total,
                )
                if progress is not None:
                    progress(done, task.total)
                if self._stopping.is_set():
                    raise RuntimeError("the library closed during the model switch")

            self._embed_chunks(chunks, task.model, on_batch)
            self._writer.call(lambda: self._commit_switch(task.model, chunks))
            self._writer.call(
                lambda: self.vectors.drop_collection(collection_name(old))
            )
            self.events.publish(
                "settings.changed", scope="system", sections=["ai_configuration"]
            )
            self.events.publish(
                "library.reembed",
                model=task.model,
                processed=task.total,
                total=task.total,
                done=True,
            )
            logger.info("embedding model switched from %s to %s", old, task.model)
        except BaseException as exc:
            task.error = exc
            logger.exception("switching the embedding model failed")
        finally:
            with self._cond:
                self._paused = False
                self._cond.notify_all()
            task.done.set()

    def _commit_switch(self, model: str, chunk_ids: Sequence[str]) -> None:
        with self.db.session() as session:
            for part in batches(list(chunk_ids), 500):
                session.execute(
                    update(KBChunk)
                    .where(KBChunk.id.in_(list(part)))
                    .values(embedding_model=model)
                )
            settings = self._settings_store.get(session)
            settings.ai_configuration.embedding_model = model
            changed = self._settings_store.save(session, settings)
            self.audit.record(
                session,
                "settings.update",
                "system_settings",
                user_id=self.user_id,
                details={"sections": changed, "embedding_model": model},
            )


# --- helpers ------------------------------------------------------------------------


__all__ = [
    "ImportBatch",
    "ImportReport",
    "JobProgress",
    "Library",
    "ReconcileReport",
    "ReembedTask",
]
