"""Conversations: create, continue, rename, archive, delete, search, export.

A conversation is the seed's Session with its ChatMessages and, optionally, a
ClinicalContext. Its title is made from the first question, shortened and
with patient identifiers removed. Methods return plain frozen records, safe
to hand to another thread; each change is audited and announced on the event
bus (`session.created`, `session.updated`, `session.deleted`,
`context.updated`; the assistant publishes `message.saved`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session as OrmSession

from voiceassist_desktop.assistant.context import validate_context
from voiceassist_desktop.audit.trail import AuditTrail
from voiceassist_desktop.core import phi
from voiceassist_desktop.core.errors import NotFound, ValidationFailed
from voiceassist_desktop.core.events import EventBus
from voiceassist_desktop.core.ids import as_utc, new_id, utcnow
from voiceassist_desktop.retrieval.citations import reference_line
from voiceassist_desktop.storage.database import Database
from voiceassist_desktop.storage.export import export_record, to_record
from voiceassist_desktop.storage.models import (
    ChatMessage,
    ClinicalContext,
    MessageRole,
    SessionMode,
)
from voiceassist_desktop.storage.models import Session as ChatSession

logger = logging.getLogger(__name__)

TITLE_MAX = 60
UNTITLED = "New conversation"

# Words that mark a question as a follow-up of the one before it.
_FOLLOW_UP_START = re.compile(
    r"^\s*(?:and|or|but|also|what about|how about|what if|and if|in|for|with|"
    r"same|then|so)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(?:it|its|this|that|these|those|they|them|the drug)\b", re.I)
_CONTENT_WORD = re.compile(r"[A-Za-z][A-Za-z\-]{2,}")
FOLLOW_UP_MAX_WORDS = 6


@dataclass(frozen=True)
class ConversationInfo:
    """A conversation as the window lists it.

    Attributes:
        id: The session id.
        title: Its title.
        mode: "text", "voice" or "case_workspace".
        is_archived: Whether it is archived.
        created_at: When it began (UTC).
        updated_at: When it last changed (UTC); the window groups by its date.
        clinical_context_id: Its clinical context, if any.
        message_count: How many messages it holds.
    """

    id: str
    title: str
    mode: str
    is_archived: bool
    created_at: datetime
    updated_at: datetime
    clinical_context_id: str | None
    message_count: int = 0


@dataclass(frozen=True)
class MessageInfo:
    """One message of a conversation.

    Attributes:
        id: The message id.
        session_id: Its conversation.
        role: "user", "assistant" or "system".
        content: Its text.
        metadata: Citations, routing and the rest (see the seed).
        created_at: When it was saved (UTC).
        audio_url: The recording, for a spoken question.
    """

    id: str
    session_id: str
    role: str
    content: str
    metadata: dict[str, Any]
    created_at: datetime
    audio_url: str | None = None

    @property
    def citations(self) -> list[dict[str, Any]]:
        return list(self.metadata.get("citations") or [])


def make_title(question: str) -> str:
    """A short title from a question, without patient identifiers.

    Args:
        question: The first question of a conversation.

    Returns:
        At most `TITLE_MAX` characters, cut at a word, no trailing "?".
    """
    text = phi.redact(question or "")
    text = re.sub(r"\[[A-Z]+\]", " ", text)
    text = re.sub(r"\s+", " ", text).strip(" ,;:-")
    text = re.sub(r"\s+([,.;:?!])", r"\1", text)
    if not text:
        return UNTITLED
    if len(text) > TITLE_MAX:
        cut = text[: TITLE_MAX - 1]
        cut = cut[: cut.rfind(" ")] if " " in cut else cut
        text = cut.rstrip(" ,;:-") + "…"
    text = text.rstrip("?!. ")
    return text[:1].upper() + text[1:] if text else UNTITLED


def is_follow_up(question: str) -> bool:
    """Whether a question leans on the one before it to make sense."""
    words = _CONTENT_WORD.findall(question)
    if len(words) <= FOLLOW_UP_MAX_WORDS and (
        _FOLLOW_UP_START.search(question) or _PRONOUN.search(question)
    ):
        return True
    return len(words) <= 3


def expand_follow_up(question: str, previous: Sequence[str]) -> str:
    """The text to retrieve with: a follow-up joined to the question before.

    "and in renal impairment?" after "What is the apixaban dose?" retrieves
    with both; a question that stands on its own is used as it is.

    Args:
        question: The new question.
        previous: Earlier user questions of the conversation, oldest first.

    Returns:
        The retrieval text.
    """
    if not previous or not is_follow_up(question):
        return question
    return f"{previous[-1].strip()} {question.strip()}"


class Conversations:
    """The conversations of the local user.

    Args:
        db: The database.
        audit: The audit trail.
        events: The event bus.
        user_id: The local user.
    """

    def __init__(
        self, db: Database, audit: AuditTrail, events: EventBus, user_id: str
    ) -> None:
        self.db = db
        self.audit = audit
        self.events = events
        self.user_id = user_id

    # --- conversations -------------------------------------------------------------

    def create(
        self, mode: str | SessionMode = "text", title: str | None = None
    ) -> ConversationInfo:
        """Start a conversation.

        Args:
            mode: "text", "voice" or "case_workspace".
            title: A title; by default the first question makes one.

        Returns:
            The new conversation.
        """
        mode = _mode(mode)
        with self.db.session() as session:
            row = self._new_session(session, mode, title)
            info = conversation_info(row, 0)
        self.events.publish("session.created", session_id=info.id, mode=info.mode)
        return info

    def _new_session(
        self, session: OrmSession, mode: SessionMode, title: str | None
    ) -> ChatSession:
        now = utcnow()
        row = ChatSession(
            id=new_id(),
            user_id=self.user_id,
            title=make_title(title) if title else None,
            mode=mode,
            is_archived=False,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        self.audit.record(
            session,
            "session.create",
            "session",
            resource_id=row.id,
            user_id=self.user_id,
            session_id=row.id,
            details={"mode": mode.value},
        )
        return row

    def get(self, session_id: str) -> ConversationInfo:
        """One conversation; raises `NotFound` if there is none."""
        with self.db.session() as session:
            row = self._row(session, session_id)
            return conversation_info(row, self.message_count(session, row.id))

    def list(
        self,
        *,
        archived: bool | None = False,
        limit: int | None = None,
    ) -> list[ConversationInfo]:
        """Conversations, most recently updated first.

        Args:
            archived: False for active ones, True for archived ones, None
                for all.
            limit: At most this many.
        """
        statement = select(ChatSession).where(ChatSession.user_id == self.user_id)
        if archived is not None:
            statement = statement.where(ChatSession.is_archived.is_(archived))
        statement = statement.order_by(ChatSession.updated_at.desc())
        if limit:
            statement = statement.limit(limit)
        with self.db.session() as session:
            rows = session.scalars(statement).all()
            counts = self._counts(session, [r.id for r in rows])
            return [conversation_info(r, counts.get(r.id, 0)) for r in rows]

    def rename(self, session_id: str, title: str) -> ConversationInfo:
        """Give a conversation a new title (kept to 300 characters)."""
        title = re.sub(r"\s+", " ", title or "").strip()
        if not title:
            raise ValidationFailed("title", "a title cannot be empty")
        with self.db.session() as session:
            row = self._row(session, session_id)
            row.title = title[:300]
            row.updated_at = utcnow()
            self.audit.record(
                session,
                "session.rename",
                "session",
                resource_id=row.id,
                user_id=self.user_id,
                session_id=row.id,
            )
            info = conversation_info(row, self.message_count(session, row.id))
        self.events.publish("session.updated", session_id=session_id)
        return info

    def archive(self, session_id: str) -> ConversationInfo:
        """Move a conversation to the archive."""
        return self._set_archived(session_id, True)

    def unarchive(self, session_id: str) -> ConversationInfo:
        """Bring a conversation back from the archive."""
        return self._set_archived(session_id, False)

    def _set_archived(self, session_id: str, archived: bool) -> ConversationInfo:
        with self.db.session() as session:
            row = self._row(session, session_id)
            row.is_archived = archived
            self.audit.record(
                session,
                "session.archive" if archived else "session.unarchive",
                "session",
                resource_id=row.id,
                user_id=self.user_id,
                session_id=row.id,
            )
            info = conversation_info(row, self.message_count(session, row.id))
        self.events.publish("session.updated", session_id=session_id)
        return info

    def delete(self, session_id: str) -> None:
        """Delete a conversation with its messages and clinical context."""
        with self.db.session() as session:
            row = self._row(session, session_id)
            count = self.message_count(session, row.id)
            session.execute(delete(ChatMessage).where(ChatMessage.session_id == row.id))
            session.execute(
                delete(ClinicalContext).where(ClinicalContext.session_id == row.id)
            )
            session.delete(row)
            self.audit.record(
                session,
                "session.delete",
                "session",
                resource_id=session_id,
                user_id=self.user_id,
                session_id=session_id,
                details={"messages": count},
            )
        self.events.publish("session.deleted", session_id=session_id)

    def search(
        self, text: str, *, archived: bool | None = None
    ) -> list[ConversationInfo]:
        """Conversations whose title or any message contains `text`.

        Args:
            text: Words to look for (case-insensitive; every word must
                appear, in the title or in one message).
            archived: As in `list`; None searches all.
        """
        words = [w for w in re.split(r"\s+", (text or "").strip()) if w]
        if not words:
            return self.list(archived=archived)
        statement = select(ChatSession).where(ChatSession.user_id == self.user_id)
        for word in words:
            pattern = f"%{_escape_like(word.lower())}%"
            in_messages = select(ChatMessage.session_id).where(
                func.lower(ChatMessage.content).like(pattern, escape="\\")
            )
            statement = statement.where(
                or_(
                    func.lower(func.coalesce(ChatSession.title, "")).like(
                        pattern, escape="\\"
                    ),
                    ChatSession.id.in_(in_messages),
                )
            )
        if archived is not None:
            statement = statement.where(ChatSession.is_archived.is_(archived))
        statement = statement.order_by(ChatSession.updated_at.desc())
        with self.db.session() as session:
            rows = session.scalars(statement).all()
            counts = self._counts(session, [r.id for r in rows])
            return [conversation_info(r, counts.get(r.id, 0)) for r in rows]

    # --- messages --------------------------------------------------------------

    def messages(self, session_id: str) -> list[MessageInfo]:
        """The messages of a conversation, oldest first."""
        with self.db.session() as session:
            self._row(session, session_id)
            rows = session.scalars(
                select(ChatMessage)
                .where(ChatMessage.session_id == session_id)
                .order_by(ChatMessage.created_at, ChatMessage.id)
            ).all()
            return [message_info(r) for r in rows]

    def recent_questions(self, session_id: str, limit: int = 3) -> list[str]:
        """The last `limit` user questions, oldest first."""
        with self.db.session() as session:
            rows = session.scalars(
                select(ChatMessage.content)
                .where(
                    ChatMessage.session_id == session_id,
                    ChatMessage.role == MessageRole.USER,
                )
                .order_by(ChatMessage.created_at.desc())
                .limit(limit)
            ).all()
        return list(reversed(rows))

    def add_message(
        self,
        session: OrmSession,
        session_id: str,
        role: str | MessageRole,
        content: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        audio_url: str | None = None,
        created_at: datetime | None = None,
    ) -> ChatMessage:
        """Add a message in the caller's transaction; bumps `updated_at`.

        The first user message gives an untitled conversation its title.
        """
        row = self._row(session, session_id)
        message = ChatMessage(
            id=new_id(),
            session_id=row.id,
            role=MessageRole(role),
            content=content,
            audio_url=audio_url,
            meta=dict(metadata) if metadata else None,
            created_at=created_at or utcnow(),
        )
        session.add(message)
        row.updated_at = message.created_at
        if not row.title and message.role == MessageRole.USER:
            row.title = make_title(content)
        session.flush()
        return message

    def session_row(
        self, session: OrmSession, session_id: str | None, mode: str = "text"
    ) -> ChatSession:
        """The conversation `session_id`, or a new one, in the caller's unit."""
        if session_id:
            return self._row(session, session_id)
        return self._new_session(session, _mode(mode), None)

    # --- clinical context ---------------------------------------------------------

    def context(self, session_id: str) -> dict[str, Any] | None:
        """The conversation's clinical context as a record, or None."""
        with self.db.session() as session:
            self._row(session, session_id)
            row = session.scalars(
                select(ClinicalContext).where(ClinicalContext.session_id == session_id)
            ).first()
            return export_record(row) if row is not None else None

    def set_context(self, session_id: str, **values: Any) -> dict[str, Any]:
        """Create or update the clinical context, validating every value.

        Args:
            session_id: The conversation.
            **values: Fields of the context (see `context.FIELDS`); None
                clears a field. Fields not given are left as they are.

        Returns:
            The stored context as a schema-valid record.

        Raises:
            ValidationFailed: Naming the field that is out of range.
        """
        clean = validate_context(values)
        with self.db.session() as session:
            row = self._row(session, session_id)
            context = session.scalars(
                select(ClinicalContext).where(ClinicalContext.session_id == row.id)
            ).first()
            created = context is None
            if context is None:
                context = ClinicalContext(id=new_id(), session_id=row.id)
                session.add(context)
            for key, value in clean.items():
                setattr(context, key, value)
            context.updated_at = utcnow()
            session.flush()
            row.clinical_context_id = context.id
            row.updated_at = utcnow()
            self.audit.record(
                session,
                "context.create" if created else "context.update",
                "clinical_context",
                resource_id=context.id,
                user_id=self.user_id,
                session_id=row.id,
                details={"fields": sorted(clean)},
                phi_accessed=True,
            )
            record = export_record(context)
        self.events.publish("context.updated", session_id=session_id)
        return record

    def clear_context(self, session_id: str) -> None:
        """Remove the conversation's clinical context."""
        with self.db.session() as session:
            row = self._row(session, session_id)
            session.execute(
                delete(ClinicalContext).where(ClinicalContext.session_id == row.id)
            )
            row.clinical_context_id = None
            self.audit.record(
                session,
                "context.delete",
                "clinical_context",
                user_id=self.user_id,
                session_id=row.id,
                phi_accessed=True,
            )
        self.events.publish("context.updated", session_id=session_id)

    # --- export ------------------------------------------------------------------

    def export_records(self, session_id: str) -> dict[str, Any]:
        """The conversation as schema-valid records.

        Returns:
            {"session": Session, "clinical_context": ClinicalContext or None,
            "messages": [ChatMessage, ...]}, each validated; every citation
            inside the messages' metadata is validated too.
        """
        from voiceassist_desktop.storage.export import validate

        with self.db.session() as session:
            row = self._row(session, session_id)
            messages = session.scalars(
                select(ChatMessage)
                .where(ChatMessage.session_id == row.id)
                .order_by(ChatMessage.created_at, ChatMessage.id)
            ).all()
            context = session.scalars(
                select(ClinicalContext).where(ClinicalContext.session_id == row.id)
            ).first()
            records = [export_record(m) for m in messages]
            for record in records:
                for citation in (record.get("metadata") or {}).get("citations", []):
                    validate("Citation", citation)
            return {
                "session": export_record(row),
                "clinical_context": export_record(context) if context else None,
                "messages": records,
            }

    def export_markdown(self, session_id: str) -> str:
        """The conversation as Markdown with one numbered reference list.

        Each answer's markers are renumbered to the list, which gives title,
        chapter, year, page, document version and the snippet. The export is
        audited as `session.export`.
        """
        with self.db.session() as session:
            row = self._row(session, session_id)
            messages = session.scalars(
                select(ChatMessage)
                .where(ChatMessage.session_id == row.id)
                .order_by(ChatMessage.created_at, ChatMessage.id)
            ).all()
            context = session.scalars(
                select(ClinicalContext).where(ClinicalContext.session_id == row.id)
            ).first()
            text = _markdown(row, messages, context)
            self.audit.record(
                session,
                "session.export",
                "session",
                resource_id=row.id,
                user_id=self.user_id,
                session_id=row.id,
                details={"format": "md", "messages": len(messages)},
                phi_accessed=context is not None,
            )
        return text

    # --- helpers ------------------------------------------------------------------

    def _row(self, session: OrmSession, session_id: str) -> ChatSession:
        row = session.get(ChatSession, session_id)
        if row is None or row.user_id != self.user_id:
            raise NotFound(f"There is no conversation {session_id}.")
        return row

    @staticmethod
    def message_count(session: OrmSession, session_id: str) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(ChatMessage)
                .where(ChatMessage.session_id == session_id)
            )
            or 0
        )

    @staticmethod
    def _counts(session: OrmSession, ids: Sequence[str]) -> dict[str, int]:
        if not ids:
            return {}
        rows = session.execute(
            select(ChatMessage.session_id, func.count())
            .where(ChatMessage.session_id.in_(list(ids)))
            .group_by(ChatMessage.session_id)
        ).all()
        return {session_id: count for session_id, count in rows}


