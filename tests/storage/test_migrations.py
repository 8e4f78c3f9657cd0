"""Migrations on SQLite and PostgreSQL: one head, ORM agreement, data kept."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from voiceassist_desktop.core.errors import DatabaseTooNew
from voiceassist_desktop.storage.database import Database
from voiceassist_desktop.storage.migrate import (
    alembic_config,
    current_revision,
    downgrade_database,
    head_revision,
    upgrade_database,
)
from voiceassist_desktop.storage.models import (
    Base,
    ChatMessage,
    MessageRole,
    Session,
    SessionMode,
)
from voiceassist_desktop.storage.users import ensure_local_user


def test_single_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [head_revision()]


def test_orm_and_migrations_agree(database_url):
    db = Database(database_url)
    upgrade_database(db.engine)

    # The same filter the migration environment uses for the full-text objects.
    unmanaged_prefix = "kb_chunks_fts"
    unmanaged = {"search_vector", "ix_kb_chunks_search_vector"}

    def include_object(obj, name, type_, reflected, compare_to):
        return not (name and (name.startswith(unmanaged_prefix) or name in unmanaged))

    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"include_object": include_object, "compare_type": True},
        )
        diff = compare_metadata(context, Base.metadata)
    db.close()
    assert diff == []


def test_downgrade_then_upgrade_keeps_data(database_url):
    db = Database(database_url)
    upgrade_database(db.engine)
    with db.session() as session:
        user, _ = ensure_local_user(session)
        conversation = Session(user_id=user.id, title="kept", mode=SessionMode.TEXT)
        session.add(conversation)
        session.flush()
        session.add(
            ChatMessage(
                session_id=conversation.id, role=MessageRole.USER, content="hello"
            )
        )

    downgrade_database(db.engine, "-1")
    assert current_revision(db.engine) != head_revision()
    upgrade_database(db.engine)
    assert current_revision(db.engine) == head_revision()

    with db.session() as session:
        titles = session.scalars(select(Session.title)).all()
        contents = session.scalars(select(ChatMessage.content)).all()
    db.close()
    assert titles == ["kept"]
    assert contents == ["hello"]


def test_database_newer_than_code_is_refused(database_url):
    db = Database(database_url)
    upgrade_database(db.engine)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))

    with pytest.raises(DatabaseTooNew) as raised:
        upgrade_database(db.engine)
    db.close()
    assert "newer version" in raised.value.message


def test_sqlite_file_is_copied_before_migrating(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    upgrade_database(db.engine, revision="0001")
    backups = tmp_path / "backups"

    upgrade_database(db.engine, backups)

    copies = list(backups.glob("app-migration-*.sqlite3"))
    db.close()
    assert len(copies) == 1
    copy = Database(f"sqlite:///{copies[0]}")
    assert current_revision(copy.engine) == "0001"
    copy.close()
