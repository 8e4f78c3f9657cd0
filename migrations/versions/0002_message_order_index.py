"""Index messages by conversation and time, the order a conversation is read in.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 19:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_chat_messages_session_created",
            ["session_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_messages_session_created")
