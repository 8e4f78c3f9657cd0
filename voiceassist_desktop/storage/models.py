"""The entity model of the V2 data model as a typed SQLAlchemy 2 ORM.

Table and column names follow the seed (snake_case). Columns the seed does not
list, such as page labels, chunk offsets and the audit chain, are extra and are
exported as extra keys. Citations live in `ChatMessage.meta["citations"]` and
tool results in `ToolCall.result`, as JSON.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from voiceassist_desktop.core.ids import new_id, utcnow
from voiceassist_desktop.storage.types import UTCDateTime, enum_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


def _id_column() -> Mapped[str]:
    return mapped_column(String(36), primary_key=True, default=new_id)


def _created() -> Mapped[datetime]:
    return mapped_column(default=utcnow, nullable=False)


def _updated() -> Mapped[datetime]:
    return mapped_column(default=utcnow, onupdate=utcnow, nullable=False)


# --- enums -------------------------------------------------------------------


class SessionMode(enum.StrEnum):
    TEXT = "text"
    VOICE = "voice"
    CASE_WORKSPACE = "case_workspace"


class MessageRole(enum.StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class PatientSex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"


class DocumentType(enum.StrEnum):
    TEXTBOOK = "textbook"
    JOURNAL = "journal"
    GUIDELINE = "guideline"
    OTHER = "other"


class FileFormat(enum.StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    TXT = "txt"
    HTML = "html"


class IndexingStatus(enum.StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class JobState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    SUPERSEDED = "superseded"


class JobStatus(enum.StrEnum):
    """Legacy status, derived from `JobState`."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class AuditStatus(enum.StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class ToolCallStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    ERROR = "error"
    DENIED = "denied"
    TIMEOUT = "timeout"


# --- core entities -------------------------------------------------------------


class User(Base):
    """The clinician using the app; one local user on a desktop."""

    __tablename__ = "users"

    id: Mapped[str] = _id_column()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    hashed_password: Mapped[str] = mapped_column(String(128))
    full_name: Mapped[str | None] = mapped_column(String(200))
    specialty: Mapped[str | None] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    last_login: Mapped[datetime | None] = mapped_column()
    # Extra: whether the user chose a password (otherwise the hash is of a
    # discarded random secret and password sign-in is off).
    password_set: Mapped[bool] = mapped_column(Boolean, default=False)

    settings: Mapped[UserSettings | None] = relationship(
        back_populates="user", lazy="selectin", uselist=False
    )

    __table_args__ = (CheckConstraint("length(username) >= 3", name="username_length"),)


class Session(Base):
    """A conversation between the clinician and the assistant."""

    __tablename__ = "sessions"

    id: Mapped[str] = _id_column()
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str | None] = mapped_column(String(300))
    mode: Mapped[SessionMode] = mapped_column(
        enum_column(SessionMode, "session_mode"), default=SessionMode.TEXT
    )
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, nullable=False, index=True
    )
    # Kept in step with ClinicalContext.session_id, the only foreign key.
    clinical_context_id: Mapped[str | None] = mapped_column(String(36))

    messages: Mapped[list[ChatMessage]] = relationship(
        back_populates="session",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ChatMessage.created_at",
    )
    clinical_context: Mapped[ClinicalContext | None] = relationship(
        back_populates="session",
        lazy="selectin",
        uselist=False,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ChatMessage(Base):
    """One message of a conversation; citations live in `meta`."""

    __tablename__ = "chat_messages"

    id: Mapped[str] = _id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MessageRole] = mapped_column(enum_column(MessageRole, "message_role"))
    content: Mapped[str] = mapped_column(Text)
    audio_url: Mapped[str | None] = mapped_column(String(2048))
    # `metadata` is reserved by SQLAlchemy's declarative base.
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    created_at: Mapped[datetime] = mapped_column(
        default=utcnow, nullable=False, index=True
    )

    session: Mapped[Session] = relationship(back_populates="messages", lazy="raise")

    __table_args__ = (
        Index("ix_chat_messages_session_created", "session_id", "created_at"),
    )


class ClinicalContext(Base):
    """A patient's or case's context attached to one conversation."""

    __tablename__ = "clinical_contexts"

    id: Mapped[str] = _id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), unique=True
    )
    patient_age: Mapped[int | None] = mapped_column(Integer)
    patient_sex: Mapped[PatientSex | None] = mapped_column(
        enum_column(PatientSex, "patient_sex")
    )
    chief_complaint: Mapped[str | None] = mapped_column(Text)
    relevant_history: Mapped[str | None] = mapped_column(Text)
    current_medications: Mapped[list[str] | None] = mapped_column(JSON)
    allergies: Mapped[list[str] | None] = mapped_column(JSON)
    vital_signs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Extra keys the calculators and renal flags need.
    weight_kg: Mapped[float | None] = mapped_column(Float)
    height_cm: Mapped[float | None] = mapped_column(Float)
    lab_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    session: Mapped[Session] = relationship(
        back_populates="clinical_context", lazy="raise"
    )

    __table_args__ = (
        CheckConstraint(
            "patient_age IS NULL OR (patient_age >= 0 AND patient_age <= 150)",
            name="patient_age_range",
        ),
    )


