"""The audit log viewer: read-only, filtered by action, status and date."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from voiceassist_desktop.gui.format import enum_text, local_time

logger = logging.getLogger(__name__)

MAX_ROWS = 2000
_ALL = "(all)"


def query_audit(
    db: Any,
    action: str | None,
    status: str | None,
    start: datetime | None,
    end: datetime | None,
) -> tuple[list[dict], list[str]]:
    """Entries matching the filters, newest first, and every known action."""
    from sqlalchemy import select

    from voiceassist_desktop.storage.models import AuditLogEntry

    statement = select(AuditLogEntry).order_by(AuditLogEntry.sequence.desc())
    if action:
        statement = statement.where(AuditLogEntry.action == action)
    if status:
        statement = statement.where(AuditLogEntry.status == status)
    if start:
        statement = statement.where(AuditLogEntry.timestamp >= start)
    if end:
        statement = statement.where(AuditLogEntry.timestamp < end)
    with db.session() as session:
        rows = [
            {
                "sequence": entry.sequence,
                "timestamp": entry.timestamp,
                "action": entry.action,
                "resource": f"{entry.resource_type}"
                + (f" {entry.resource_id[:8]}" if entry.resource_id else ""),
                "status": enum_text(entry.status),
                "phi": "yes" if entry.phi_accessed else "",
                "details": json.dumps(entry.details, ensure_ascii=False)
                if entry.details
                else "",
            }
            for entry in session.scalars(statement.limit(MAX_ROWS))
        ]
        actions = sorted(session.scalars(select(AuditLogEntry.action).distinct()).all())
    return rows, actions


class AuditLogDialog(QDialog):
    """Shows the audit trail; nothing here can change it."""

    COLUMNS = ("#", "Time", "Action", "Resource", "Status", "PHI", "Details")

    def __init__(self, app: Any, tasks: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._tasks = tasks
        self.setWindowTitle("Audit log")
        self.setAccessibleName("Audit log")
        self.resize(980, 600)

        self.action = QComboBox()
        self.action.addItem(_ALL)
        self.action.setAccessibleName("Filter by action")
        self.status = QComboBox()
        self.status.addItems([_ALL, "success", "failure", "denied"])
        self.status.setAccessibleName("Filter by status")
        today = QDate.currentDate()
        self.start = QDateEdit(today.addDays(-30), calendarPopup=True)
        self.start.setAccessibleName("From date")
        self.end = QDateEdit(today, calendarPopup=True)
        self.end.setAccessibleName("To date")
        refresh = QPushButton("Apply")
        refresh.setAccessibleName("Apply the filters")
        refresh.clicked.connect(self.reload)
        for combo in (self.action, self.status):
            combo.currentIndexChanged.connect(self.reload)

        self.model = QStandardItemModel(0, len(self.COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit entries")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(
            len(self.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch
        )
        self.count = QLabel("", objectName="muted")

        filters = QHBoxLayout()
        for label, widget in (
            ("Action", self.action),
            ("Status", self.status),
            ("From", self.start),
            ("To", self.end),
        ):
            filters.addWidget(QLabel(label + ":"))
            filters.addWidget(widget)
        filters.addWidget(refresh)
        filters.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        self.reload()

    def reload(self) -> None:
        action = self.action.currentText()
        status = self.status.currentText()
        start = datetime.combine(self.start.date().toPython(), time()).astimezone()
        end = datetime.combine(self.end.date().toPython(), time()).astimezone()
        end += timedelta(days=1)
        db = self._app.db
        self._tasks.submit(
            "read the audit log",
            lambda: query_audit(
                db,
                None if action == _ALL else action,
                None if status == _ALL else status,
                start.astimezone(UTC),
                end.astimezone(UTC),
            ),
            on_done=self._on_loaded,
        )

    def _on_loaded(self, result: tuple[list[dict], list[str]]) -> None:
        rows, actions = result
        current = self.action.currentText()
        self.action.blockSignals(True)
        self.action.clear()
        self.action.addItems([_ALL, *actions])
        self.action.setCurrentText(current if current in actions else _ALL)
        self.action.blockSignals(False)

        self.model.removeRows(0, self.model.rowCount())
        for row in rows:
            cells = [
                str(row["sequence"]),
                local_time(row["timestamp"]),
                row["action"],
                row["resource"],
                row["status"],
                row["phi"],
                row["details"],
            ]
            items = [QStandardItem(cell) for cell in cells]
            items[-1].setToolTip(row["details"])
            items[0].setTextAlignment(Qt.AlignmentFlag.AlignRight)
            self.model.appendRow(items)
        self.table.resizeColumnsToContents()
        more = f" (the newest {MAX_ROWS})" if len(rows) >= MAX_ROWS else ""
        self.count.setText(f"{len(rows)} entries{more}")

    @property
    def row_count(self) -> int:
        return self.model.rowCount()