def _mode(mode: str | SessionMode) -> SessionMode:
    try:
        return SessionMode(str(getattr(mode, "value", mode)))
    except ValueError:
        raise ValidationFailed(
            "mode", "mode must be text, voice or case_workspace"
        ) from None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conversation_info(row: ChatSession, count: int) -> ConversationInfo:
    return ConversationInfo(
        id=row.id,
        title=row.title or UNTITLED,
        mode=SessionMode(row.mode).value,
        is_archived=bool(row.is_archived),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        clinical_context_id=row.clinical_context_id,
        message_count=count,
    )


def message_info(row: ChatMessage) -> MessageInfo:
    return MessageInfo(
        id=row.id,
        session_id=row.session_id,
        role=MessageRole(row.role).value,
        content=row.content,
        metadata=dict(row.meta or {}),
        created_at=as_utc(row.created_at),
        audio_url=row.audio_url,
    )


_MARKER = re.compile(r"\[(\d+)\]")


def _markdown(
    row: ChatSession,
    messages: Sequence[ChatMessage],
    context: ClinicalContext | None,
) -> str:
    lines = [f"# {row.title or UNTITLED}", ""]
    created = as_utc(row.created_at).strftime("%Y-%m-%d %H:%M UTC")
    lines += [
        f"Conversation started {created}, mode {SessionMode(row.mode).value}.",
        "",
    ]

    if context is not None:
        record = to_record(context)
        lines += ["## Clinical context", ""]
        for key in (
            "patient_age",
            "patient_sex",
            "chief_complaint",
            "relevant_history",
            "current_medications",
            "allergies",
            "vital_signs",
            "weight_kg",
            "height_cm",
            "lab_values",
        ):
            if key in record:
                value = record[key]
                if isinstance(value, list):
                    value = ", ".join(value)
                elif isinstance(value, dict):
                    value = ", ".join(f"{k} {v}" for k, v in value.items())
                lines.append(f"- {key.replace('_', ' ').capitalize()}: {value}")
        lines.append("")

    references: list[dict[str, Any]] = []
    number_of: dict[str, int] = {}
    for message in messages:
        role = MessageRole(message.role)
        when = as_utc(message.created_at).strftime("%H:%M")
        if role == MessageRole.USER:
            lines += [f"## {message.content.strip()}", "", f"*Asked at {when}*", ""]
            continue
        mapping: dict[int, int] = {}
        for citation in (message.meta or {}).get("citations", []):
            key = citation.get("chunk_id") or citation.get("id")
            if key not in number_of:
                references.append(citation)
                number_of[key] = len(references)
            if citation.get("marker") is not None:
                mapping[int(citation["marker"])] = number_of[key]
        content = _MARKER.sub(
            lambda m, mapping=mapping: (
                f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]"
            ),
            message.content,
        )
        label = "Answer" if role == MessageRole.ASSISTANT else "Note"
        lines += [f"**{label}** ({when}):", "", content.strip(), ""]

    if references:
        lines += ["## References", ""]
        for number, citation in enumerate(references, start=1):
            lines.append(f"{number}. {reference_line(citation)}")
            if citation.get("snippet"):
                lines.append(f"   > {citation['snippet']}")
        lines.append("")
    return "\n".join(lines)