# --- knowledge base --------------------------------------------------------------


class KnowledgeDocument(Base):
    """One version of a document in the library."""

    __tablename__ = "knowledge_documents"

    id: Mapped[str] = _id_column()
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    doc_key: Mapped[str] = mapped_column(String(1024), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    superseded_by: Mapped[str | None] = mapped_column(
        ForeignKey("knowledge_documents.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(1000))
    document_type: Mapped[DocumentType] = mapped_column(
        enum_column(DocumentType, "document_type"),
        default=DocumentType.OTHER,
        index=True,
    )
    specialty: Mapped[str | None] = mapped_column(String(100), index=True)
    file_path: Mapped[str] = mapped_column(String(4096))
    file_name: Mapped[str] = mapped_column(String(1024))
    file_size: Mapped[int] = mapped_column(Integer)
    file_format: Mapped[FileFormat] = mapped_column(
        enum_column(FileFormat, "file_format")
    )
    page_count: Mapped[int | None] = mapped_column(Integer)
    authors: Mapped[list[str] | None] = mapped_column(JSON)
    publication_year: Mapped[int | None] = mapped_column(Integer, index=True)
    publisher: Mapped[str | None] = mapped_column(String(500))
    edition: Mapped[str | None] = mapped_column(String(100))
    isbn: Mapped[str | None] = mapped_column(String(32))
    doi: Mapped[str | None] = mapped_column(String(256))
    is_indexed: Mapped[bool] = mapped_column(Boolean, default=False)
    indexing_status: Mapped[IndexingStatus] = mapped_column(
        enum_column(IndexingStatus, "indexing_status"),
        default=IndexingStatus.PENDING,
        index=True,
    )
    chunk_count: Mapped[int | None] = mapped_column(Integer)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    created_at: Mapped[datetime] = mapped_column(
        default=utcnow, nullable=False, index=True
    )
    updated_at: Mapped[datetime] = _updated()

    chunks: Mapped[list[KBChunk]] = relationship(
        back_populates="document",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="KBChunk.chunk_index",
    )

    __table_args__ = (UniqueConstraint("doc_key", "version"),)


class KBChunk(Base):
    """A passage of a document: its text here, its vector in the vector index."""

    __tablename__ = "kb_chunks"

    id: Mapped[str] = _id_column()
    document_id: Mapped[str] = mapped_column(
        ForeignKey("knowledge_documents.id", ondelete="CASCADE"), index=True
    )
    chunk_index: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    page_number: Mapped[int | None] = mapped_column(Integer)
    chapter: Mapped[str | None] = mapped_column(String(1000))
    heading: Mapped[str | None] = mapped_column(String(1000))
    token_count: Mapped[int] = mapped_column(Integer)
    qdrant_id: Mapped[str] = mapped_column(String(36))
    embedding_model: Mapped[str] = mapped_column(String(200))
    superseded: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = _created()
    # Extra: the printed page label, and where the text sits in its page.
    page_label: Mapped[str | None] = mapped_column(String(64))
    char_start: Mapped[int | None] = mapped_column(Integer)
    char_end: Mapped[int | None] = mapped_column(Integer)
    # Extra: the row id of this chunk in SQLite's full-text table. SQLite may
    # renumber implicit rowids on VACUUM, so the link is an explicit column.
    fts_rowid: Mapped[int] = mapped_column(
        BigInteger, unique=True, default=lambda: secrets.randbits(62)
    )

    document: Mapped[KnowledgeDocument] = relationship(
        back_populates="chunks", lazy="joined"
    )

    __table_args__ = (
        UniqueConstraint("document_id", "chunk_index"),
        CheckConstraint("chunk_index >= 0", name="chunk_index_positive"),
        Index("ix_kb_chunks_current", "document_id", "superseded"),
    )


_STATE_TO_STATUS = {
    JobState.PENDING: JobStatus.PENDING,
    JobState.RUNNING: JobStatus.PROCESSING,
    JobState.COMPLETED: JobStatus.COMPLETED,
    JobState.FAILED: JobStatus.FAILED,
    JobState.SUPERSEDED: JobStatus.FAILED,
}


class IndexingJob(Base):
    """The background work of importing one document version."""

    __tablename__ = "indexing_jobs"

    id: Mapped[str] = _id_column()
    document_id: Mapped[str] = mapped_column(
        ForeignKey("knowledge_documents.id", ondelete="CASCADE"), index=True
    )
    doc_key: Mapped[str] = mapped_column(String(1024), index=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[JobState] = mapped_column(
        enum_column(JobState, "job_state"), default=JobState.PENDING, index=True
    )
    current_step: Mapped[str | None] = mapped_column(String(200))
    total_chunks: Mapped[int | None] = mapped_column(Integer)
    processed_chunks: Mapped[int] = mapped_column(Integer, default=0)
    retry_count: Mapped[int] = mapped_column(Integer, default=0)
    max_retries: Mapped[int] = mapped_column(Integer, default=3)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    superseded_by: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    failed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(
        default=utcnow, nullable=False, index=True
    )
    updated_at: Mapped[datetime] = _updated()
    # Extra: where the file is, the import options, back-off and cancellation.
    source_path: Mapped[str | None] = mapped_column(String(4096))
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)

    document: Mapped[KnowledgeDocument] = relationship(lazy="raise")

    @property
    def status(self) -> JobStatus:
        """Legacy status, derived from `state`."""
        return _STATE_TO_STATUS[JobState(self.state)]

    @property
    def progress(self) -> float | None:
        """Legacy percentage, derived from the chunk counts."""
        if self.state == JobState.COMPLETED:
            return 100.0
        if not self.total_chunks:
            return None
        return round(min(100.0, 100.0 * self.processed_chunks / self.total_chunks), 2)

    @property
    def chunks_created(self) -> int:
        """Legacy count, the same as `processed_chunks`."""
        return self.processed_chunks


# --- configuration -----------------------------------------------------------------


class UserSettings(Base):
    """A user's preferences, one JSON column per section."""

    __tablename__ = "user_settings"

    id: Mapped[str] = _id_column()
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    schema_version: Mapped[int] = mapped_column(Integer, default=1)
    general: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    voice: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    citations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    display: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    clinical_context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    privacy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notifications: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    shortcuts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    advanced: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    user: Mapped[User] = relationship(back_populates="settings", lazy="raise")


class SystemSettings(Base):
    """The singleton system configuration, one JSON column per section."""

    __tablename__ = "system_settings"

    id: Mapped[str] = _id_column()
    # Always 1: the unique constraint makes the table hold a single row.
    singleton: Mapped[int] = mapped_column(Integer, default=1, unique=True)
    schema_version: Mapped[int] = mapped_column(Integer, default=1)
    general: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    data_retention: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    backup: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ai_configuration: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    logging: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    security: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    email: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    feature_flags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resource_limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (CheckConstraint("singleton = 1", name="singleton_one"),)


# --- audit and tools -----------------------------------------------------------------


class AuditLogEntry(Base):
    """One action, chained to the one before it by hash; never updated."""

    __tablename__ = "audit_logs"

    id: Mapped[str] = _id_column()
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    action: Mapped[str] = mapped_column(String(100), index=True)
    resource_type: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[AuditStatus] = mapped_column(
        enum_column(AuditStatus, "audit_status"), index=True
    )
    ip_address: Mapped[str] = mapped_column(String(64), default="127.0.0.1")
    user_agent: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    phi_accessed: Mapped[bool] = mapped_column(Boolean, default=False)
    timestamp: Mapped[datetime] = mapped_column(
        default=utcnow, nullable=False, index=True
    )
    session_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Extra: the hash chain. `sequence` orders entries; `prev_hash` is the
    # previous entry's `entry_hash`; `entry_hash` covers prev_hash and this
    # entry's canonical JSON.
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class ToolCall(Base):
    """One invocation of a tool, with its embedded result."""

    __tablename__ = "tool_calls"

    id: Mapped[str] = _id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    tool_name: Mapped[str] = mapped_column(String(100), index=True)
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[ToolCallStatus] = mapped_column(
        enum_column(ToolCallStatus, "tool_call_status"),
        default=ToolCallStatus.PENDING,
        index=True,
    )
    confirmation_required: Mapped[bool] = mapped_column(Boolean, default=False)
    user_confirmed: Mapped[bool | None] = mapped_column(Boolean)
    phi_involved: Mapped[bool] = mapped_column(Boolean, default=False)
    execution_time_ms: Mapped[float | None] = mapped_column(Float)
    error_message: Mapped[str | None] = mapped_column(Text)
    trace_id: Mapped[str] = mapped_column(String(64), index=True)
    timestamp: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        default=utcnow, nullable=False, index=True
    )
