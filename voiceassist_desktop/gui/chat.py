"""The conversation in the middle: messages with citation links, the question box."""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from voiceassist_desktop.gui.format import (
    answer_html,
    citation_by_number,
    citation_number,
    enum_text,
    get,
    local_time,
    reference_line,
    with_references,
)
from voiceassist_desktop.gui.theme import Theme, themed

logger = logging.getLogger(__name__)


def message_citations(message: Any) -> list[dict]:
    """The citations stored in a message's metadata."""
    meta = get(message, "meta") or get(message, "metadata") or {}
    if not isinstance(meta, dict):
        return []
    return list(meta.get("citations") or [])


class QuestionEdit(QPlainTextEdit):
    """The question box: Enter sends, Shift+Enter starts a new line."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class ConversationWidget(QWidget):
    """Shows one conversation and asks the assistant new questions.

    Args:
        app: The running App.
        tasks: The window's TaskRunner.
    """

    #: A conversation was created or changed by an answer (its id).
    conversation_changed = Signal(str)
    #: The answer whose sources the side panel should show (message, citations).
    answer_selected = Signal(object, list)
    #: A citation marker or reference was clicked.
    citation_activated = Signal(dict)
    #: An answer arrived (the AnswerResult).
    answered = Signal(object)
    #: A question failed (the exception).
    failed = Signal(object)
    #: Text for the status bar.
    status = Signal(str)
    #: Read an answer aloud (its text); empty text stops speaking.
    speak_requested = Signal(str)

    def __init__(self, app: Any, tasks: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._tasks = tasks
        self.session_id: str | None = None
        self.mode = "text"
        self._messages: list[Any] = []
        self._by_id: dict[str, Any] = {}
        self._selected_answer: Any = None
        self._pending_question: str | None = None
        self.busy = False

        self.title = QLabel("New conversation", objectName="sectionTitle")
        self.title.setAccessibleName("Conversation title")
        self.view = QTextBrowser(objectName="messages")
        self.view.setOpenLinks(False)
        self.view.setAccessibleName("Messages")
        self.view.anchorClicked.connect(self._on_view_anchor_clicked)
        self.view.setPlaceholderText(
            "Answers come from your library; click a number to open its source."
        )

        self.copy_button = QToolButton(text="Copy with references")
        themed(self.copy_button, "copy")
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.copy_button.setAccessibleName("Copy the answer with its references")
        self.copy_button.clicked.connect(self.copy_selected_answer)
        self.speak_button = QToolButton(text="Read aloud")
        themed(self.speak_button, "speaker")
        self.speak_button.setToolButtonStyle(
            Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        )
        self.speak_button.setAccessibleName("Read the answer aloud")
        self.speak_button.clicked.connect(self._on_speak_clicked)
        self.stop_speaking_button = QToolButton(text="Stop")
        themed(self.stop_speaking_button, "stop")
        self.stop_speaking_button.setToolButtonStyle(
            Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        )
        self.stop_speaking_button.setAccessibleName("Stop reading aloud")
        self.stop_speaking_button.clicked.connect(lambda: self.speak_requested.emit(""))
        for button in (self.copy_button, self.speak_button, self.stop_speaking_button):
            button.setEnabled(False)
        answer_bar = QHBoxLayout()
        answer_bar.addWidget(self.copy_button)
        answer_bar.addWidget(self.speak_button)
        answer_bar.addWidget(self.stop_speaking_button)
        answer_bar.addStretch(1)

        self.question = QuestionEdit(objectName="question")
        self.question.setPlaceholderText(
            "Ask a question (Enter to send, Shift+Enter for a new line; hold F9 "
            "to speak)"
        )
        self.question.setAccessibleName("Question")
        self.question.setFixedHeight(72)
        self.question.submitted.connect(self.send)
        self.send_button = themed(QPushButton("Send"), "send", "#ffffff")
        self.send_button.setObjectName("primary")
        self.send_button.setAccessibleName("Send the question")
        self.send_button.clicked.connect(self.send)
        self.talk_button = QToolButton(objectName="pushToTalk")
        themed(self.talk_button, "mic")
        self.talk_button.setText("Talk")
        self.talk_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.talk_button.setAccessibleName("Push to talk")
        self.talk_button.setToolTip("Hold to speak a question (F9)")
        self.level = QProgressBar(maximum=100, textVisible=False)
        self.level.setAccessibleName("Microphone level")
        self.level.setFixedWidth(90)
        self.level.setFixedHeight(10)
        self.level.hide()
        self.progress_label = QLabel("", objectName="muted")
        self.progress_label.setAccessibleName("Progress")

        ask_row = QHBoxLayout()
        ask_row.addWidget(self.question, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.talk_button)
        buttons.addWidget(self.level)
        ask_row.addLayout(buttons)

        # A spoken question waits a moment in the box so it can be checked.
        self._voice_audio_url: str | None = None
        self._filling = False
        self._remaining = 0
        self._countdown = QTimer(self, interval=1000)
        self._countdown.timeout.connect(self._on_countdown_timeout)
        self.question.textChanged.connect(self._on_question_text_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        layout.addLayout(answer_bar)
        layout.addWidget(self.progress_label)
        layout.addLayout(ask_row)

    # --- loading ------------------------------------------------------------------

    def clear(self) -> None:
        """Starts a new, empty conversation (created on the first question)."""
        self.session_id = None
        self.mode = "text"
        self._messages = []
        self._by_id = {}
        self.title.setText("New conversation")
        self._select_answer(None)
        self._render()

    def load(self, session_id: str) -> None:
        """Loads a conversation's messages in a worker."""
        self.session_id = session_id
        conversations = self._app.conversations

        def fetch():
            session = None
            try:
                session = conversations.get(session_id)
            except Exception:  # the title is a nicety; messages are what matter
                logger.debug("no session record for %s", session_id)
            return session, list(conversations.messages(session_id))

        self._tasks.submit(
            "load conversation",
            fetch,
            on_done=lambda result: self._on_loaded(session_id, *result),
        )

    def _on_loaded(self, session_id: str, session: Any, messages: list[Any]) -> None:
        if session_id != self.session_id:
            return  # the user moved on while it loaded
        if session is not None:
            self.title.setText(get(session, "title") or "Conversation")
            self.mode = enum_text(get(session, "mode", "text")) or "text"
        self._messages = messages
        self._by_id = {str(get(m, "id")): m for m in messages}
        answers = [m for m in messages if enum_text(get(m, "role")) == "assistant"]
        self._select_answer(answers[-1] if answers else None)
        self._render()

    # --- asking -------------------------------------------------------------------

    def send(self, *, mode: str | None = None, audio_url: str | None = None) -> bool:
        """Sends the question box's text; returns False when there is nothing."""
        question = self.question.toPlainText().strip()
        if not question or self.busy:
            return False
        self._countdown.stop()
        spoken = audio_url is not None or self._voice_audio_url is not None
        audio_url = audio_url or self._voice_audio_url or None
        mode = mode or ("voice" if spoken else self.mode or "text")
        self._voice_audio_url = None
        self._filling = True
        self.question.clear()
        self._filling = False
        self._set_busy(True, "Searching the library…")
        self._pending_question = question
        self._render()

        assistant = self._app.assistant
        session_id = self.session_id

        def ask():
            return assistant.ask(
                question, session_id=session_id, mode=mode, audio_url=audio_url
            )

        self._tasks.submit(
            "answer a question", ask, on_done=self._on_answer, on_error=self._on_fail
        )
        return True

    def set_transcript(
        self,
        text: str,
        audio_url: str | None,
        *,
        auto_send: bool = False,
        confirm_seconds: float = 3.0,
    ) -> None:
        """Puts a spoken question in the box; sends it at once or after a moment."""
        self._filling = True
        self.question.setPlainText(text)
        self._filling = False
        self._voice_audio_url = audio_url or ""
        if auto_send:
            self.send(mode="voice")
            return
        if confirm_seconds <= 0:
            self.progress_label.setText("Check the question, then press Send.")
            self.question.setFocus()
            return
        self._remaining = int(round(confirm_seconds))
        self._show_countdown()
        self._countdown.start()

    def _show_countdown(self) -> None:
        self.progress_label.setText(
            f"Sending in {self._remaining} s. Type to edit it first, or press Esc."
        )

    def _on_countdown_timeout(self) -> None:
        self._remaining -= 1
        if self._remaining > 0:
            self._show_countdown()
            return
        self._countdown.stop()
        self.send(mode="voice")

    def cancel_countdown(self) -> bool:
        """Stops a pending send of a spoken question; True if one was pending."""
        if not self._countdown.isActive():
            return False
        self._countdown.stop()
        self.progress_label.setText("Edit the question, then press Send.")
        return True

    def stop(self) -> None:
        """Stops a pending send (at shutdown)."""
        self._countdown.stop()

    @property
    def countdown_active(self) -> bool:
        return self._countdown.isActive()

    def _on_question_text_changed(self) -> None:
        if self._filling:
            return
        self.cancel_countdown()
        if not self.question.toPlainText().strip():
            self._voice_audio_url = None

    def _on_answer(self, result: Any) -> None:
        self._set_busy(False)
        self._pending_question = None
        session = get(result, "session")
        session_id = str(get(session, "id") or get(result, "session_id") or "")
        if session_id:
            self.session_id = session_id
            self.title.setText(get(session, "title") or self.title.text())
            self.mode = enum_text(get(session, "mode", self.mode)) or self.mode
        for key in ("user_message", "assistant_message"):
            message = get(result, key)
            if message is not None:
                self._messages.append(message)
                self._by_id[str(get(message, "id"))] = message
        self._select_answer(get(result, "assistant_message"))
        self._render()
        self.answered.emit(result)
        if session_id:
            self.conversation_changed.emit(session_id)

    def _on_fail(self, error: BaseException) -> None:
        self._set_busy(False)
        question = self._pending_question or ""
        self._pending_question = None
        self._render()
        if not self.question.toPlainText().strip():
            self.question.setPlainText(question)
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        remedy = getattr(error, "remedy", "")
        self.progress_label.setText(f"The question could not be answered: {message}")
        self.status.emit(f"Question failed: {message} {remedy}".strip())
        self.failed.emit(error)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.send_button.setEnabled(not busy)
        self.progress_label.setText(text)

    # --- answers ------------------------------------------------------------------

    @property
    def selected_answer(self) -> Any:
        return self._selected_answer

    def _select_answer(self, message: Any) -> None:
        self._selected_answer = message
        for button in (self.copy_button, self.speak_button, self.stop_speaking_button):
            button.setEnabled(message is not None)
        self.answer_selected.emit(message, message_citations(message))

    def copy_selected_answer(self) -> str:
        """Puts the selected answer and its numbered references on the clipboard."""
        message = self._selected_answer
        if message is None:
            return ""
        text = with_references(get(message, "content", ""), message_citations(message))
        QGuiApplication.clipboard().setText(text)
        self.status.emit("Answer copied with its references.")
        return text

    def _on_speak_clicked(self) -> None:
        if self._selected_answer is not None:
            self.speak_requested.emit(get(self._selected_answer, "content", ""))

    def open_citation(self, message_id: str, number: int) -> dict | None:
        """Opens citation [number] of a message; returns it (None if unknown)."""
        message = self._by_id.get(message_id)
        citation = citation_by_number(message_citations(message), number)
        if citation is None:
            return None
        if message is not self._selected_answer:
            self._select_answer(message)
        self.citation_activated.emit(dict(citation))
        return citation

    def _on_view_anchor_clicked(self, url: QUrl) -> None:
        scheme = url.scheme()
        target = url.toString()[len(scheme) + 1 :]
        if scheme == "cite":
            message_id, _, number = target.rpartition(":")
            if number.isdigit():
                self.open_citation(message_id, int(number))
        elif scheme == "answer":
            message = self._by_id.get(target)
            if message is not None:
                self._select_answer(message)
                self._render()
        elif scheme == "copy":
            message = self._by_id.get(target)
            if message is not None:
                self._select_answer(message)
                self.copy_selected_answer()

    # --- rendering ----------------------------------------------------------------

    def _render(self) -> None:
        colours = Theme.colours or {}
        user_bg = colours.get("selection", "#dbe9ff")
        answer_bg = colours.get("card", "#f9fafb")
        muted = colours.get("muted", "#57606a")
        parts: list[str] = []
        for message in self._messages:
            role = enum_text(get(message, "role"))
            when = local_time(get(message, "created_at"), with_date=False)
            if role == "user":
                voice = " · spoken" if get(message, "audio_url") else ""
                parts.append(
                    self._bubble(
                        f"<b>You</b> <span style='color:{muted}'>{when}{voice}</span>"
                        f"<p>{html.escape(get(message, 'content', ''))}</p>",
                        user_bg,
                    )
                )
            elif role == "assistant":
                parts.append(self._answer_block(message, when, answer_bg, muted))
        if self._pending_question:
            parts.append(
                self._bubble(
                    f"<b>You</b><p>{html.escape(self._pending_question)}</p>", user_bg
                )
            )
            parts.append(
                self._bubble(
                    f"<i style='color:{muted}'>Searching the library…</i>", answer_bg
                )
            )
        self.view.setHtml("".join(parts))
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _answer_block(self, message: Any, when: str, bg: str, muted: str) -> str:
        message_id = str(get(message, "id"))
        citations = message_citations(message)
        numbers = [citation_number(citations, i) for i in range(len(citations))]
        body = answer_html(get(message, "content", ""), message_id, numbers)
        selected = message is self._selected_answer
        header = (
            f"<b>Answer</b> <span style='color:{muted}'>{when}</span>"
            f" &nbsp; <a href='answer:{message_id}'>"
            f"{'sources shown' if selected else 'show sources'}</a>"
            f" · <a href='copy:{message_id}'>copy with references</a>"
        )
        refs = ""
        if citations:
            rows = "".join(
                f"<div><a href='cite:{message_id}:{n}'>[{n}]</a> "
                f"{html.escape(reference_line(c))}</div>"
                for n, c in zip(numbers, citations, strict=True)
            )
            refs = f"<div style='color:{muted}; margin-top:6px'>{rows}</div>"
        return self._bubble(header + body + refs, bg)

    @staticmethod
    def _bubble(content: str, background: str) -> str:
        return (
            f"<table width='100%' cellpadding='8' cellspacing='0' "
            f"style='background-color:{background}; margin-bottom:8px'>"
            f"<tr><td>{content}</td></tr></table>"
        )

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._render()
        super().changeEvent(event)
