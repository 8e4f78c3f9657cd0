"""Where errors go: plain messages for the environment, a crash dialog for bugs."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from voiceassist_desktop.core.errors import EnvironmentProblem
from voiceassist_desktop.core.logs import recent_lines

logger = logging.getLogger(__name__)


class CrashDialog(QDialog):
    """A bug: what happened, the traceback and the recent log lines."""

    def __init__(self, summary: str, details: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("VoiceAssist: something went wrong")
        self.setAccessibleName("Error report")
        self.resize(760, 520)
        intro = QLabel(
            "<b>Something went wrong inside VoiceAssist.</b><br>"
            f"{summary}<br>Your data is safe and the app keeps running. "
            "The report below helps to fix the problem; it holds no patient "
            "details.",
            wordWrap=True,
        )
        self.report = QPlainTextEdit(details, readOnly=True)
        self.report.setAccessibleName("Error details")
        self.report.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy report", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.report.toPlainText())
        )
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.report, 1)
        layout.addWidget(buttons)


def crash_report(exc_type, exc, tb) -> str:
    """The traceback and the recent log lines, as one text."""
    trace = "".join(traceback.format_exception(exc_type, exc, tb))
    lines = "\n".join(recent_lines(40))
    return f"{trace}\nRecent log lines:\n{lines or '(none)'}"


class ErrorReporter(QObject):
    """Shows errors on the GUI thread, from whatever thread they happen on.

    Install once: `sys.excepthook` and `threading.excepthook` route here.
    Dialogs are suppressed (only logged) when `interactive` is False, as in
    tests; `shown` still carries what would have been shown.
    """

    #: (title, text) of every error shown or suppressed.
    shown = Signal(str, str)
    _report = Signal(object, object, object, str)

    def __init__(self, parent: QObject | None = None, interactive: bool = True):
        super().__init__(parent)
        self.interactive = interactive
        self.window: QWidget | None = None
        self._report.connect(self._on_report, Qt.ConnectionType.QueuedConnection)
        self._previous = (sys.excepthook, threading.excepthook)
        self._open = 0

    def install(self) -> None:
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def excepthook(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        self._report.emit(exc_type, exc, tb, threading.current_thread().name)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        thread = args.thread.name if args.thread else "a thread"
        self._report.emit(args.exc_type, args.exc_value, args.exc_traceback, thread)

    def report(self, error: BaseException, what: str = "") -> None:
        """Shows an error caught by a worker (environment or bug)."""
        self._on_report(type(error), error, error.__traceback__, what)

    @Slot(object, object, object, str)
    def _on_report(self, exc_type, exc, tb, where: str) -> None:
        if isinstance(exc, EnvironmentProblem):
            title = "VoiceAssist"
            text = exc.message + (f"\n\nWhat to do: {exc.remedy}" if exc.remedy else "")
            logger.warning("environment problem: %s", exc.message)
            self.shown.emit(title, text)
            if self.interactive:
                QMessageBox.warning(self.window, title, text)
            return

        logger.error(
            "unexpected error in %s",
            where or "the window",
            exc_info=(exc_type, exc, tb),
        )
        details = getattr(exc, "__traceback_text__", None)
        report = (
            f"{details}\nRecent log lines:\n" + "\n".join(recent_lines(40))
            if details
            else crash_report(exc_type, exc, tb)
        )
        summary = f"{exc_type.__name__}: {exc}"
        self.shown.emit("Error", report)
        if self.interactive and self._open < 3:
            # A burst of errors must not bury the window under dialogs.
            self._open += 1
            try:
                CrashDialog(summary, report, self.window).exec()
            finally:
                self._open -= 1


def plain_message(title: str, problem: EnvironmentProblem | str) -> None:
    """A plain message box before the window exists (start-up problems)."""
    if isinstance(problem, EnvironmentProblem):
        text = problem.message + (
            f"\n\nWhat to do: {problem.remedy}" if problem.remedy else ""
        )
    else:
        text = str(problem)
    QMessageBox.warning(None, title, text)
