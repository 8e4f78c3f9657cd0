"""Settings: every user section and the system sections a single user needs.

The form is built from the typed settings models, so a new field shows up
without code here. Each change is validated, applied at once and saved.
"""

from __future__ import annotations

import logging
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

logger = logging.getLogger(__name__)

USER_SECTIONS = {
    "general": "General",
    "display": "Display",
    "voice": "Voice",
    "citations": "Citations",
    "clinical_context": "Clinical context",
    "privacy": "Privacy",
    "notifications": "Notifications",
    "shortcuts": "Shortcuts",
    "advanced": "Advanced",
}
SYSTEM_SECTIONS = {
    "ai_configuration": "AI configuration",
    "data_retention": "Data retention",
    "backup": "Backup",
    "logging": "Logging",
    "security": "Security",
}


def _label(name: str) -> str:
    text = name.replace("_", " ")
    for short, long in (("tts", "spoken answers"), ("stt", "speech model")):
        text = text.replace(short, long)
    return text[:1].upper() + text[1:]


def _bounds(info) -> tuple[float | None, float | None]:
    low = high = None
    for meta in info.metadata:
        low = getattr(meta, "ge", low) if getattr(meta, "ge", None) is not None else low
        high = (
            getattr(meta, "le", high) if getattr(meta, "le", None) is not None else high
        )
    return low, high


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `| None`, and whether None is allowed."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), True
    return annotation, False


