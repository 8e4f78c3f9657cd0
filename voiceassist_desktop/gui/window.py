"""The main window: conversations, the conversation, sources and the library."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QMimeData, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from voiceassist_desktop.gui.audit_view import AuditLogDialog
from voiceassist_desktop.gui.calculator import CalculatorWidget
from voiceassist_desktop.gui.chat import ConversationWidget
from voiceassist_desktop.gui.conversations import ConversationListWidget
from voiceassist_desktop.gui.errors import ErrorReporter
from voiceassist_desktop.gui.library_view import LibraryWidget
from voiceassist_desktop.gui.lock import IdleWatcher, LockDialog, password_set
from voiceassist_desktop.gui.pdf_render import PageRenderer
from voiceassist_desktop.gui.settings_dialog import SettingsDialog
from voiceassist_desktop.gui.side_panel import ClinicalContextWidget, SourcesWidget
from voiceassist_desktop.gui.source_viewer import SourceViewerDialog
from voiceassist_desktop.gui.status import StatusBar, cheap_health, library_counts
from voiceassist_desktop.gui.tasks import EventBridge, TaskRunner
from voiceassist_desktop.gui.theme import apply_theme, icon, resource_path, themed
from voiceassist_desktop.gui.voice import VoiceController

logger = logging.getLogger(__name__)

SAMPLE_SUFFIXES = {".pdf", ".txt", ".docx", ".html", ".htm"}


def sample_library_files() -> list[Path]:
    """The documents of the shipped sample library."""
    folder = Path(str(resource_path("sample_library")))
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SAMPLE_SUFFIXES)


def local_paths(mime: QMimeData) -> list[Path]:
    """The local files and folders a drag carries."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class MainWindow(QMainWindow):
    """VoiceAssist's window over a running App.

    Args:
        app: The started App.
        reporter: Where errors go (the crash dialog and plain messages).
        settings_file: Where window geometry and layout are kept; by default
            `window.ini` in the app's configuration folder.
    """

    #: The window finished its first loading (lists, library, health).
    ready = Signal()
    #: The clinical context was saved to a conversation (its id).
    context_saved = Signal(str)

    def __init__(
        self,
        app: Any,
        *,
        reporter: ErrorReporter | None = None,
        settings_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.app = app
        self.reporter = reporter or ErrorReporter(self, interactive=False)
        self.reporter.window = self
        self.tasks = TaskRunner(self)
        self.tasks.unhandled_error.connect(self._on_tasks_unhandled_error)
        self.bridge = EventBridge(app.events, self)
        self.bridge.received.connect(self._on_app_event)
        self.renderer = PageRenderer()
        self.viewers: list[SourceViewerDialog] = []
        self.user_settings = app.user_settings()
        self.system_settings = app.system_settings()
        self._closed = False
        self._locked = False
        self._splitters_restored = False
        self.window_settings = QSettings(
            str(settings_file or app.paths.config / "window.ini"),
            QSettings.Format.IniFormat,
        )

        self.setWindowTitle("VoiceAssist")
        self.setWindowIcon(icon("app"))
        self.setAccessibleName("VoiceAssist")
        self.setAcceptDrops(True)
        self.resize(1360, 860)
        self._build()
        self._build_actions()
        self._restore_layout()

        self.voice = VoiceController(app, self.tasks, self)
        self.voice.availability.connect(self._on_voice_availability)
        self.voice.state_changed.connect(self._on_voice_state_changed)
        self.voice.level.connect(self._on_voice_level)
        self.voice.transcribed.connect(self._on_voice_transcribed)
        self.voice.problem.connect(self._on_voice_problem)
        self._on_voice_availability(False, self.voice.reason)
        self.chat.talk_button.pressed.connect(self._on_talk_pressed)
        self.chat.talk_button.released.connect(self._on_talk_released)
        self.chat.speak_requested.connect(self._on_speak_requested)
        QApplication.instance().installEventFilter(self)

        self.idle = IdleWatcher(self.system_settings.security.idle_lock_minutes, self)
        self.idle.idle.connect(self._on_idle)
        QApplication.instance().installEventFilter(self.idle)

        # Counts are refreshed after bursts of changes, not on every event.
        self._counts_timer = QTimer(self, singleShot=True, interval=500)
        self._counts_timer.timeout.connect(self.refresh_counts)
        self._health_timer = QTimer(self, interval=5 * 60 * 1000)
        self._health_timer.timeout.connect(self.check_health)
        self._started = False

    # --- building -----------------------------------------------------------------

    def _build(self) -> None:
        self.conversations = ConversationListWidget(self.app, self.tasks)
        self.conversations.selected.connect(self._on_conversations_selected)
        self.conversations.new_requested.connect(self.new_conversation)
        self.conversations.deleted.connect(self._on_conversations_deleted)

        self.chat = ConversationWidget(self.app, self.tasks)
        self.chat.answer_selected.connect(self._on_chat_answer_selected)
        self.chat.citation_activated.connect(self.open_citation)
        self.chat.conversation_changed.connect(self._on_chat_conversation_changed)
        self.chat.status.connect(self._flash)
        for widget in (self.chat.view, self.chat.question):
            # Drops anywhere go to the window (an import), not into the text.
            widget.setAcceptDrops(False)
            widget.viewport().setAcceptDrops(False)

        self.sample_banner = QFrame(objectName="sourceCard")
        banner_text = QLabel(
            "<b>Your library is empty.</b> Load the sample library (four "
            "public-domain CDC and NIH documents) to try a question now, or drop "
            "your own PDF, DOCX, TXT or HTML files onto the window.",
            wordWrap=True,
        )
        self.sample_button = themed(QPushButton("Load the sample library"), "library")
        self.sample_button.setAccessibleName("Load the sample library")
        self.sample_button.clicked.connect(self.load_sample_library)
        banner = QHBoxLayout(self.sample_banner)
        banner.addWidget(banner_text, 1)
        banner.addWidget(self.sample_button)
        self.sample_banner.hide()

        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addWidget(self.sample_banner)
        middle_layout.addWidget(self.chat, 1)

        self.sources = SourcesWidget()
        self.sources.citation_activated.connect(self.open_citation)
        self.context_form = ClinicalContextWidget()
        self.context_form.save_requested.connect(self._on_context_save_requested)
        self.calculator = CalculatorWidget(self.app, self.tasks)
        self.calculator.calculated.connect(self._on_calculator_calculated)
        self.side = QTabWidget()
        self.side.setAccessibleName("Side panel")
        self.side.addTab(self.sources, "Sources")
        self.side.addTab(self.context_form, "Patient")
        self.side.addTab(self.calculator, "Calculators")
        self.side.setTabToolTip(1, "The clinical context of this conversation")

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.conversations)
        self.splitter.addWidget(middle)
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([270, 700, 390])
        self.splitter.setChildrenCollapsible(False)

        self.library_view = LibraryWidget(self.app, self.tasks)
        self.library_view.status.connect(self._flash)
        self.library_view.documents_loaded.connect(self._on_library_documents_loaded)
        self.library_view.sample_button.clicked.connect(self.load_sample_library)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.splitter)
        self.pages.addWidget(self.library_view)
        self.setCentralWidget(self.pages)

        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.status.set_model(self.system_settings.ai_configuration.embedding_model)
        self.status.set_offline(
            self.system_settings.ai_configuration.remote_generation_enabled
        )

    def _build_actions(self) -> None:
        shortcuts = self.user_settings.shortcuts
        toolbar = QToolBar("Main", objectName="mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(toolbar)

        def action(text: str, icon_name: str, slot, shortcut: str | None = None):
            item = themed(QAction(text, self), icon_name)
            if shortcut:
                item.setShortcut(QKeySequence(shortcut))
                item.setToolTip(f"{text} ({shortcut})")
            item.triggered.connect(slot)
            self.addAction(item)
            return item

        self.new_action = action(
            "New conversation", "new", self.new_conversation, shortcuts.new_conversation
        )
        self.chat_action = action("Conversations", "chat", lambda: self.show_page(0))
        self.library_action = action("Library", "library", lambda: self.show_page(1))
        group = QActionGroup(self)
        for item in (self.chat_action, self.library_action):
            item.setCheckable(True)
            group.addAction(item)
        self.chat_action.setChecked(True)
        self.import_action = action(
            "Import…", "import", self._on_import_triggered, shortcuts.import_documents
        )
        self.audit_action = action("Audit log", "audit", self.show_audit_log)
        self.settings_action = action("Settings", "settings", self.show_settings)
        self.focus_action = action(
            "Ask", "chat", self.focus_question, shortcuts.focus_question
        )
        self.search_action = action(
            "Search conversations", "search", self.focus_search, shortcuts.search
        )
        for item in (
            self.new_action,
            self.chat_action,
            self.library_action,
            self.import_action,
            self.audit_action,
            self.settings_action,
        ):
            toolbar.addAction(item)

    # --- start and close ----------------------------------------------------------

    def start(self) -> None:
        """Loads everything in workers; call once the window is shown."""
        if self._started:
            return
        self._started = True
        self.conversations.refresh()
        self.calculator.load_tools()
        self.voice.check()
        self.check_health()
        self._health_timer.start()
        self._flash("Opening the library…")

        # The library resumes interrupted imports; its first use builds it.
        app = self.app
        self.tasks.submit(
            "open the library",
            lambda: app.library,
            on_done=lambda _: self._on_library_started(),
        )

    def _on_library_started(self) -> None:
        self.library_view.reload()
        self.refresh_counts()
        self._flash("Ready.")
        self.ready.emit()
        # Warm the embedding model so the first question does not wait for it.
        embedder = self.app.embedder_for
        self.tasks.submit(
            "load the embedding model",
            lambda: embedder().embed(["warm up"]),
            on_done=lambda _: self._flash("The embedding model is loaded."),
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Saves the layout and stops every background task (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._save_layout()
        app_instance = QApplication.instance()
        app_instance.removeEventFilter(self)
        app_instance.removeEventFilter(self.idle)
        self.idle.stop()
        self._health_timer.stop()
        self._counts_timer.stop()
        self.library_view.stop()
        self.conversations.stop()
        self.chat.stop()
        self.bridge.close()
        self.voice.close()
        for viewer in self.viewers:
            viewer.close()
        self.tasks.close()
        self.renderer.close()

    # --- layout memory ------------------------------------------------------------

    def _restore_layout(self) -> None:
        settings = self.window_settings
        geometry = settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.value("state")
        if state is not None:
            self.restoreState(state)
        self.show_page(int(settings.value("page", 0)))

    def _restore_splitters(self) -> None:
        # Splitters take their saved sizes once they have a size to share.
        for name, splitter in self._splitters().items():
            value = self.window_settings.value(f"splitter/{name}")
            if value is not None:
                splitter.restoreState(value)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._splitters_restored:
            self._splitters_restored = True
            self._restore_splitters()

    def _save_layout(self) -> None:
        settings = self.window_settings
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue("state", self.saveState())
        for name, splitter in self._splitters().items():
            settings.setValue(f"splitter/{name}", splitter.saveState())
        settings.setValue("page", self.pages.currentIndex())
        settings.sync()

    def _splitters(self) -> dict[str, QSplitter]:
        return {"main": self.splitter, "library": self.library_view.splitter}

    # --- pages and dialogs --------------------------------------------------------

    def show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        (self.library_action if index == 1 else self.chat_action).setChecked(True)

    def focus_question(self) -> None:
        self.show_page(0)
        self.chat.question.setFocus()

    def focus_search(self) -> None:
        self.show_page(0)
        self.conversations.search_box.setFocus()
        self.conversations.search_box.selectAll()

    def show_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.app, self.tasks, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_audit_log(self) -> AuditLogDialog:
        dialog = AuditLogDialog(self.app, self.tasks, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def open_citation(self, citation: dict) -> SourceViewerDialog:
        """Opens the cited source at its page, the passage highlighted."""
        viewer = SourceViewerDialog(self.app, self.tasks, self.renderer, citation, self)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.destroyed.connect(lambda: self.viewers.remove(viewer))
        self.viewers.append(viewer)
        viewer.show()
        return viewer

    # --- conversations ------------------------------------------------------------

    def new_conversation(self) -> None:
        self.show_page(0)
        self.conversations.list.clearSelection()
        self.conversations._current = None
        self.chat.clear()
        self.context_form.set_context(None)
        self.calculator.set_session(None)
        self.chat.question.setFocus()

    def _on_conversations_selected(self, session_id: str) -> None:
        self.chat.load(session_id)
        self.calculator.set_session(session_id)
        self.context_form.set_context(None)
        self.tasks.submit(
            "load the clinical context",
            lambda: self.app.conversations.context(session_id),
            on_done=lambda context: self._on_context_loaded(session_id, context),
        )

    def _on_context_loaded(self, session_id: str, context: Any) -> None:
        if self.chat.session_id == session_id:
            self.context_form.set_context(context)

    def _on_conversations_deleted(self, session_id: str) -> None:
        if self.chat.session_id == session_id:
            self.new_conversation()

    def _on_chat_conversation_changed(self, session_id: str) -> None:
        self.conversations.select(session_id)
        self.conversations.refresh(select=session_id)
        self.calculator.set_session(session_id)

    def _on_chat_answer_selected(self, message: Any, citations: list) -> None:
        self.sources.show_citations(citations)
        if citations and self.side.currentWidget() is not self.context_form:
            self.side.setCurrentWidget(self.sources)

    def _on_context_save_requested(self, record: dict) -> None:
        from voiceassist_desktop.assistant.context import FIELDS

        # Fields left empty in the form are cleared in the stored context.
        values = {name: record.get(name) for name in FIELDS}
        conversations = self.app.conversations
        session_id, mode = self.chat.session_id, self.chat.mode

        def save() -> tuple[str, dict]:
            target = session_id or conversations.create(mode=mode).id
            return target, conversations.set_context(target, **values)

        def done(result: tuple[str, dict]) -> None:
            target, _ = result
            self.context_form.mark_saved("Saved to this conversation.")
            if self.chat.session_id != target:
                self.chat.session_id = target
                self.chat.load(target)
            self._on_chat_conversation_changed(target)
            self.context_saved.emit(target)

        def failed(error: BaseException) -> None:
            reason = getattr(error, "reason", None) or str(error)
            self.context_form.error.setText(f"Not saved: {reason}")
            self.context_form.mark_saved("")

        self.tasks.submit(
            "save the clinical context", save, on_done=done, on_error=failed
        )

    def _on_calculator_calculated(self, text: str, citations: list, call: Any) -> None:
        """Adds a calculation to its conversation, with the formula's source."""
        conversations, db = self.app.conversations, self.app.db
        target = call.session_id
        title = self.calculator.tool.title if self.calculator.tool else call.tool_name

        def save() -> str:
            with db.session() as session:
                conversations.add_message(
                    session,
                    target,
                    "user",
                    f"Calculate: {title}",
                    metadata={"tool_call_id": call.id},
                )
                conversations.add_message(
                    session,
                    target,
                    "assistant",
                    text,
                    metadata={"citations": citations, "tool_call_id": call.id},
                )
            return target

        def done(session_id: str) -> None:
            if self.chat.session_id in (None, session_id):
                self.chat.session_id = session_id
                self.chat.load(session_id)
                self.calculator.session_id = session_id
            self.conversations.refresh(select=self.chat.session_id)

        self.tasks.submit("add a calculation to the conversation", save, on_done=done)

    # --- library ------------------------------------------------------------------

    def _on_import_triggered(self) -> None:
        self.show_page(1)
        self.library_view.choose_files()

    def import_paths(self, paths: list[Path | str]) -> None:
        """Imports files or folders, showing their progress in the library."""
        self.show_page(1)
        self.library_view.import_paths(paths)

    def load_sample_library(self) -> None:
        files = sample_library_files()
        if not files:
            self._flash("The sample library is not installed.")
            return
        self.sample_banner.hide()
        self.import_paths(files)

    def handle_drop(self, mime: QMimeData) -> list[Path]:
        """Imports what a drop carries; returns the paths taken."""
        paths = local_paths(mime)
        if paths:
            self.import_paths(paths)
        return paths

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.handle_drop(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def _on_library_documents_loaded(self, count: int) -> None:
        self.refresh_counts()
        empty = count == 0 and not self.library_view.active_jobs
        has_samples = bool(sample_library_files())
        self.sample_banner.setVisible(empty and has_samples)
        self.library_view.sample_button.setVisible(empty and has_samples)

    def refresh_counts(self) -> None:
        db = self.app.db
        self.tasks.submit(
            "count the library",
            lambda: library_counts(db),
            on_done=lambda counts: self.status.set_library(*counts),
        )

    def check_health(self) -> None:
        app = self.app
        self.tasks.submit(
            "check health", lambda: cheap_health(app), on_done=self.status.set_health
        )

    # --- events from the services -------------------------------------------------

    def _on_app_event(self, topic: str, data: dict) -> None:
        if topic == "job.progress":
            self.library_view.on_progress(data)
            self.status.set_jobs(self.library_view.active_jobs)
            if data.get("state") == "completed":
                self._counts_timer.start()
        elif topic.startswith("document."):
            self._counts_timer.start()
            self.library_view.schedule_reload()
            self.voice.forget_terms()
        elif topic == "settings.changed":
            self._reload_settings()
        elif topic in ("session.created", "session.updated", "session.deleted"):
            self.conversations.refresh()

    def _reload_settings(self) -> None:
        app = self.app
        self.tasks.submit(
            "read settings",
            lambda: (app.user_settings(), app.system_settings()),
            on_done=self._apply_settings,
        )

    def _apply_settings(self, settings: tuple[Any, Any]) -> None:
        self.user_settings, self.system_settings = settings
        display, general = self.user_settings.display, self.user_settings.general
        apply_theme(QApplication.instance(), general.theme, display.font_size)
        self.conversations.refresh()  # its items' icons follow the theme
        shortcuts = self.user_settings.shortcuts
        for item, key in (
            (self.new_action, shortcuts.new_conversation),
            (self.focus_action, shortcuts.focus_question),
            (self.search_action, shortcuts.search),
            (self.import_action, shortcuts.import_documents),
        ):
            item.setShortcut(QKeySequence(key))
        ai = self.system_settings.ai_configuration
        self.status.set_model(ai.embedding_model)
        self.status.set_offline(ai.remote_generation_enabled)
        self.idle.minutes = self.system_settings.security.idle_lock_minutes
        self.voice.check()

    def _on_tasks_unhandled_error(self, name: str, error: BaseException) -> None:
        self.reporter.report(error, name)

    def _flash(self, text: str) -> None:
        self.status.flash(text)

    # --- voice --------------------------------------------------------------------

    def _ptt_key(self) -> int:
        sequence = QKeySequence(self.user_settings.voice.push_to_talk_key or "F9")
        return sequence[0].key() if sequence.count() else Qt.Key.Key_F9

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        if not self.isActiveWindow() or self._locked:
            return False
        key = event.key()
        if key == Qt.Key.Key_Escape and kind == QEvent.Type.KeyPress:
            if self.voice.state in ("starting", "recording"):
                self.voice.cancel()
                self._flash("Recording cancelled.")
                return True
            if self.chat.cancel_countdown():
                return True
            return False
        if key != self._ptt_key() or event.isAutoRepeat():
            return False
        toggle = self.user_settings.voice.activation_mode == "toggle"
        if kind == QEvent.Type.KeyPress:
            self.voice.toggle() if toggle else self.voice.press()
        elif not toggle:
            self.voice.release()
        return True

    def _on_talk_pressed(self) -> None:
        if self.user_settings.voice.activation_mode == "toggle":
            self.voice.toggle()
        else:
            self.voice.press()

    def _on_talk_released(self) -> None:
        if self.user_settings.voice.activation_mode != "toggle":
            self.voice.release()

    def _on_voice_availability(self, available: bool, reason: str) -> None:
        button = self.chat.talk_button
        button.setEnabled(available)
        key = self.user_settings.voice.push_to_talk_key
        if available:
            button.setToolTip(f"Hold to speak a question ({key})")
        else:
            button.setToolTip(f"Voice input is off: {reason}")
            if reason and not reason.startswith("Checking"):
                self._flash(f"Voice input is off: {reason}")

    def _on_voice_state_changed(self, state: str) -> None:
        button = self.chat.talk_button
        recording = state in ("starting", "recording")
        button.setProperty("recording", recording)
        button.style().unpolish(button)
        button.style().polish(button)
        button.setText(
            {"recording": "Listening…", "transcribing": "…"}.get(state, "Talk")
        )
        self.chat.level.setVisible(recording)
        if state == "recording":
            self._flash("Listening… release the key to stop, Esc to cancel.")
        elif state == "transcribing":
            self.chat.progress_label.setText("Transcribing…")

    def _on_voice_level(self, value: float) -> None:
        self.chat.level.setValue(int(value * 100))

    def _on_voice_transcribed(self, text: str, audio_url: str) -> None:
        voice = self.user_settings.voice
        self.chat.set_transcript(
            text,
            audio_url or None,
            auto_send=voice.auto_send,
            confirm_seconds=voice.confirm_seconds,
        )

    def _on_voice_problem(self, message: str) -> None:
        self.chat.progress_label.setText(message)
        self._flash(message)

    def _on_speak_requested(self, text: str) -> None:
        if text:
            self.voice.speak(text)
        else:
            self.voice.stop_speaking()

    # --- locking ------------------------------------------------------------------

    def _on_idle(self) -> None:
        app = self.app
        self.tasks.submit(
            "check the password",
            lambda: password_set(app),
            on_done=lambda needed: self.lock() if needed else None,
        )

    def lock(self) -> bool:
        """Hides the window's content until the password is given."""
        if self._locked:
            return True
        self._locked = True
        self.pages.hide()
        dialog = LockDialog(self.app, self)
        unlocked = dialog.exec() == LockDialog.DialogCode.Accepted
        self._locked = False
        if not unlocked:
            self.close()
            return False
        self.pages.show()
        self.idle.reset()
        return True
