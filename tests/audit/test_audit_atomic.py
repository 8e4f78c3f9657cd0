"""An audit entry belongs to its caller's unit of work, on both dialects."""

from __future__ import annotations

import pytest

from voiceassist_desktop.audit.trail import AuditTrail
from voiceassist_desktop.storage.database import Database
from voiceassist_desktop.storage.migrate import upgrade_database
from voiceassist_desktop.storage.models import User


@pytest.fixture
def db(database_url):
    db = Database(database_url)
    upgrade_database(db.engine)
    yield db
    db.close()


def test_an_entry_recorded_first_rolls_back_with_the_failed_action(db):
    trail = AuditTrail()
    with db.session() as session:
        trail.record(session, "app.start", "app")

    # The entry is the transaction's first write: it must not commit on its
    # own when the action that follows fails.
    with pytest.raises(RuntimeError):
        with db.session() as session:
            trail.record(session, "document.delete", "document")
            raise RuntimeError("the deletion failed")

    with db.session() as session:
        assert AuditTrail.count(session) == 1
        trail.record(session, "document.delete", "document", status="failure")
    with db.session() as session:
        result = trail.verify(session)
    assert result.ok and result.checked == 2


def test_an_entry_commits_with_the_work_it_records(db):
    trail = AuditTrail()
    with db.session() as session:
        trail.record(session, "user.create", "user")
        session.add(User(email="a@localhost", username="abc", hashed_password="$2b$x"))
    with db.session() as session:
        assert AuditTrail.count(session) == 1
        assert session.query(User).count() == 1
