"""The library: documents, import jobs with progress, and what an import found."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from voiceassist_desktop.gui.format import enum_text, get, import_summary, local_time
from voiceassist_desktop.gui.theme import themed

logger = logging.getLogger(__name__)

IMPORT_FILTER = "Documents (*.pdf *.docx *.txt *.html *.htm);;All files (*)"


def current_versions(documents: list[Any]) -> list[Any]:
    """One row per document: its newest ready version, else its newest one.

    A version that failed after a newer one was imported, or a new version
    still importing, stays out of the table (its job shows below it).
    """
    best: dict[str, Any] = {}
    for document in documents:
        key = get(document, "doc_key") or get(document, "id")
        ready = enum_text(get(document, "indexing_status")) == "completed"
        rank = (ready, get(document, "version", 0))
        held = best.get(key)
        if held is None or rank > held[0]:
            best[key] = (rank, document)
    chosen = {id(item) for _, item in best.values()}
    return [document for document in documents if id(document) in chosen]


class DocumentTableModel(QAbstractTableModel):
    """Rows of the library's documents (newest version of each)."""

    COLUMNS = (
        ("Title", "title"),
        ("Type", "document_type"),
        ("Specialty", "specialty"),
        ("Version", "version"),
        ("Pages", "page_count"),
        ("Chunks", "chunk_count"),
        ("Status", "indexing_status"),
        ("Added", "created_at"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
        ):
            return self.COLUMNS[section][0]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        field = self.COLUMNS[index.column()][1]
        value = get(row, field)
        if role == Qt.ItemDataRole.DisplayRole:
            if field == "created_at":
                return local_time(value)
            if field == "indexing_status":
                return {
                    "completed": "ready",
                    "processing": "importing",
                    "pending": "waiting",
                    "failed": "failed",
                }.get(enum_text(value), enum_text(value))
            if field in ("document_type",):
                return enum_text(value)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.ToolTipRole and field == "title":
            return get(row, "file_path", "")
        if role == Qt.ItemDataRole.TextAlignmentRole and field in (
            "version",
            "page_count",
            "chunk_count",
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def document_id(self, row: int) -> str | None:
        return get(self.rows[row], "id") if 0 <= row < len(self.rows) else None


class JobRowWidget(QFrame):
    """One import job: its file, step, counts, a bar, and cancel or retry."""

    cancel_requested = Signal(str)
    retry_requested = Signal(str)

    def __init__(self, job_id: str, file_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.job_id = job_id
        self.state = "pending"
        self.setObjectName("sourceCard")
        self.name = QLabel(file_name, objectName="cardTitle")
        self.name.setToolTip(file_name)
        # A long file name gives way to the step and the buttons.
        self.name.setSizePolicy(
            QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        )
        self.name.setMinimumWidth(120)
        self.step = QLabel("waiting", objectName="cardMeta")
        self.step.setMinimumWidth(150)
        self.step.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.step.setSizePolicy(
            QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred
        )
        self.step.setAccessibleName(f"Step of {file_name}")
        self.bar = QProgressBar()
        self.bar.setAccessibleName(f"Progress of {file_name}")
        self.bar.setRange(0, 0)
        self.error = QLabel("", objectName="hint", wordWrap=True)
        self.error.setAccessibleName(f"Why {file_name} failed")
        self.error.hide()
        self.cancel_button = themed(QPushButton("Cancel"), "cancel")
        self.cancel_button.setAccessibleName(f"Cancel the import of {file_name}")
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit(job_id))
        self.retry_button = themed(QPushButton("Retry"), "retry")
        self.retry_button.setAccessibleName(f"Retry the import of {file_name}")
        self.retry_button.clicked.connect(lambda: self.retry_requested.emit(job_id))
        self.retry_button.hide()

        top = QHBoxLayout()
        top.addWidget(self.name, 1)
        top.addWidget(self.step)
        top.addWidget(self.cancel_button)
        top.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.error)

    def update_progress(self, progress: dict) -> None:
        self.state = progress.get("state") or self.state
        total = progress.get("total_chunks")
        done = progress.get("processed_chunks") or 0
        step = progress.get("current_step") or self.state
        if self.state == "completed":
            self.bar.setRange(0, 1)
            self.bar.setValue(1)
            self.bar.setFormat("done")
            self.step.setText(f"ready: {total or done} passages")
        elif self.state in ("failed", "superseded"):
            self.bar.setRange(0, 1)
            self.bar.setValue(0)
            self.step.setText(self.state)
        elif total:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
            self.bar.setFormat(f"{done} / {total} passages")
            self.step.setText(step)
        elif self.state == "pending":
            self.bar.setRange(0, 1)
            self.bar.setValue(0)
            self.bar.setFormat("waiting for a free worker")
            self.step.setText("queued")
        else:
            self.bar.setRange(0, 0)  # busy: the size is not known yet
            self.step.setText(step)
        error = progress.get("error")
        failed = self.state == "failed"
        self.error.setText(f"Failed: {error}" if failed and error else "")
        self.error.setVisible(failed and bool(error))
        self.retry_button.setVisible(failed)
        self.cancel_button.setVisible(self.state in ("pending", "running"))

    @property
    def fraction(self) -> float:
        if self.state in ("completed", "failed", "superseded"):
            return 1.0
        if self.bar.maximum() > 0:
            return self.bar.value() / self.bar.maximum()
        return 0.0


class LibraryWidget(QWidget):
    """The library page: import, documents, jobs and the import summary.

    Args:
        app: The running App.
        tasks: The window's TaskRunner.
    """

    #: Text for the status bar.
    status = Signal(str)
    #: An import batch was summarised (the summary text).
    summarised = Signal(str)
    #: The document list was reloaded (the number of documents).
    documents_loaded = Signal(int)

    def __init__(self, app: Any, tasks: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._tasks = tasks
        self.job_rows: dict[str, JobRowWidget] = {}
        self.last_summary = ""

        self.import_button = themed(QPushButton("Import…"), "import", "#ffffff")
        self.import_button.setObjectName("primary")
        self.import_button.setToolTip("Import files (Ctrl+O); or drop files anywhere")
        self.import_button.setAccessibleName("Import documents")
        self.import_button.clicked.connect(self.choose_files)
        self.folder_button = themed(QPushButton("Import a folder…"), "library")
        self.folder_button.setAccessibleName("Import a folder")
        self.folder_button.clicked.connect(self.choose_folder)
        self.delete_button = themed(QPushButton("Delete…"), "delete")
        self.delete_button.setAccessibleName("Delete the selected document")
        self.delete_button.clicked.connect(self.delete_selected)
        self.reindex_button = themed(QPushButton("Re-index"), "reindex")
        self.reindex_button.setAccessibleName("Re-index the selected document")
        self.reindex_button.clicked.connect(self.reindex_selected)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.setAccessibleName("Clear finished imports")
        self.clear_button.clicked.connect(self.clear_finished)
        self.sample_button = themed(QPushButton("Load the sample library"), "library")
        self.sample_button.setAccessibleName("Load the sample library")
        self.sample_button.hide()

        self.summary = QLabel("", objectName="summary", wordWrap=True)
        self.summary.setAccessibleName("Import summary")
        self.summary.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.summary.hide()
        self.drop_hint = QLabel(
            "Drop PDF, DOCX, TXT or HTML files or folders anywhere on the window "
            "to add them.",
            objectName="muted",
        )

        self.model = DocumentTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Documents")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setSortingEnabled(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(DocumentTableModel.COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.overall = QProgressBar()
        self.overall.setAccessibleName("Overall import progress")
        self.overall.setFormat("%p% of the import done")
        self.overall_label = QLabel("No imports running.", objectName="muted")
        jobs_holder = QWidget()
        self.jobs_layout = QVBoxLayout(jobs_holder)
        self.jobs_layout.setContentsMargins(0, 0, 0, 0)
        self.jobs_layout.addStretch(1)
        jobs_scroll = QScrollArea()
        jobs_scroll.setWidgetResizable(True)
        jobs_scroll.setWidget(jobs_holder)
        jobs_scroll.setFrameShape(QFrame.Shape.NoFrame)
        jobs_scroll.setAccessibleName("Import jobs")
        jobs_panel = QWidget()
        jobs_box = QVBoxLayout(jobs_panel)
        jobs_box.setContentsMargins(0, 0, 0, 0)
        jobs_title = QHBoxLayout()
        jobs_title.addWidget(QLabel("Imports", objectName="sectionTitle"))
        jobs_title.addWidget(self.overall_label, 1)
        jobs_title.addWidget(self.clear_button)
        jobs_box.addLayout(jobs_title)
        jobs_box.addWidget(self.overall)
        jobs_box.addWidget(jobs_scroll, 1)

        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.folder_button)
        buttons.addWidget(self.sample_button)
        buttons.addStretch(1)
        buttons.addWidget(self.reindex_button)
        buttons.addWidget(self.delete_button)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(jobs_panel)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.drop_hint)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)

        # Many progress events arrive during an import: the table reloads at
        # most a few times a second.
        self._reload_timer = QTimer(self, singleShot=True, interval=400)
        self._reload_timer.timeout.connect(self.reload)

    # --- loading ------------------------------------------------------------------

    def reload(self) -> None:
        """Reloads documents and unfinished jobs in a worker."""
        library_provider = lambda: self._app.library  # noqa: E731 - built off-thread

        def load():
            library = library_provider()
            documents = library.documents()
            jobs = library.jobs()
            return documents, jobs

        self._tasks.submit("load the library", load, on_done=self._on_loaded)

    def stop(self) -> None:
        """Stops the pending reload (at shutdown)."""
        self._reload_timer.stop()

    def schedule_reload(self) -> None:
        self._reload_timer.start()

    def _on_loaded(self, result: tuple[list[Any], list[Any]]) -> None:
        everything, jobs = result
        documents = current_versions(everything)
        selected = self.selected_document_id()
        self.model.set_rows(documents)
        if selected:
            for row in range(self.model.rowCount()):
                if self.model.document_id(row) == selected:
                    self.table.selectRow(row)
        # Show unfinished jobs, and the failed job of each newest version.
        names = {get(d, "id"): get(d, "file_name", "") for d in everything}
        newest: dict[str, Any] = {}
        for document in everything:
            key = get(document, "doc_key") or get(document, "id")
            if key not in newest or get(document, "version", 0) > get(
                newest[key], "version", 0
            ):
                newest[key] = document
        newest_ids = {get(d, "id") for d in newest.values()}
        seen: set[str] = set()
        for job in jobs:
            document_id = get(job, "document_id")
            state = enum_text(get(job, "state"))
            if document_id in seen:
                continue
            seen.add(document_id)
            shown = get(job, "id") in self.job_rows
            wanted = state in ("pending", "running") or (
                state == "failed" and document_id in newest_ids
            )
            if shown or wanted:
                self.on_progress(
                    {
                        "job_id": get(job, "id"),
                        "document_id": document_id,
                        "file_name": names.get(document_id)
                        or Path(get(job, "source_path", "") or "").name,
                        "state": state,
                        "current_step": get(job, "current_step"),
                        "processed_chunks": get(job, "processed_chunks", 0),
                        "total_chunks": get(job, "total_chunks"),
                        "error": get(job, "error_message"),
                    }
                )
        self.documents_loaded.emit(len(documents))

    # --- progress -----------------------------------------------------------------

    def on_progress(self, progress: dict) -> None:
        """Shows a job's progress (called on the GUI thread)."""
        job_id = progress.get("job_id")
        if not job_id:
            return
        row = self.job_rows.get(job_id)
        if row is None:
            row = JobRowWidget(job_id, progress.get("file_name") or "document")
            row.cancel_requested.connect(self.cancel_job)
            row.retry_requested.connect(self.retry_job)
            self.jobs_layout.insertWidget(self.jobs_layout.count() - 1, row)
            # A layout shows a new child of a visible widget only on a later
            # turn of the event loop; shown now, it is there with its update.
            row.show()
            self.job_rows[job_id] = row
        row.update_progress(progress)
        self._update_overall()
        if progress.get("state") in ("completed", "failed", "superseded"):
            self.schedule_reload()

    def _update_overall(self) -> None:
        rows = list(self.job_rows.values())
        active = [r for r in rows if r.state in ("pending", "running")]
        if not rows:
            self.overall.setValue(0)
            self.overall_label.setText("No imports running.")
            return
        done = sum(r.fraction for r in rows)
        self.overall.setRange(0, 1000)
        self.overall.setValue(int(1000 * done / len(rows)))
        failed = sum(1 for r in rows if r.state == "failed")
        completed = sum(1 for r in rows if r.state == "completed")
        text = f"{len(active)} running or waiting, {completed} done"
        if failed:
            text += f", {failed} failed"
        self.overall_label.setText(text)

    @property
    def active_jobs(self) -> int:
        return sum(
            1 for r in self.job_rows.values() if r.state in ("pending", "running")
        )

    def clear_finished(self) -> None:
        for job_id, row in list(self.job_rows.items()):
            if row.state in ("completed", "superseded"):
                row.deleteLater()
                del self.job_rows[job_id]
        self._update_overall()

    # --- actions ------------------------------------------------------------------

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Import documents", str(Path.home()), IMPORT_FILTER
        )
        if files:
            self.import_paths(files)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Import a folder", str(Path.home())
        )
        if folder:
            self.import_paths([folder])

    def import_paths(self, paths: Iterable[str | Path]) -> None:
        """Imports files and folders in the background, with progress."""
        paths = [str(p) for p in paths]
        if not paths:
            return
        app = self._app
        self.status.emit(f"Importing {len(paths)} item(s)…")
        self.summary.setObjectName("summary")
        self.summary.setText(f"Reading {len(paths)} item(s)…")
        self._restyle(self.summary)
        self.summary.show()

        def run(report_progress):
            library = app.library
            batch = library.import_paths(paths)
            for outcome in batch.outcomes:
                if outcome.job_id:
                    report_progress(("queued", outcome))
            report = batch.wait()
            titles = {get(d, "id"): get(d, "title") for d in library.documents(True)}
            return report, titles

        self._tasks.submit(
            "import documents",
            run,
            on_progress=self._on_import_queued,
            on_done=self._on_import_done,
            on_error=self._on_import_error,
        )

    def _on_import_queued(self, value: Any) -> None:
        _, outcome = value
        if outcome.job_id not in self.job_rows:
            self.on_progress(
                {
                    "job_id": outcome.job_id,
                    "document_id": outcome.document_id,
                    "file_name": Path(str(outcome.path)).name,
                    "state": "pending",
                }
            )
        self.summary.setText("Importing…")

    def _on_import_done(self, result: Any) -> None:
        report, titles = result
        text = import_summary(report, titles)
        self.last_summary = text
        self.summary.setObjectName(
            "summaryFailed" if get(report, "failed") else "summary"
        )
        self.summary.setText(text)
        self._restyle(self.summary)
        self.summary.show()
        self.status.emit(f"Import finished: {text}")
        self.summarised.emit(text)
        self.reload()

    def _on_import_error(self, error: BaseException) -> None:
        message = getattr(error, "message", None) or str(error)
        self.summary.setObjectName("summaryFailed")
        self.summary.setText(f"The import could not start: {message}")
        self._restyle(self.summary)
        self.summary.show()
        self.summarised.emit(self.summary.text())

    @staticmethod
    def _restyle(widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    def cancel_job(self, job_id: str) -> None:
        self._tasks.submit(
            "cancel an import",
            lambda: self._app.library.cancel(job_id),
            on_done=lambda _: self.schedule_reload(),
        )

    def retry_job(self, job_id: str) -> None:
        """Tries a failed file again.

        The library retries a job over the file it registered; when the file
        was replaced since (the usual fix for a broken file), the new content
        is imported instead, as the clinician expects of "Retry".
        """
        row = self.job_rows.get(job_id)
        if row is not None:
            row.retry_button.setEnabled(False)
        app = self._app

        def run(report_progress):
            from voiceassist_desktop.knowledge.pipeline import file_sha256

            library = app.library
            job = library.job(job_id)
            document = library.document(job.document_id)
            path = Path(job.source_path or document.file_path)
            if path.is_file() and file_sha256(path) != document.content_hash:
                batch = library.import_paths([path])
                for outcome in batch.outcomes:
                    if outcome.job_id:
                        report_progress(("queued", outcome))
                report = batch.wait()
                titles = {
                    get(d, "id"): get(d, "title") for d in library.documents(True)
                }
                return report, titles
            return library.retry(job_id)

        def progress(value: Any) -> None:
            # The replaced file has a job of its own: it takes the old row's place.
            old = self.job_rows.pop(job_id, None)
            if old is not None:
                old.deleteLater()
            self._on_import_queued(value)

        def done(result: Any) -> None:
            if isinstance(result, tuple):
                self._on_import_done(result)
            elif not result:
                self.status.emit("That import can no longer be retried.")
            if row is not None and self.job_rows.get(job_id) is row:
                row.retry_button.setEnabled(True)

        self._tasks.submit(
            "retry an import",
            run,
            on_progress=progress,
            on_done=done,
            on_error=self._on_import_error,
        )

    def selected_document_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.model() else []
        return self.model.document_id(rows[0].row()) if rows else None

    def delete_selected(self, confirm: bool = True) -> None:
        """Deletes the selected document (every version) after confirmation."""
        document_id = self.selected_document_id()
        if document_id is None:
            self.status.emit("Select a document to delete.")
            return
        row = next(r for r in self.model.rows if get(r, "id") == document_id)
        if confirm:
            answer = QMessageBox.question(
                self,
                "Delete document",
                f"Delete “{get(row, 'title')}” and all its versions from the "
                "library? Answers that cite it keep their references.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._tasks.submit(
            "delete a document",
            lambda: self._app.library.delete_document(document_id),
            on_done=lambda _: self.reload(),
        )

    def reindex_selected(self) -> None:
        document_id = self.selected_document_id()
        if document_id is None:
            self.status.emit("Select a document to re-index.")
            return
        self._tasks.submit(
            "re-index a document",
            lambda: self._app.library.reindex(document_id),
            on_done=lambda _: self.schedule_reload(),
        )