class SectionForm(QWidget):
    """A form for one settings section (a pydantic model)."""

    changed = Signal(str, str, object)  # section, field, value

    def __init__(self, section: str, model: BaseModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.section = section
        self.editors: dict[str, QWidget] = {}
        layout = QFormLayout(self)
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            editor = self._editor(name, info, value)
            if editor is None:
                continue
            editor.setAccessibleName(
                f"{USER_SECTIONS.get(section, section)}: {_label(name)}"
            )
            if info.description:
                editor.setToolTip(info.description)
            self.editors[name] = editor
            layout.addRow(_label(name) + ":", editor)

    def _editor(self, name: str, info, value: Any) -> QWidget | None:
        annotation, optional = _base_type(info.annotation)
        emit = lambda v, n=name: self.changed.emit(self.section, n, v)  # noqa: E731
        if annotation is bool:
            box = QCheckBox()
            box.setChecked(bool(value))
            box.toggled.connect(emit)
            return box
        if typing.get_origin(annotation) is Literal:
            combo = QComboBox()
            choices = [str(c) for c in typing.get_args(annotation)]
            combo.addItems(choices)
            combo.setCurrentText(str(value))
            combo.currentTextChanged.connect(emit)
            return combo
        if annotation is int:
            spin = QSpinBox()
            low, high = _bounds(info)
            spin.setRange(int(low if low is not None else -1), int(high or 1_000_000))
            spin.setValue(int(value))
            spin.valueChanged.connect(emit)
            return spin
        if annotation is float:
            spin = QDoubleSpinBox(decimals=2, singleStep=0.05)
            low, high = _bounds(info)
            spin.setRange(float(low or 0.0), float(high or 1_000_000.0))
            spin.setValue(float(value))
            spin.valueChanged.connect(emit)
            return spin
        if annotation is str:
            edit = QLineEdit("" if value is None else str(value))
            if optional:
                edit.setPlaceholderText("(none)")
            edit.editingFinished.connect(
                lambda e=edit, o=optional: emit(e.text().strip() or (None if o else ""))
            )
            return edit
        if typing.get_origin(annotation) is list:
            edit = QLineEdit(", ".join(str(v) for v in value or []))
            edit.setPlaceholderText("comma-separated")
            edit.editingFinished.connect(
                lambda e=edit: emit(
                    [p.strip() for p in e.text().split(",") if p.strip()]
                )
            )
            return edit
        return None


class SettingsDialog(QDialog):
    """User and system settings, applied and saved as they change.

    Args:
        app: The running App.
        tasks: The window's TaskRunner.
    """

    #: Emitted after a change is saved: ("user" or "system", [sections]).
    saved = Signal(str, list)

    def __init__(self, app: Any, tasks: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._tasks = tasks
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.resize(620, 560)
        self.user = app.user_settings()
        self.system = app.system_settings()
        self.forms: dict[str, SectionForm] = {}

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Settings sections")
        for section, title in USER_SECTIONS.items():
            self._add(section, title, getattr(self.user, section))
        for section, title in SYSTEM_SECTIONS.items():
            self._add(f"system.{section}", title, getattr(self.system, section))

        self.password_button = QPushButton("Set or remove the app password…")
        self.password_button.setAccessibleName("Set or remove the app password")
        self.password_button.clicked.connect(self._on_password_clicked)
        security = self.forms["system.security"]
        security.layout().addRow(self.password_button)

        self.message = QLabel("Changes apply at once and are kept.", objectName="muted")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Settings state")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

        # Quick changes (a spin box held down) are saved together.
        self._dirty: set[str] = set()
        self._save_timer = QTimer(self, singleShot=True, interval=250)
        self._save_timer.timeout.connect(self.save_now)

    def _add(self, key: str, title: str, model: BaseModel) -> None:
        form = SectionForm(key, model)
        form.changed.connect(self._on_form_changed)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(form)
        self.tabs.addTab(scroll, title)
        self.forms[key] = form

    def _on_password_clicked(self) -> None:
        password, ok = QInputDialog.getText(
            self,
            "App password",
            "New password (at least 8 characters; leave empty to remove it).\n"
            "With a password, the window locks at start and when idle.",
            QLineEdit.EchoMode.Password,
        )
        if ok:
            self.set_password(password or None)

    def set_password(self, password: str | None) -> None:
        """Sets (or with None removes) the app password, in a worker."""
        app = self._app

        def save() -> bool:
            from voiceassist_desktop.storage.users import get_local_user, set_password

            with app.db.session() as session:
                set_password(session, get_local_user(session), password)
            app.record("auth.password", "user", details={"set": password is not None})
            return password is not None

        def done(is_set: bool) -> None:
            self.message.setText(
                "The app password is set: the window locks at start and when idle."
                if is_set
                else "The app password is removed."
            )

        self._tasks.submit(
            "set the app password",
            save,
            on_done=done,
            on_error=lambda error: self.message.setText(f"Not changed: {error}"),
        )

    def set_value(self, section: str, field: str, value: Any) -> bool:
        """Changes one setting (as the form does); False if it is refused."""
        return self._on_form_changed(section, field, value)

    def _on_form_changed(self, section: str, field: str, value: Any) -> bool:
        scope = "system" if section.startswith("system.") else "user"
        name = section.removeprefix("system.")
        root = self.system if scope == "system" else self.user
        current = getattr(root, name)
        try:
            updated = type(current).model_validate(
                {**current.model_dump(), field: value}
            )
        except ValidationError as exc:
            problem = exc.errors()[0].get("msg", str(exc))
            self.message.setText(f"{_label(field)}: {problem}")
            return False
        setattr(root, name, updated)
        self._dirty.add(scope)
        self.message.setText("Saving…")
        self._save_timer.start()
        return True

    def save_now(self) -> None:
        """Saves pending changes in a worker."""
        self._save_timer.stop()
        dirty, self._dirty = self._dirty, set()
        app, user, system = self._app, self.user.model_copy(), self.system.model_copy()

        def save():
            result: dict[str, list[str]] = {}
            if "user" in dirty:
                result["user"] = app.update_user_settings(user)
            if "system" in dirty:
                result["system"] = app.update_system_settings(system)
            return result

        def done(result: dict[str, list[str]]) -> None:
            self.message.setText("Saved. Changes apply at once and are kept.")
            for scope, sections in result.items():
                self.saved.emit(scope, list(sections))

        def failed(error: BaseException) -> None:
            self.message.setText(f"Not saved: {error}")

        if dirty:
            self._tasks.submit("save settings", save, on_done=done, on_error=failed)

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        if self._save_timer.isActive():
            self.save_now()
        super().done(result)
