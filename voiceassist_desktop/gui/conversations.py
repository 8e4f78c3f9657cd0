"""The list of conversations on the left: grouped by date, searchable."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from voiceassist_desktop.gui.format import DATE_GROUPS, date_group, enum_text, get
from voiceassist_desktop.gui.theme import icon, themed

logger = logging.getLogger(__name__)

_ID_ROLE = Qt.ItemDataRole.UserRole
_MODE_ICONS = {"text": "chat", "voice": "mic", "case_workspace": "case"}
_MODE_NAMES = {"text": "typed", "voice": "voice", "case_workspace": "case"}


class ConversationListWidget(QWidget):
    """New, search, rename, archive and delete conversations.

    Args:
        app: The running App.
        tasks: The window's TaskRunner.
    """

    selected = Signal(str)
    new_requested = Signal()
    deleted = Signal(str)

    def __init__(self, app: Any, tasks: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._tasks = tasks
        self._current: str | None = None
        self._show_archived = False

        self.search_box = QLineEdit(placeholderText="Search conversations")
        self.search_box.setAccessibleName("Search conversations")
        self.search_box.setClearButtonEnabled(True)
        search_action = self.search_box.addAction(
            icon("search"), QLineEdit.ActionPosition.LeadingPosition
        )
        themed(search_action, "search")
        self.new_button = QToolButton(toolTip="New conversation (Ctrl+N)")
        themed(self.new_button, "new")
        self.new_button.setAccessibleName("New conversation")
        self.new_button.clicked.connect(self.new_requested)
        self.archived_button = QToolButton(toolTip="Show archived conversations")
        themed(self.archived_button, "archive")
        self.archived_button.setCheckable(True)
        self.archived_button.setAccessibleName("Show archived conversations")
        self.archived_button.toggled.connect(self._on_archived_toggled)

        self.list = QListWidget(objectName="conversations")
        self.list.setAccessibleName("Conversations")
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._on_list_menu)
        self.list.currentItemChanged.connect(self._on_list_current_changed)
        self.list.setUniformItemSizes(False)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        top = QHBoxLayout()
        top.addWidget(self.search_box, 1)
        top.addWidget(self.new_button)
        top.addWidget(self.archived_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)

        # Searching waits for a pause in typing, then runs off the GUI thread.
        self._search_timer = QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self.refresh)
        self.search_box.textChanged.connect(self._search_timer.start)

    def stop(self) -> None:
        """Stops the pending search (at shutdown)."""
        self._search_timer.stop()

    @property
    def current_id(self) -> str | None:
        return self._current

    def refresh(self, select: str | None = None) -> None:
        """Reloads the list in a worker; keeps or sets the selection."""
        query = self.search_box.text().strip()
        archived = self._show_archived
        conversations = self._app.conversations

        scope = None if archived else False

        def load():
            if query:
                return conversations.search(query, archived=scope)
            return conversations.list(archived=scope)

        want = select or self._current
        self._tasks.submit(
            "list conversations", load, on_done=lambda rows: self._fill(rows, want)
        )

    def _fill(self, rows: list[Any], select: str | None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        groups: dict[str, list[Any]] = {name: [] for name in DATE_GROUPS}
        for row in rows:
            if get(row, "is_archived", False) and not self._show_archived:
                continue
            when = get(row, "updated_at") or get(row, "created_at")
            groups[date_group(when)].append(row)

        chosen: QListWidgetItem | None = None
        for name in DATE_GROUPS:
            if not groups[name]:
                continue
            header = QListWidgetItem(name)
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            font = header.font()
            font.setBold(True)
            header.setFont(font)
            self.list.addItem(header)
            for row in groups[name]:
                item = self._item(row)
                self.list.addItem(item)
                if get(row, "id") == select:
                    chosen = item
        self.list.blockSignals(False)
        if chosen is not None:
            self.list.setCurrentItem(chosen)

    def _item(self, row: Any) -> QListWidgetItem:
        mode = enum_text(get(row, "mode", "text"))
        title = get(row, "title") or "New conversation"
        if get(row, "is_archived", False):
            title += "  (archived)"
        item = QListWidgetItem(icon(_MODE_ICONS.get(mode, "chat")), title)
        item.setData(_ID_ROLE, get(row, "id"))
        item.setToolTip(f"{title}\nMode: {_MODE_NAMES.get(mode, mode)}")
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{title}, {mode}")
        return item

    def select(self, session_id: str) -> None:
        """Selects a conversation (reloading if it is not listed yet)."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(_ID_ROLE) == session_id:
                self.list.setCurrentItem(item)
                return
        self._current = session_id
        self.refresh(select=session_id)

    def _on_list_current_changed(self, item: QListWidgetItem | None, _prev) -> None:
        if item is None or not item.data(_ID_ROLE):
            return
        session_id = item.data(_ID_ROLE)
        if session_id != self._current:
            self._current = session_id
            self.selected.emit(session_id)

    def _on_archived_toggled(self, checked: bool) -> None:
        self._show_archived = checked
        self.refresh()

    def _on_list_menu(self, point) -> None:
        item = self.list.itemAt(point)
        if item is None or not item.data(_ID_ROLE):
            return
        session_id = item.data(_ID_ROLE)
        menu = QMenu(self)
        menu.addAction(icon("rename"), "Rename…", lambda: self.rename(session_id))
        archived = "(archived)" in item.text()
        menu.addAction(
            icon("archive"),
            "Unarchive" if archived else "Archive",
            lambda: self.archive(session_id, not archived),
        )
        menu.addAction(icon("delete"), "Delete…", lambda: self.delete(session_id))
        menu.exec(self.list.mapToGlobal(point))

    def rename(self, session_id: str, title: str | None = None) -> None:
        """Renames a conversation (asks for the title when none is given)."""
        if title is None:
            current = ""
            for row in range(self.list.count()):
                if self.list.item(row).data(_ID_ROLE) == session_id:
                    current = self.list.item(row).text()
            title, ok = QInputDialog.getText(
                self, "Rename conversation", "Title:", text=current
            )
            if not ok or not title.strip():
                return
        self._tasks.submit(
            "rename conversation",
            lambda: self._app.conversations.rename(session_id, title.strip()),
            on_done=lambda _: self.refresh(),
        )

    def archive(self, session_id: str, archived: bool = True) -> None:
        """Archives (or brings back) a conversation."""
        conversations = self._app.conversations

        def run():
            if archived:
                return conversations.archive(session_id)
            return conversations.unarchive(session_id)

        self._tasks.submit(
            "archive conversation", run, on_done=lambda _: self.refresh()
        )

    def delete(self, session_id: str, confirm: bool = True) -> None:
        """Deletes a conversation after confirmation."""
        if confirm:
            answer = QMessageBox.question(
                self,
                "Delete conversation",
                "Delete this conversation and its messages? This cannot be undone.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return

        def done(_):
            if self._current == session_id:
                self._current = None
            self.deleted.emit(session_id)
            self.refresh()

        self._tasks.submit(
            "delete conversation",
            lambda: self._app.conversations.delete(session_id),
            on_done=done,
        )
