"""The side panel: the conversation's clinical context and the answer's sources."""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from voiceassist_desktop.gui.format import citation_number, enum_text, get

logger = logging.getLogger(__name__)

# (field, label, unit, low, high, integer?)
_NUMBERS = (
    ("patient_age", "Age", "years", 0, 150, True),
    ("weight_kg", "Weight", "kg", 0.5, 500, False),
    ("height_cm", "Height", "cm", 20, 280, False),
    ("creatinine_mg_dl", "Serum creatinine", "mg/dL", 0.1, 25, False),
    ("bp_systolic", "Systolic BP", "mmHg", 50, 300, True),
    ("bp_diastolic", "Diastolic BP", "mmHg", 20, 200, True),
    ("heart_rate", "Heart rate", "/min", 20, 300, True),
    ("temperature", "Temperature", "°C", 25, 45, False),
    ("respiratory_rate", "Respiratory rate", "/min", 4, 80, True),
    ("o2_saturation", "O₂ saturation", "%", 50, 100, True),
)
_VITALS = (
    "bp_systolic",
    "bp_diastolic",
    "heart_rate",
    "temperature",
    "respiratory_rate",
    "o2_saturation",
)


def _split_list(text: str) -> list[str]:
    items = [part.strip() for part in text.replace("\n", ";").split(";")]
    return [item for item in items if item]


class ClinicalContextWidget(QWidget):
    """The form of a conversation's clinical context: validated, then saved.

    Emits `save_requested(dict)` with the fields in the seed's shape (plus the
    extra weight, height and laboratory values); the window saves it in a worker.
    """

    save_requested = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLineEdit] = {}
        self.sex = QComboBox()
        self.sex.addItems(["", "female", "male", "other"])
        self.sex.setAccessibleName("Sex")
        for name, label, unit, low, high, _integer in _NUMBERS:
            edit = QLineEdit()
            edit.setPlaceholderText(f"{unit} ({low:g}–{high:g})")
            edit.setAccessibleName(f"{label} in {unit}")
            self.fields[name] = edit
            form.addRow(f"{label}:", edit)
            if name == "patient_age":
                form.addRow("Sex:", self.sex)
        self.complaint = QLineEdit()
        self.complaint.setAccessibleName("Chief complaint")
        self.history = QPlainTextEdit()
        self.history.setAccessibleName("Relevant history")
        self.history.setFixedHeight(54)
        self.medications = QPlainTextEdit()
        self.medications.setAccessibleName("Current medications, one a line")
        self.medications.setFixedHeight(54)
        self.allergies = QLineEdit()
        self.allergies.setAccessibleName("Allergies, separated by semicolons")
        self.allergies.setPlaceholderText("separate with ;")
        form.insertRow(0, "Chief complaint:", self.complaint)
        form.addRow("History:", self.history)
        form.addRow("Medications:", self.medications)
        form.addRow("Allergies:", self.allergies)

        self.error = QLabel("", objectName="hint", wordWrap=True)
        self.error.setAccessibleName("Clinical context problems")
        self.saved_label = QLabel("", objectName="muted")
        self.save_button = QPushButton("Save context")
        self.save_button.setAccessibleName("Save the clinical context")
        self.save_button.clicked.connect(self.save)
        row = QHBoxLayout()
        row.addWidget(self.saved_label, 1)
        row.addWidget(self.save_button)

        hint = QLabel(
            "Used to tailor answers and to pre-fill calculators. Stays on this "
            "machine.",
            objectName="muted",
            wordWrap=True,
        )
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(row)
        layout.addStretch(1)

    def values(self) -> tuple[dict[str, Any], list[str]]:
        """The form as a context record, and the problems found (if any)."""
        record: dict[str, Any] = {}
        problems: list[str] = []
        numbers: dict[str, float | int] = {}
        for name, label, unit, low, high, integer in _NUMBERS:
            text = self.fields[name].text().strip().replace(",", ".")
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                problems.append(f"{label}: '{text}' is not a number.")
                continue
            if not low <= value <= high:
                problems.append(
                    f"{label}: {value:g} {unit} is outside {low:g}–{high:g}."
                )
                continue
            if integer:
                if value != int(value):
                    problems.append(f"{label}: give a whole number.")
                    continue
                value = int(value)
            numbers[name] = value

        if "patient_age" in numbers:
            record["patient_age"] = numbers["patient_age"]
        if self.sex.currentText():
            record["patient_sex"] = self.sex.currentText()
        for name in ("weight_kg", "height_cm"):
            if name in numbers:
                record[name] = float(numbers[name])
        if "creatinine_mg_dl" in numbers:
            record["lab_values"] = {
                "serum_creatinine_mg_dl": numbers["creatinine_mg_dl"]
            }
        vitals = {name: numbers[name] for name in _VITALS if name in numbers}
        if vitals:
            record["vital_signs"] = vitals
        if self.complaint.text().strip():
            record["chief_complaint"] = self.complaint.text().strip()
        if self.history.toPlainText().strip():
            record["relevant_history"] = self.history.toPlainText().strip()
        medications = _split_list(self.medications.toPlainText())
        if medications:
            record["current_medications"] = medications
        allergies = _split_list(self.allergies.text())
        if allergies:
            record["allergies"] = allergies
        return record, problems

    def save(self) -> bool:
        """Validates and asks for the context to be saved."""
        record, problems = self.values()
        for name, edit in self.fields.items():
            bad = any(p.startswith(self._label(name) + ":") for p in problems)
            edit.setProperty("invalid", bad)
            edit.setStyleSheet("border: 1px solid #cf222e;" if bad else "")
        if problems:
            self.error.setText("\n".join(problems))
            return False
        self.error.setText("")
        self.saved_label.setText("Saving…")
        self.save_requested.emit(record)
        return True

    def mark_saved(self, text: str = "Saved") -> None:
        self.saved_label.setText(text)

    @staticmethod
    def _label(name: str) -> str:
        return next(label for field, label, *_ in _NUMBERS if field == name)

    def set_context(self, context: Any) -> None:
        """Fills the form from a stored context (or empties it)."""
        for edit in self.fields.values():
            edit.clear()
            edit.setStyleSheet("")
        self.error.setText("")
        self.saved_label.setText("")
        self.sex.setCurrentText(enum_text(get(context, "patient_sex")))
        self.complaint.setText(get(context, "chief_complaint", ""))
        self.history.setPlainText(get(context, "relevant_history", ""))
        self.medications.setPlainText(
            "\n".join(get(context, "current_medications", []))
        )
        self.allergies.setText("; ".join(get(context, "allergies", [])))
        if context is None:
            return
        vitals = get(context, "vital_signs", {}) or {}
        labs = get(context, "lab_values", {}) or {}
        known = {
            "patient_age": get(context, "patient_age"),
            "weight_kg": get(context, "weight_kg"),
            "height_cm": get(context, "height_cm"),
            "creatinine_mg_dl": labs.get("serum_creatinine_mg_dl")
            or labs.get("creatinine_mg_dl"),
            **{name: vitals.get(name) for name in _VITALS},
        }
        for name, value in known.items():
            if value is not None:
                self.fields[name].setText(
                    f"{value:g}" if isinstance(value, float) else str(value)
                )


