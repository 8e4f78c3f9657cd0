"""What an import reports: job progress, per-file outcomes and the batch report.

These types are free of Qt and of the stores, so the window, the command line
and tests can all consume them. Progress arrives on background threads; a
window must hand it over to its own thread before touching widgets.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voiceassist_desktop.knowledge.errors import ConversionError, FileChangedError

if TYPE_CHECKING:
    from voiceassist_desktop.knowledge.library import Library

logger = logging.getLogger(__name__)

CANCELLED_REASON = "cancelled by the user"


@dataclass(frozen=True)
class JobProgress:
    """A snapshot of one indexing job, sent whenever it moves.

    Attributes:
        job_id: The IndexingJob's id.
        document_id: The document version the job imports.
        file_name: The file's name, for display.
        state: pending, running, completed, failed or superseded.
        current_step: What the job is doing ("reading", "embedding 64/480").
        processed_chunks: Chunks embedded and saved so far.
        total_chunks: Chunks the document has; None until it is chunked.
        error: The plain reason of a failure (or of the last failed attempt).
    """

    job_id: str
    document_id: str
    file_name: str
    state: str
    current_step: str | None = None
    processed_chunks: int = 0
    total_chunks: int | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        """True once the job will not move again (unless retried)."""
        return self.state in ("completed", "failed", "superseded")

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "document_id": self.document_id,
            "file_name": self.file_name,
            "state": self.state,
            "current_step": self.current_step,
            "processed_chunks": self.processed_chunks,
            "total_chunks": self.total_chunks,
            "error": self.error,
        }


ProgressCallback = Callable[[JobProgress], None]


class Outcome(enum.StrEnum):
    """What an import did with one file."""

    IMPORTED = "imported"
    NEW_VERSION = "new_version"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    SUPERSEDED = "superseded"
    FAILED = "failed"


@dataclass
class FileOutcome:
    """One file of a batch and what became of it.

    Attributes:
        path: The file as found.
        outcome: See `Outcome`; jobs still running report what they will be.
        document_id: The document version created or found (None for a file
            that was not read at all).
        job_id: The job importing it, where there is one.
        reason: Why it failed, or which document it duplicates.
        duplicate_of: For a duplicate, the document holding the same content.
    """

    path: Path
    outcome: Outcome
    document_id: str | None = None
    job_id: str | None = None
    reason: str | None = None
    duplicate_of: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "outcome": self.outcome.value,
            "document_id": self.document_id,
            "job_id": self.job_id,
            "reason": self.reason,
            "duplicate_of": self.duplicate_of,
        }


@dataclass
class ImportReport:
    """The result of a batch, file by file, grouped by outcome."""

    files: list[FileOutcome] = field(default_factory=list)

    def _of(self, outcome: Outcome) -> list[FileOutcome]:
        return [item for item in self.files if item.outcome == outcome]

    @property
    def imported(self) -> list[FileOutcome]:
        return self._of(Outcome.IMPORTED)

    @property
    def new_versions(self) -> list[FileOutcome]:
        return self._of(Outcome.NEW_VERSION)

    @property
    def unchanged(self) -> list[FileOutcome]:
        return self._of(Outcome.UNCHANGED)

    @property
    def duplicates(self) -> list[FileOutcome]:
        return self._of(Outcome.DUPLICATE)

    @property
    def superseded(self) -> list[FileOutcome]:
        return self._of(Outcome.SUPERSEDED)

    @property
    def failed(self) -> list[FileOutcome]:
        return self._of(Outcome.FAILED)

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed

    def counts(self) -> dict[str, int]:
        return {outcome.value: len(self._of(outcome)) for outcome in Outcome}


class ImportBatch:
    """Files handed to the library in one call; the jobs run in the background.

    `outcomes` is known at once (what was queued, unchanged, a duplicate or
    refused); `wait` blocks until every job of the batch has finished.
    """

    def __init__(self, library: Library, outcomes: Sequence[FileOutcome]) -> None:
        self._library = library
        self.outcomes = list(outcomes)

    @property
    def job_ids(self) -> list[str]:
        """Jobs this batch queued (unchanged files reuse no job)."""
        return [
            item.job_id
            for item in self.outcomes
            if item.job_id and item.outcome in (Outcome.IMPORTED, Outcome.NEW_VERSION)
        ]

    def done(self) -> bool:
        """True when every job of the batch has finished."""
        return self._library.jobs_finished(self.job_ids)

    def wait(self, timeout: float | None = None) -> ImportReport:
        """Waits for the batch's jobs; returns the report.

        Args:
            timeout: Seconds to wait at most; None waits as long as it takes.

        Raises:
            TimeoutError: The jobs did not finish in time.
        """
        if not self._library.wait_for_jobs(self.job_ids, timeout):
            raise TimeoutError("the import has not finished yet")
        return self.report()

    def report(self) -> ImportReport:
        """The report as it stands now (jobs still running keep their outcome)."""
        return self._library.resolve_outcomes(self.outcomes)


def backoff_seconds(retry_count: int, base: float) -> float:
    """Delay before retry number `retry_count` (1, 2, ...): base, 2 base, 4 base."""
    return base * (2 ** max(0, retry_count - 1))


class JobInterrupted(Exception):
    """A job stopped between batches; it is not a failure of the file."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why  # "cancelled", "shutdown", "superseded" or "deleted"


def is_final(error: BaseException) -> bool:
    """Whether a failure would happen again on retry.

    A file the converters cannot read stays unreadable, and a file that is
    gone stays gone; anything else (a busy database, a full disk, a bug
    triggered by a rare race) may pass and is retried with back-off.
    """
    if isinstance(error, FileChangedError):
        return False
    return isinstance(error, (ConversionError, FileNotFoundError, IsADirectoryError))


def plain_reason(error: BaseException) -> str:
    """A sentence for the user about a failure."""
    if isinstance(error, ConversionError):
        return error.reason
    if isinstance(error, FileNotFoundError):
        return "the file is no longer there"
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return f"unexpected error: {message}"


def error_details(error: BaseException) -> dict[str, Any]:
    """Type and traceback of an error, for the job's `error_details`."""
    return {
        "type": type(error).__name__,
        "retryable": not is_final(error),
        "traceback": "".join(
            traceback.format_exception(type(error), error, error.__traceback__)
        )[-8000:],
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


class Waiter:
    """A condition that threads wait on until jobs finish."""

    def __init__(self) -> None:
        self.condition = threading.Condition()

    def notify(self) -> None:
        with self.condition:
            self.condition.notify_all()

    def wait_until(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.condition:
            while not predicate():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                # Wake regularly: a state may change in another process.
                self.condition.wait(1.0 if remaining is None else min(remaining, 1.0))
            return True
