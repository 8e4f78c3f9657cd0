"""The source viewer: a cited document at the cited page, the passage highlighted."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, Qt, QUrl, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QDesktopServices,
    QPainter,
    QPixmap,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from voiceassist_desktop.gui.format import enum_text, get, reference_line
from voiceassist_desktop.gui.pdf_render import PageRenderer, RenderedPage
from voiceassist_desktop.gui.theme import Theme, themed

logger = logging.getLogger(__name__)

_SCALE = 1.6  # pixels per PDF point: sharp text at a readable size


@dataclass
class SourceRecord:
    """What the viewer needs about a cited document and chunk."""

    document_id: str
    title: str
    file_path: str
    file_format: str
    page_count: int | None
    chunk_text: str = ""
    chunk_page: int | None = None
    char_start: int | None = None
    char_end: int | None = None
    document_chunks: list[str] | None = None


def load_source(db: Any, citation: dict) -> SourceRecord:
    """Reads the cited document and chunk from the database (call in a worker)."""
    from sqlalchemy import select

    from voiceassist_desktop.storage.models import KBChunk, KnowledgeDocument

    document_id = get(citation, "source_id") or get(citation, "document_id")
    chunk_id = get(citation, "chunk_id")
    with db.session() as session:
        chunk = session.get(KBChunk, chunk_id) if chunk_id else None
        if not document_id and chunk is not None:
            document_id = chunk.document_id
        document = session.get(KnowledgeDocument, document_id) if document_id else None
        if document is None:
            raise LookupError("The cited document is no longer in the library.")
        record = SourceRecord(
            document_id=document.id,
            title=document.title,
            file_path=document.file_path,
            file_format=enum_text(document.file_format),
            page_count=document.page_count,
        )
        if chunk is not None:
            record.chunk_text = chunk.content
            record.chunk_page = chunk.page_number
            record.char_start = chunk.char_start
            record.char_end = chunk.char_end
        if not Path(record.file_path).is_file():
            # The file moved: show the text as imported instead.
            record.document_chunks = list(
                session.scalars(
                    select(KBChunk.content)
                    .where(KBChunk.document_id == document.id)
                    .order_by(KBChunk.chunk_index)
                )
            )
    return record


def load_text(record: SourceRecord) -> str:
    """The whole text of an HTML, DOCX or TXT source (call in a worker)."""
    if record.document_chunks is not None:
        return "\n\n".join(record.document_chunks)
    from voiceassist_desktop.knowledge.converters import convert_file

    converted = convert_file(Path(record.file_path))
    return "\n\n".join(page.text for page in converted.pages)


def _collapse(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    origin: list[int] = []
    space = True
    for index, char in enumerate(text):
        if char.isspace():
            if not space:
                out.append(" ")
                origin.append(index)
            space = True
            continue
        out.append(char.lower())
        origin.append(index)
        space = False
    return "".join(out), origin


def locate_in_text(text: str, record: SourceRecord, snippet: str) -> tuple[int, int]:
    """Where the cited passage is in a document's text: (start, end), or (-1, -1)."""
    start, end = record.char_start, record.char_end
    if (
        start is not None
        and end is not None
        and 0 <= start < end <= len(text)
        and record.chunk_text
        and _collapse(text[start:end])[0][:40] == _collapse(record.chunk_text)[0][:40]
    ):
        return start, end

    haystack, origin = _collapse(text)
    for needle in (snippet, record.chunk_text):
        words = (needle or "").replace("…", " ").split()
        for size in (len(words), 12, 8):
            for first in range(0, max(1, len(words) - size + 1), max(1, size)):
                probe = _collapse(" ".join(words[first : first + size]))[0].strip()
                if len(probe) < 15:
                    continue
                at = haystack.find(probe)
                if at >= 0:
                    begin = origin[at]
                    finish = origin[min(len(origin) - 1, at + len(probe) - 1)] + 1
                    if size != len(words) and record.chunk_text:
                        finish = max(finish, min(len(text), begin + len(needle)))
                    return begin, finish
    return -1, -1