class SourceCard(QFrame):
    """One source of an answer: title, heading, page, snippet, score."""

    activated = Signal(dict)

    def __init__(self, number: int, citation: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.citation = citation
        self.setObjectName("sourceCard")
        # Cards keep their full height; the panel scrolls instead.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        title = get(citation, "title", "Untitled")
        heading = get(citation, "subtitle") or get(citation, "heading") or ""
        location = get(citation, "location") or (
            f"p. {citation['page_number']}" if get(citation, "page_number") else ""
        )
        score = get(citation, "relevance_score")
        self.setAccessibleName(f"Source {number}: {title}, {location}")
        self.setToolTip("Open the source at this page")

        badge = QLabel(str(number), objectName="cardNumber")
        head = QLabel(html.escape(title), objectName="cardTitle", wordWrap=True)
        meta_parts = [p for p in (heading, location) if p]
        if isinstance(score, (int, float)):
            meta_parts.append(f"relevance {score:.2f}")
        meta = QLabel(" · ".join(meta_parts), objectName="cardMeta", wordWrap=True)
        snippet_text = get(citation, "snippet", "")
        if len(snippet_text) > 320:
            snippet_text = snippet_text[:317].rsplit(" ", 1)[0] + "…"
        snippet = QLabel(
            f"“{html.escape(snippet_text)}”", objectName="cardSnippet", wordWrap=True
        )
        snippet.setTextFormat(Qt.TextFormat.RichText)

        top = QHBoxLayout()
        top.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(head, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(meta)
        layout.addWidget(snippet)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit(self.citation)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.citation)
            return
        super().keyPressEvent(event)


class SourcesWidget(QScrollArea):
    """The sources of the selected answer, as cards."""

    citation_activated = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Sources of the selected answer")
        self._holder = QWidget()
        self._layout = QVBoxLayout(self._holder)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self.setWidget(self._holder)
        self.cards: list[SourceCard] = []
        self.show_citations([])

    def show_citations(self, citations: list[dict]) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.cards = []
        if not citations:
            self._layout.addWidget(
                QLabel(
                    "The sources of the selected answer appear here.",
                    objectName="muted",
                    wordWrap=True,
                )
            )
        for position, citation in enumerate(citations):
            card = SourceCard(citation_number(citations, position), dict(citation))
            card.activated.connect(self.citation_activated)
            self._layout.addWidget(card)
            self.cards.append(card)
        self._layout.addStretch(1)
