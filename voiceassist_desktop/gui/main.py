"""`voiceassist` with no arguments: the window.

The window opens before any model loads; models, the vector index and the
library start in workers once it is on screen.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSplashScreen

from voiceassist_desktop.core.errors import AlreadyRunning, EnvironmentProblem
from voiceassist_desktop.gui.errors import ErrorReporter, plain_message
from voiceassist_desktop.gui.lock import LockDialog, password_set
from voiceassist_desktop.gui.theme import apply_theme, icon

logger = logging.getLogger(__name__)


def make_qt_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (the existing one if there is one)."""
    existing = QApplication.instance()
    if existing is not None:
        return existing
    qt_app = QApplication(argv if argv is not None else sys.argv[:1])
    qt_app.setApplicationName("VoiceAssist")
    qt_app.setApplicationDisplayName("VoiceAssist")
    qt_app.setDesktopFileName("voiceassist")
    return qt_app


def follow_system_theme(qt_app: QApplication, app: Any) -> None:
    """Re-applies the theme when the desktop switches light and dark."""

    def on_change(*_: Any) -> None:
        settings = app.user_settings()
        if settings.general.theme == "system":
            apply_theme(qt_app, "system", settings.display.font_size)

    QGuiApplication.styleHints().colorSchemeChanged.connect(on_change)


def opening_splash() -> QSplashScreen:
    """A small 'opening' card shown while the database is checked."""
    pixmap = QPixmap(360, 120)
    pixmap.fill(QColor("#1f6feb"))
    painter = QPainter(pixmap)
    painter.drawPixmap(20, 36, icon("app").pixmap(48, 48))
    painter.setPen(QColor("#ffffff"))
    font = painter.font()
    font.setPointSize(14)
    painter.setFont(font)
    painter.drawText(84, 68, "Opening VoiceAssist…")
    painter.end()
    splash = QSplashScreen(pixmap)
    splash.show()
    QApplication.processEvents()
    return splash


def quit_on_signals(qt_app: QApplication) -> QTimer:
    """Closes the window cleanly on SIGINT and SIGTERM (a logout, Ctrl+C).

    Python runs signal handlers only when it holds the interpreter; a short
    timer hands it control while Qt's event loop runs.
    """
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: qt_app.closeAllWindows())
    timer = QTimer(qt_app, interval=300)
    timer.timeout.connect(lambda: None)
    timer.start()
    return timer


def run_window(app_factory: Callable[[], Any] | None = None) -> int:
    """Opens the window and runs until it closes; returns the exit code.

    Args:
        app_factory: Builds the (not yet started) App; the command line passes
            the App class. The window itself never imports the composition
            root, which sits above it.
    """
    if app_factory is None:
        raise TypeError("run_window needs the App factory (voiceassist passes it)")
    qt_app = make_qt_app()
    qt_app.setWindowIcon(icon("app"))
    reporter = ErrorReporter(qt_app, interactive=True)
    reporter.install()
    apply_theme(qt_app)
    splash = opening_splash()

    try:
        app = app_factory().start()
    except AlreadyRunning as exc:
        splash.close()
        plain_message("VoiceAssist is already open", exc)
        reporter.uninstall()
        return 1
    except EnvironmentProblem as exc:
        splash.close()
        plain_message("VoiceAssist cannot start", exc)
        reporter.uninstall()
        return 2

    from voiceassist_desktop.gui.window import MainWindow

    window = None
    try:
        settings = app.user_settings()
        apply_theme(qt_app, settings.general.theme, settings.display.font_size)
        follow_system_theme(qt_app, app)
        splash.close()

        if (
            password_set(app)
            and LockDialog(app).exec() != LockDialog.DialogCode.Accepted
        ):
            return 0

        window = MainWindow(app, reporter=reporter)
        quit_on_signals(qt_app)
        window.show()
        logger.info("window shown")
        QTimer.singleShot(0, window.start)
        return qt_app.exec()
    finally:
        if window is not None:
            window.shutdown()
        app.close()
        reporter.uninstall()