class PageView(QLabel):
    """A rendered page with the passage's rectangles painted over it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setAccessibleName("Page image")
        self.highlight_rects: list[QRectF] = []

    def show_page(self, page: RenderedPage) -> None:
        pixmap = QPixmap()
        pixmap.loadFromData(page.png, "PNG")
        self.highlight_rects = [
            QRectF(*rect).adjusted(-2, -2, 2, 2) for rect in page.rects
        ]
        if self.highlight_rects:
            painter = QPainter(pixmap)
            # A highlighter stroke: translucent yellow, no outline.
            colour = QColor("#ffd400")
            colour.setAlpha(110)
            painter.setBrush(QBrush(colour))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setCompositionMode(
                QPainter.CompositionMode.CompositionMode_Multiply
            )
            for rect in self.highlight_rects:
                painter.drawRect(rect)
            painter.end()
        self.setPixmap(pixmap)
        self.resize(pixmap.size())


class SourceViewerDialog(QDialog):
    """Opens a citation's document at its page with the passage highlighted.

    Args:
        app: The running App.
        tasks: The window's TaskRunner.
        renderer: The shared PDF page renderer.
        citation: The Citation dict (title, location, snippet, source_id,
            page_number, chunk_id...).
    """

    #: Emitted once the page (or text) is on screen.
    shown_page = Signal(int)
    #: Emitted when the source could not be shown (the message).
    failed = Signal(str)

    def __init__(
        self,
        app: Any,
        tasks: Any,
        renderer: PageRenderer,
        citation: dict,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._app = app
        self._tasks = tasks
        self._renderer = renderer
        self.citation = dict(citation)
        self.record: SourceRecord | None = None
        self.page_number: int | None = get(citation, "page_number")
        self.highlighted = False
        self.setWindowTitle(f"Source: {get(citation, 'title', 'document')}")
        self.setAccessibleName("Source viewer")
        self.resize(900, 1000)

        self.heading = QLabel(reference_line(citation), objectName="cardTitle")
        self.heading.setWordWrap(True)
        self.heading.setAccessibleName("Cited source")
        self.state = QLabel("Opening…", objectName="muted")
        self.state.setAccessibleName("Viewer state")
        self.previous_button = QPushButton("◀ Previous page")
        self.previous_button.setAccessibleName("Previous page")
        self.previous_button.clicked.connect(lambda: self.go_to_page(self._page() - 1))
        self.next_button = QPushButton("Next page ▶")
        self.next_button.setAccessibleName("Next page")
        self.next_button.clicked.connect(lambda: self.go_to_page(self._page() + 1))
        self.page_box = QSpinBox(minimum=1, maximum=1)
        self.page_box.setAccessibleName("Page number")
        self.page_box.setPrefix("PDF page ")
        self.page_box.editingFinished.connect(
            lambda: self.go_to_page(self.page_box.value())
        )
        self.external_button = themed(
            QPushButton("Open in the system viewer"), "external"
        )
        self.external_button.setAccessibleName("Open in the system viewer")
        self.external_button.clicked.connect(self.open_externally)
        for widget in (self.previous_button, self.next_button, self.page_box):
            widget.setVisible(False)

        self.page_view = PageView()
        self.page_scroll = QScrollArea()
        self.page_scroll.setWidget(self.page_view)
        self.page_scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.text_view = QTextBrowser()
        self.text_view.setAccessibleName("Source text")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.page_scroll)
        self.stack.addWidget(self.text_view)

        bar = QHBoxLayout()
        bar.addWidget(self.previous_button)
        bar.addWidget(self.page_box)
        bar.addWidget(self.next_button)
        bar.addStretch(1)
        bar.addWidget(self.external_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(bar)
        layout.addWidget(self.state)
        layout.addWidget(self.stack, 1)

        self._tasks.submit(
            "open a source",
            lambda: load_source(self._app.db, self.citation),
            on_done=self._on_record,
            on_error=self._on_error,
        )

    def _page(self) -> int:
        return self.page_number or 1

    def _on_error(self, error: BaseException) -> None:
        message = getattr(error, "message", None) or str(error)
        self.state.setText(f"The source could not be opened: {message}")
        self.failed.emit(message)

    def _on_record(self, record: SourceRecord) -> None:
        self.record = record
        if record.file_format == "pdf" and record.document_chunks is None:
            self.page_number = self.page_number or record.chunk_page or 1
            for widget in (self.previous_button, self.next_button, self.page_box):
                widget.setVisible(True)
            self.page_box.setMaximum(max(1, record.page_count or self._page()))
            self.go_to_page(self._page())
            return

        self.stack.setCurrentWidget(self.text_view)
        if record.document_chunks is not None:
            self.state.setText(
                "The original file is no longer where it was imported from; "
                "showing the imported text."
            )
            self.external_button.setEnabled(False)
        self._tasks.submit(
            "read a source",
            lambda: load_text(record),
            on_done=self._on_text,
            on_error=self._on_error,
        )

    def go_to_page(self, number: int) -> None:
        """Shows physical page `number` (1-based) of a PDF source."""
        record = self.record
        if record is None or record.file_format != "pdf":
            return
        number = max(1, min(number, record.page_count or number))
        self.page_number = number
        self.page_box.setValue(number)
        self.state.setText(f"Rendering page {number}…")
        cited = number == (get(self.citation, "page_number") or record.chunk_page)
        passages = (
            [get(self.citation, "snippet", ""), record.chunk_text] if cited else []
        )
        path, renderer = record.file_path, self._renderer
        fit = max(400, self.page_scroll.viewport().width() - 24)
        self._tasks.submit(
            "render a page",
            lambda: renderer.render(path, number, _SCALE, passages, fit),
            on_done=self._on_page,
            on_error=self._on_error,
        )

    def _on_page(self, page: RenderedPage) -> None:
        if page.page_number != self.page_number:
            return  # a later page was asked for meanwhile
        self.page_view.show_page(page)
        self.page_box.setMaximum(page.page_count)
        self.previous_button.setEnabled(page.page_number > 1)
        self.next_button.setEnabled(page.page_number < page.page_count)
        self.highlighted = page.found
        cited = page.page_number == get(self.citation, "page_number")
        location = get(self.citation, "location") or f"p. {page.page_number}"
        if cited and page.found:
            self.state.setText(f"{location}: the cited passage is highlighted.")
        elif cited:
            self.state.setText(
                f"{location}: the passage could not be located exactly on the page."
            )
        else:
            self.state.setText(f"PDF page {page.page_number} of {page.page_count}")
        if page.rects:
            top = min(rect[1] for rect in page.rects)
            self.page_scroll.verticalScrollBar().setValue(max(0, int(top) - 120))
        self.shown_page.emit(page.page_number)

    def _on_text(self, text: str) -> None:
        record = self.record
        self.text_view.setPlainText(text)
        start, end = locate_in_text(text, record, get(self.citation, "snippet", ""))
        self.highlighted = start >= 0
        if start >= 0:
            cursor = QTextCursor(self.text_view.document())
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            highlight = QTextCharFormat()
            highlight.setBackground(QColor(Theme.colours.get("highlight", "#ffe066")))
            if Theme.scheme == "dark":
                highlight.setForeground(QColor("#ffffff"))
            cursor.mergeCharFormat(highlight)
            # Scroll so the passage sits near the top, not at the bottom edge.
            end_cursor = QTextCursor(self.text_view.document())
            end_cursor.movePosition(QTextCursor.MoveOperation.End)
            self.text_view.setTextCursor(end_cursor)
            self.text_view.ensureCursorVisible()
            cursor.setPosition(start)
            self.text_view.setTextCursor(cursor)
            self.text_view.ensureCursorVisible()
            if record.document_chunks is None:
                self.state.setText("The cited passage is highlighted.")
        elif record.document_chunks is None:
            self.state.setText("The passage could not be located exactly.")
        self.shown_page.emit(get(self.citation, "page_number") or 0)

    def open_externally(self) -> bool:
        """Opens the file in the system's viewer."""
        if self.record is None:
            return False
        url = QUrl.fromLocalFile(self.record.file_path)
        if self.record.file_format == "pdf" and self.page_number:
            url.setFragment(f"page={self.page_number}")
        return QDesktopServices.openUrl(url)
