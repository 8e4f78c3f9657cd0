"""The lock screen: the app password at start and after the idle time."""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from voiceassist_desktop.storage import access

logger = logging.getLogger(__name__)

_INPUT_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
}


def password_set(app: Any) -> bool:
    """Whether the user chose an app password."""
    return access.password_is_set(app.db)


def check_password(app: Any, password: str) -> bool:
    """Checks the app password; the attempt is audited as a sign-in."""
    return access.sign_in(app.db, app.audit, password)


class LockDialog(QDialog):
    """Asks for the app password; the window stays hidden behind it."""

    def __init__(self, app: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self.setWindowTitle("VoiceAssist is locked")
        self.setAccessibleName("Lock screen")
        self.setModal(True)
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password.setPlaceholderText("App password")
        self.message = QLabel("", objectName="hint")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Unlock")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        buttons.accepted.connect(self._on_unlock)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Enter the app password to continue."))
        layout.addWidget(self.password)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def _on_unlock(self) -> None:
        # bcrypt takes a fraction of a second, on purpose; fine for one check.
        if check_password(self._app, self.password.text()):
            self.accept()
            return
        self.password.clear()
        self.message.setText("That is not the password.")


class IdleWatcher(QObject):
    """Emits `idle` once no input has arrived for `minutes`."""

    idle = Signal()

    def __init__(self, minutes: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.minutes = minutes
        self._last = time.monotonic()
        self._timer = QTimer(self, interval=15_000)
        self._timer.timeout.connect(self._check)
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in _INPUT_EVENTS:
            self._last = time.monotonic()
        return False

    def reset(self) -> None:
        self._last = time.monotonic()

    def _check(self) -> None:
        if self.minutes <= 0:
            return
        if time.monotonic() - self._last >= self.minutes * 60:
            self._last = time.monotonic()
            self.idle.emit()

    def stop(self) -> None:
        self._timer.stop()
