"""The audit log is append-only in the database itself, on both dialects."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from voiceassist_desktop.audit.trail import AuditTrail
from voiceassist_desktop.storage.database import Database
from voiceassist_desktop.storage.migrate import upgrade_database


@pytest.fixture
def db_with_entry(database_url):
    db = Database(database_url)
    upgrade_database(db.engine)
    with db.session() as session:
        AuditTrail().record(session, "app.start", "app")
    yield db
    db.close()


def test_update_is_refused(db_with_entry):
    with pytest.raises(DatabaseError, match="append-only"):
        with db_with_entry.engine.begin() as connection:
            connection.execute(text("UPDATE audit_logs SET action = 'changed'"))


def test_delete_is_refused(db_with_entry):
    with pytest.raises(DatabaseError, match="append-only"):
        with db_with_entry.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_logs"))


def test_insert_still_works(db_with_entry):
    with db_with_entry.session() as session:
        AuditTrail().record(session, "app.stop", "app")
        assert AuditTrail.count(session) == 2
