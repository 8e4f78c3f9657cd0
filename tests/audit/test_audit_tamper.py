"""Editing or deleting an audit entry by hand is caught, at that entry."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from voiceassist_desktop.app import App
from voiceassist_desktop.audit.trail import AuditTrail, compute_hash
from voiceassist_desktop.cli import cli
from voiceassist_desktop.storage.database import Database
from voiceassist_desktop.storage.migrate import upgrade_database
from voiceassist_desktop.storage.models import AuditLogEntry

ENTRIES = 6


@pytest.fixture
def trail_file(data_dir):
    """A data folder whose audit trail has six entries; the app is closed."""
    with App(data_dir) as app:
        for number in range(ENTRIES - 1):
            app.record("test.step", "test", details={"step": number})
        with app.db.session() as session:
            assert AuditTrail.count(session) == ENTRIES
    return data_dir / "voiceassist.sqlite3"


def _by_hand(database, *statements: str) -> None:
    # As someone with the file and the sqlite3 tool would: drop the guard,
    # change the row, recreate nothing.
    connection = sqlite3.connect(database)
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def _verify():
    return CliRunner().invoke(cli, ["audit", "verify"])


def test_an_untouched_trail_verifies(trail_file):
    result = _verify()
    assert result.exit_code == 0
    # The verifying run's own start entry is appended first.
    assert f"OK: {ENTRIES + 1} entries" in result.stdout


@pytest.mark.parametrize(
    ("sequence", "change"),
    [
        (1, "details = '{\"step\": 99}'"),
        (3, "details = NULL"),
        (ENTRIES, "action = 'test.other'"),
        (2, "status = 'failure'"),
        (4, "phi_accessed = 1"),
        (5, "resource_id = 'x'"),
        (3, "session_id = '00000000-0000-4000-8000-000000000000'"),
        (ENTRIES, "ip_address = '10.0.0.1'"),
        (2, "timestamp = '2020-01-01 00:00:00.000000'"),
        (1, "user_id = NULL"),
    ],
)
def test_editing_any_entry_fails_at_that_entry(trail_file, sequence, change):
    _by_hand(
        trail_file,
        "DROP TRIGGER audit_logs_no_update",
        f"UPDATE audit_logs SET {change} WHERE sequence = {sequence}",
    )
    result = _verify()
    assert result.exit_code == 1
    assert f"BROKEN at entry {sequence} " in result.stdout
    assert "changed" in result.stdout


def test_rehashing_an_edited_entry_is_caught_at_the_next(trail_file):
    db = Database(f"sqlite:///{trail_file}")
    with db.session() as session:
        entry = session.query(AuditLogEntry).filter_by(sequence=3).one()
        # Detached, so the forgery is computed without writing anything.
        session.expunge(entry)
        entry.details = {"step": 99}
        forged = compute_hash(entry.prev_hash, entry)
    db.close()
    _by_hand(
        trail_file,
        "DROP TRIGGER audit_logs_no_update",
        "UPDATE audit_logs SET details = '{\"step\": 99}', "
        f"entry_hash = '{forged}' WHERE sequence = 3",
    )
    result = _verify()
    assert result.exit_code == 1
    assert "BROKEN at entry 4 " in result.stdout
    assert "link to the previous entry" in result.stdout


def test_deleting_an_entry_is_caught_at_the_next(trail_file):
    _by_hand(
        trail_file,
        "DROP TRIGGER audit_logs_no_delete",
        "DELETE FROM audit_logs WHERE sequence = 3",
    )
    result = _verify()
    assert result.exit_code == 1
    assert "BROKEN at entry 4 " in result.stdout
    assert "missing" in result.stdout


GUARD_DELETE = (
    "CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs "
    "BEGIN SELECT RAISE(ABORT, 'audit_logs is append-only'); END"
)


def test_cutting_entries_from_the_end_is_caught(trail_file):
    # The guard is put back afterwards, so only the missing entries tell.
    _by_hand(
        trail_file,
        "DROP TRIGGER audit_logs_no_delete",
        f"DELETE FROM audit_logs WHERE sequence > {ENTRIES - 3}",
        GUARD_DELETE,
    )
    result = _verify()
    assert result.exit_code == 1
    # The verifying run's own start entry takes the place after the cut.
    assert f"BROKEN at entry {ENTRIES - 1}:" in result.stdout
    assert f"but entry {ENTRIES} was recorded" in result.stdout

    # Nor does the trail forget: later runs keep failing.
    assert _verify().exit_code == 1


def test_emptying_the_log_is_caught(trail_file):
    _by_hand(
        trail_file,
        "DROP TRIGGER audit_logs_no_delete",
        "DELETE FROM audit_logs",
        GUARD_DELETE,
    )
    result = _verify()
    assert result.exit_code == 1
    assert "removed from its end" in result.stdout


def test_a_dropped_guard_is_reported(trail_file):
    _by_hand(trail_file, "DROP TRIGGER audit_logs_no_update")
    result = _verify()
    assert result.exit_code == 1
    assert "no longer refuses changes" in result.stdout
    assert "audit_logs_no_update" in result.stdout


def _tamper(db: Database, statement: str) -> None:
    with db.engine.begin() as connection:
        if db.is_sqlite:
            connection.execute(text("DROP TRIGGER IF EXISTS audit_logs_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS audit_logs_no_delete"))
        else:
            connection.execute(
                text(
                    "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_no_update_delete"
                )
            )
        connection.execute(text(statement))


@pytest.fixture
def db_with_trail(database_url):
    db = Database(database_url)
    upgrade_database(db.engine)
    trail = AuditTrail()
    with db.session() as session:
        for number in range(ENTRIES):
            trail.record(
                session,
                "test.step",
                "test",
                details={"step": number, "note": "patient John Smith"},
            )
    yield db, trail
    db.close()


def test_the_chain_verifies_and_breaks_on_both_dialects(db_with_trail):
    db, trail = db_with_trail
    with db.session() as session:
        result = trail.verify(session)
        assert result.ok and result.checked == ENTRIES
        stored = session.query(AuditLogEntry).filter_by(sequence=1).one()
        assert "John Smith" not in str(stored.details)

    _tamper(db, "UPDATE audit_logs SET action = 'test.other' WHERE sequence = 2")
    with db.session() as session:
        result = trail.verify(session)
    assert not result.ok
    assert result.first_bad_sequence == 2
    assert result.checked == 1


def test_a_deletion_is_caught_on_both_dialects(db_with_trail):
    db, trail = db_with_trail
    _tamper(db, "DELETE FROM audit_logs WHERE sequence = 4")
    with db.session() as session:
        result = trail.verify(session)
    assert not result.ok
    assert result.first_bad_sequence == 5
