"""The calculator panel: a form built from each tool's JSON Schema.

Values known from the conversation's clinical context are filled in; the
clinician can change any of them before running the calculator.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from voiceassist_desktop.gui.format import get

logger = logging.getLogger(__name__)


class CalculatorWidget(QWidget):
    """Choose a calculator, check the pre-filled values, run it.

    Args:
        app: The running App (its `tools` registry runs the calculators).
        tasks: The window's TaskRunner.
    """

    #: A result to show (its text, citations, the ToolCall).
    calculated = Signal(str, list, object)

    def __init__(self, app: Any, tasks: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._tasks = tasks
        self.session_id: str | None = None
        self._tools: list[Any] = []
        self._prefilled: dict[str, Any] = {}
        self.editors: dict[str, QWidget] = {}

        self.choice = QComboBox()
        self.choice.setAccessibleName("Calculator")
        self.choice.currentIndexChanged.connect(self._on_choice_changed)
        self.description = QLabel("", objectName="muted", wordWrap=True)
        self.form_holder = QWidget()
        self.form = QFormLayout(self.form_holder)
        self.run_button = QPushButton("Calculate")
        self.run_button.setObjectName("primary")
        self.run_button.setAccessibleName("Run the calculator")
        self.run_button.clicked.connect(self.run)
        self.result = QLabel("", wordWrap=True)
        self.result.setTextFormat(Qt.TextFormat.MarkdownText)
        self.result.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.result.setAccessibleName("Calculator result")

        layout = QVBoxLayout(self)
        layout.addWidget(self.choice)
        layout.addWidget(self.description)
        layout.addWidget(self.form_holder)
        layout.addWidget(self.run_button)
        layout.addWidget(self.result)
        layout.addStretch(1)

    def load_tools(self) -> None:
        """Lists the calculators (the registry is built in a worker)."""

        def load():
            return [t for t in self._app.tools.tools() if t.kind == "calculator"]

        self._tasks.submit("list calculators", load, on_done=self._on_tools)

    def _on_tools(self, tools: list[Any]) -> None:
        self._tools = tools
        self.choice.blockSignals(True)
        self.choice.clear()
        for tool in tools:
            self.choice.addItem(tool.title, tool.name)
        self.choice.blockSignals(False)
        self._on_choice_changed()

    def set_session(self, session_id: str | None) -> None:
        """The conversation whose clinical context pre-fills the form."""
        self.session_id = session_id
        self._on_choice_changed()

    @property
    def tool(self) -> Any | None:
        index = self.choice.currentIndex()
        return self._tools[index] if 0 <= index < len(self._tools) else None

    def select(self, name: str) -> None:
        index = self.choice.findData(name)
        if index >= 0:
            self.choice.setCurrentIndex(index)

    def _on_choice_changed(self, *_: Any) -> None:
        tool = self.tool
        if tool is None:
            return
        self.description.setText(tool.description)
        self._build_form(tool.schema)
        self.result.setText("")
        session_id, name = self.session_id, tool.name
        self._tasks.submit(
            "pre-fill a calculator",
            lambda: self._app.tools.prefill(name, session_id),
            on_done=lambda values: self._fill(name, values),
        )

    def _build_form(self, schema: dict) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors = {}
        required = set(schema.get("required", []))
        for name, spec in schema.get("properties", {}).items():
            label = spec.get("description") or name
            if spec.get("type") == "boolean":
                editor: QWidget = QCheckBox(label)
                editor.setChecked(bool(spec.get("default", False)))
                self.form.addRow(editor)
            elif "enum" in spec:
                editor = QComboBox()
                editor.addItems([""] + [str(v) for v in spec["enum"]])
                self.form.addRow(
                    label + ("" if name in required else " (optional)"), editor
                )
            else:
                editor = QLineEdit()
                low, high = spec.get("minimum"), spec.get("maximum")
                if low is not None and high is not None:
                    editor.setPlaceholderText(f"{low:g}–{high:g}")
                self.form.addRow(
                    label + ("" if name in required else " (optional)"), editor
                )
            editor.setAccessibleName(label)
            self.editors[name] = editor

    def _fill(self, name: str, values: dict[str, Any]) -> None:
        if self.tool is None or self.tool.name != name:
            return
        self._prefilled = dict(values)
        for field, value in values.items():
            editor = self.editors.get(field)
            if isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QLineEdit):
                editor.setText(f"{value:g}" if isinstance(value, float) else str(value))
            if editor is not None:
                editor.setToolTip("From this conversation's clinical context")

    def arguments(self) -> tuple[dict[str, Any], list[str]]:
        """The form's values typed per the schema, and the problems found."""
        tool = self.tool
        properties = tool.schema.get("properties", {}) if tool else {}
        values: dict[str, Any] = {}
        problems: list[str] = []
        for name, editor in self.editors.items():
            spec = properties.get(name, {})
            if isinstance(editor, QCheckBox):
                values[name] = editor.isChecked()
            elif isinstance(editor, QComboBox):
                if editor.currentText():
                    values[name] = editor.currentText()
            elif isinstance(editor, QLineEdit):
                text = editor.text().strip().replace(",", ".")
                if not text:
                    continue
                try:
                    number = float(text)
                except ValueError:
                    problems.append(f"{spec.get('description', name)}: not a number")
                    continue
                values[name] = int(number) if spec.get("type") == "integer" else number
        return values, problems

    def run(self) -> None:
        """Runs the chosen calculator in a worker."""
        tool = self.tool
        if tool is None:
            return
        arguments, problems = self.arguments()
        if problems:
            self.result.setText("\n\n".join(problems))
            return
        from_context = tuple(
            name
            for name, value in self._prefilled.items()
            if arguments.get(name) == value
        )
        registry, session_id = self._app.tools, self.session_id
        self.result.setText("Calculating…")

        def run():
            call = registry.run(
                tool.name,
                arguments,
                session_id=session_id,
                # No calculator changes data, so none asks for confirmation.
                confirm=None,
                from_context=from_context,
            )
            text, citations = registry.format_tool_answer(call)
            return text, citations, call

        self._tasks.submit(
            "run a calculator", run, on_done=self._on_result, on_error=self._on_error
        )

    def _on_result(self, result: tuple[str, list, Any]) -> None:
        text, citations, call = result
        lines = [text]
        for number, citation in enumerate(citations, start=1):
            lines.append(f"[{number}] {get(citation, 'title', '')}")
        self.result.setText("\n\n".join(lines))
        self.calculated.emit(text, citations, call)

    def _on_error(self, error: BaseException) -> None:
        reason = getattr(error, "reason", None) or str(error)
        self.result.setText(f"Not calculated: {reason}")
