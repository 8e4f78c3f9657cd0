"""Initial schema: every entity, the full-text index and the audit guards.

Revision ID: 0001
Revises:
Create Date: 2026-12-03 19:09:33.641668
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "system_settings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("singleton", sa.Integer(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("general", sa.JSON(), nullable=False),
        sa.Column("data_retention", sa.JSON(), nullable=False),
        sa.Column("backup", sa.JSON(), nullable=False),
        sa.Column("ai_configuration", sa.JSON(), nullable=False),
        sa.Column("logging", sa.JSON(), nullable=False),
        sa.Column("security", sa.JSON(), nullable=False),
        sa.Column("email", sa.JSON(), nullable=False),
        sa.Column("feature_flags", sa.JSON(), nullable=False),
        sa.Column("resource_limits", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "singleton = 1", name=op.f("ck_system_settings_singleton_one")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_settings")),
        sa.UniqueConstraint("singleton", name=op.f("uq_system_settings_singleton")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("hashed_password", sa.String(length=128), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("specialty", sa.String(length=100), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_superuser", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_set", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "length(username) >= 3", name=op.f("ck_users_username_length")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource_type", sa.String(length=100), nullable=False),
        sa.Column("resource_id", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "success",
                "failure",
                "denied",
                name="audit_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("phi_accessed", sa.Boolean(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_audit_logs_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_audit_logs_entry_hash")),
        sa.UniqueConstraint("sequence", name=op.f("uq_audit_logs_sequence")),
    )
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_logs_action"), ["action"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_logs_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_logs_status"), ["status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_logs_timestamp"), ["timestamp"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_logs_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "knowledge_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("doc_key", sa.String(length=1024), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("superseded_by", sa.String(length=36), nullable=True),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column(
            "document_type",
            sa.Enum(
                "textbook",
                "journal",
                "guideline",
                "other",
                name="document_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("specialty", sa.String(length=100), nullable=True),
        sa.Column("file_path", sa.String(length=4096), nullable=False),
        sa.Column("file_name", sa.String(length=1024), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column(
            "file_format",
            sa.Enum(
                "pdf",
                "docx",
                "txt",
                "html",
                name="file_format",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("authors", sa.JSON(), nullable=True),
        sa.Column("publication_year", sa.Integer(), nullable=True),
        sa.Column("publisher", sa.String(length=500), nullable=True),
        sa.Column("edition", sa.String(length=100), nullable=True),
        sa.Column("isbn", sa.String(length=32), nullable=True),
        sa.Column("doi", sa.String(length=256), nullable=True),
        sa.Column("is_indexed", sa.Boolean(), nullable=False),
        sa.Column(
            "indexing_status",
            sa.Enum(
                "pending",
                "processing",
                "completed",
                "failed",
                name="indexing_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("chunk_count", sa.Integer(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["superseded_by"],
            ["knowledge_documents.id"],
            name=op.f("fk_knowledge_documents_superseded_by_knowledge_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_knowledge_documents_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_documents")),
        sa.UniqueConstraint(
            "doc_key", "version", name=op.f("uq_knowledge_documents_doc_key_version")
        ),
    )
    with op.batch_alter_table("knowledge_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_knowledge_documents_content_hash"),
            ["content_hash"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_knowledge_documents_created_at"),
            ["created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_knowledge_documents_doc_key"), ["doc_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_knowledge_documents_document_type"),
            ["document_type"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_knowledge_documents_indexing_status"),
            ["indexing_status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_knowledge_documents_publication_year"),
            ["publication_year"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_knowledge_documents_specialty"), ["specialty"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_knowledge_documents_superseded_by"),
            ["superseded_by"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_knowledge_documents_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column(
            "mode",
            sa.Enum(
                "text",
                "voice",
                "case_workspace",
                name="session_mode",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clinical_context_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sessions_is_archived"), ["is_archived"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sessions_updated_at"), ["updated_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sessions_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "user_settings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("general", sa.JSON(), nullable=False),
        sa.Column("voice", sa.JSON(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("display", sa.JSON(), nullable=False),
        sa.Column("clinical_context", sa.JSON(), nullable=False),
        sa.Column("privacy", sa.JSON(), nullable=False),
        sa.Column("notifications", sa.JSON(), nullable=False),
        sa.Column("shortcuts", sa.JSON(), nullable=False),
        sa.Column("advanced", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_settings")),
        sa.UniqueConstraint("user_id", name=op.f("uq_user_settings_user_id")),
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "user",
                "assistant",
                "system",
                name="message_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("audio_url", sa.String(length=2048), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_chat_messages_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chat_messages_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_chat_messages_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "clinical_contexts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("patient_age", sa.Integer(), nullable=True),
        sa.Column(
            "patient_sex",
            sa.Enum(
                "male",
                "female",
                "other",
                name="patient_sex",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("chief_complaint", sa.Text(), nullable=True),
        sa.Column("relevant_history", sa.Text(), nullable=True),
        sa.Column("current_medications", sa.JSON(), nullable=True),
        sa.Column("allergies", sa.JSON(), nullable=True),
        sa.Column("vital_signs", sa.JSON(), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("height_cm", sa.Float(), nullable=True),
        sa.Column("lab_values", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "patient_age IS NULL OR (patient_age >= 0 AND patient_age <= 150)",
            name=op.f("ck_clinical_contexts_patient_age_range"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_clinical_contexts_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_contexts")),
        sa.UniqueConstraint("session_id", name=op.f("uq_clinical_contexts_session_id")),
    )
    op.create_table(
        "indexing_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("doc_key", sa.String(length=1024), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "running",
                "completed",
                "failed",
                "superseded",
                name="job_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("current_step", sa.String(length=200), nullable=True),
        sa.Column("total_chunks", sa.Integer(), nullable=True),
        sa.Column("processed_chunks", sa.Integer(), nullable=False),
        sa.Column("retry_count", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_details", sa.JSON(), nullable=True),
        sa.Column("superseded_by", sa.String(length=36), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_path", sa.String(length=4096), nullable=True),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["knowledge_documents.id"],
            name=op.f("fk_indexing_jobs_document_id_knowledge_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_indexing_jobs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indexing_jobs")),
    )
    with op.batch_alter_table("indexing_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indexing_jobs_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_indexing_jobs_doc_key"), ["doc_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_indexing_jobs_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_indexing_jobs_state"), ["state"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_indexing_jobs_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "kb_chunks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("page_number", sa.Integer(), nullable=True),
        sa.Column("chapter", sa.String(length=1000), nullable=True),
        sa.Column("heading", sa.String(length=1000), nullable=True),
        sa.Column("token_count", sa.Integer(), nullable=False),
        sa.Column("qdrant_id", sa.String(length=36), nullable=False),
        sa.Column("embedding_model", sa.String(length=200), nullable=False),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("page_label", sa.String(length=64), nullable=True),
        sa.Column("char_start", sa.Integer(), nullable=True),
        sa.Column("char_end", sa.Integer(), nullable=True),
        sa.Column("fts_rowid", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "chunk_index >= 0", name=op.f("ck_kb_chunks_chunk_index_positive")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["knowledge_documents.id"],
            name=op.f("fk_kb_chunks_document_id_knowledge_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_chunks")),
        sa.UniqueConstraint(
            "document_id",
            "chunk_index",
            name=op.f("uq_kb_chunks_document_id_chunk_index"),
        ),
        sa.UniqueConstraint("fts_rowid", name=op.f("uq_kb_chunks_fts_rowid")),
    )
    with op.batch_alter_table("kb_chunks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kb_chunks_current", ["document_id", "superseded"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_kb_chunks_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_kb_chunks_superseded"), ["superseded"], unique=False
        )

    op.create_table(
        "tool_calls",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("tool_name", sa.String(length=100), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "success",
                "error",
                "denied",
                "timeout",
                name="tool_call_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("confirmation_required", sa.Boolean(), nullable=False),
        sa.Column("user_confirmed", sa.Boolean(), nullable=True),
        sa.Column("phi_involved", sa.Boolean(), nullable=False),
        sa.Column("execution_time_ms", sa.Float(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_tool_calls_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_tool_calls_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool_calls")),
    )
    with op.batch_alter_table("tool_calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tool_calls_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tool_calls_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tool_calls_status"), ["status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tool_calls_tool_name"), ["tool_name"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tool_calls_trace_id"), ["trace_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tool_calls_user_id"), ["user_id"], unique=False
        )

    _create_full_text_index()
    _create_audit_guards()


def downgrade() -> None:
    _drop_audit_guards()
    _drop_full_text_index()
    with op.batch_alter_table("tool_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tool_calls_user_id"))
        batch_op.drop_index(batch_op.f("ix_tool_calls_trace_id"))
        batch_op.drop_index(batch_op.f("ix_tool_calls_tool_name"))
        batch_op.drop_index(batch_op.f("ix_tool_calls_status"))
        batch_op.drop_index(batch_op.f("ix_tool_calls_session_id"))
        batch_op.drop_index(batch_op.f("ix_tool_calls_created_at"))

    op.drop_table("tool_calls")
    with op.batch_alter_table("kb_chunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_chunks_superseded"))
        batch_op.drop_index(batch_op.f("ix_kb_chunks_document_id"))
        batch_op.drop_index("ix_kb_chunks_current")

    op.drop_table("kb_chunks")
    with op.batch_alter_table("indexing_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indexing_jobs_user_id"))
        batch_op.drop_index(batch_op.f("ix_indexing_jobs_state"))
        batch_op.drop_index(batch_op.f("ix_indexing_jobs_document_id"))
        batch_op.drop_index(batch_op.f("ix_indexing_jobs_doc_key"))
        batch_op.drop_index(batch_op.f("ix_indexing_jobs_created_at"))

    op.drop_table("indexing_jobs")
    op.drop_table("clinical_contexts")
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_messages_session_id"))
        batch_op.drop_index(batch_op.f("ix_chat_messages_created_at"))

    op.drop_table("chat_messages")
    op.drop_table("user_settings")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_user_id"))
        batch_op.drop_index(batch_op.f("ix_sessions_updated_at"))
        batch_op.drop_index(batch_op.f("ix_sessions_is_archived"))

    op.drop_table("sessions")
    with op.batch_alter_table("knowledge_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_documents_user_id"))
        batch_op.drop_index(batch_op.f("ix_knowledge_documents_superseded_by"))
        batch_op.drop_index(batch_op.f("ix_knowledge_documents_specialty"))
        batch_op.drop_index(batch_op.f("ix_knowledge_documents_publication_year"))
        batch_op.drop_index(batch_op.f("ix_knowledge_documents_indexing_status"))
        batch_op.drop_index(batch_op.f("ix_knowledge_documents_document_type"))
        batch_op.drop_index(batch_op.f("ix_knowledge_documents_doc_key"))
        batch_op.drop_index(batch_op.f("ix_knowledge_documents_created_at"))
        batch_op.drop_index(batch_op.f("ix_knowledge_documents_content_hash"))

    op.drop_table("knowledge_documents")
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_logs_user_id"))
        batch_op.drop_index(batch_op.f("ix_audit_logs_timestamp"))
        batch_op.drop_index(batch_op.f("ix_audit_logs_status"))
        batch_op.drop_index(batch_op.f("ix_audit_logs_session_id"))
        batch_op.drop_index(batch_op.f("ix_audit_logs_action"))

    op.drop_table("audit_logs")
    op.drop_table("users")
    op.drop_table("system_settings")


# The full-text index lives beside the ORM: an FTS5 table kept in step by
# triggers on SQLite, a generated tsvector column on PostgreSQL. Either way it
# is written in the same transaction as the chunk rows.
_FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"


def _create_full_text_index() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE kb_chunks_fts USING fts5("
            f"heading, content, tokenize = '{_FTS_TOKENIZER}')"
        )
        op.execute(
            "CREATE TRIGGER kb_chunks_fts_insert AFTER INSERT ON kb_chunks BEGIN "
            "INSERT INTO kb_chunks_fts(rowid, heading, content) "
            "VALUES (new.fts_rowid, coalesce(new.heading, ''), new.content); END"
        )
        op.execute(
            "CREATE TRIGGER kb_chunks_fts_delete AFTER DELETE ON kb_chunks BEGIN "
            "DELETE FROM kb_chunks_fts WHERE rowid = old.fts_rowid; END"
        )
        op.execute(
            "CREATE TRIGGER kb_chunks_fts_update AFTER UPDATE OF heading, content "
            "ON kb_chunks BEGIN "
            "UPDATE kb_chunks_fts SET heading = coalesce(new.heading, ''), "
            "content = new.content WHERE rowid = old.fts_rowid; END"
        )
        return

    op.execute(
        "ALTER TABLE kb_chunks ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
        "(setweight(to_tsvector('english', coalesce(heading, '')), 'B') || "
        "setweight(to_tsvector('english', content), 'D')) STORED"
    )
    op.execute(
        "CREATE INDEX ix_kb_chunks_search_vector ON kb_chunks USING gin (search_vector)"
    )


def _drop_full_text_index() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS kb_chunks_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS kb_chunks_fts")
        return
    op.execute("DROP INDEX IF EXISTS ix_kb_chunks_search_vector")
    op.execute("ALTER TABLE kb_chunks DROP COLUMN IF EXISTS search_vector")


# The audit log is append-only in the database itself.
_APPEND_ONLY = "audit_logs is append-only"


def _create_audit_guards() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_logs_no_{verb.lower()} BEFORE {verb} "
                f"ON audit_logs BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
            )
        return

    op.execute(
        "CREATE FUNCTION audit_logs_append_only() RETURNS trigger AS $$ "
        f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END; $$ LANGUAGE plpgsql"
    )
    op.execute(
        "CREATE TRIGGER audit_logs_no_update_delete BEFORE UPDATE OR DELETE "
        "ON audit_logs FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_append_only()"
    )


def _drop_audit_guards() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_logs_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_logs_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_logs_no_update_delete ON audit_logs")
    op.execute("DROP TRIGGER IF EXISTS audit_logs_no_truncate ON audit_logs")
    op.execute("DROP FUNCTION IF EXISTS audit_logs_append_only()")
