"""The composition root: first run, the data folder, one copy at a time."""

from __future__ import annotations

import logging

import bcrypt
import pytest
from sqlalchemy import text

from voiceassist_desktop.app import App
from voiceassist_desktop.core.errors import AlreadyRunning
from voiceassist_desktop.storage.models import User
from voiceassist_desktop.storage.users import get_local_user, set_password


def test_first_run_creates_the_local_user(data_dir):
    with App(data_dir) as app:
        with app.db.session() as session:
            user = get_local_user(session)
            assert user is not None
            assert 3 <= len(user.username) <= 50
            assert user.email.endswith("@localhost")
            assert user.password_set is False
            assert user.hashed_password.startswith("$2")
            count = session.execute(text("SELECT count(*) FROM users")).scalar()
    assert count == 1
    with App(data_dir) as app:
        with app.db.session() as session:
            assert session.execute(text("SELECT count(*) FROM users")).scalar() == 1


def test_password_is_hashed_with_bcrypt(data_dir):
    with App(data_dir) as app:
        with app.db.session() as session:
            user = session.get(User, app.user_id)
            set_password(session, user, "correct horse battery")
            assert bcrypt.checkpw(
                b"correct horse battery", user.hashed_password.encode()
            )
            with pytest.raises(ValueError):
                set_password(session, user, "short")


def test_everything_lives_in_the_data_folder(data_dir):
    with App() as app:
        assert app.paths.data == data_dir
        assert app.paths.database.parent == data_dir
        assert app.paths.logs.is_relative_to(data_dir)
    assert (data_dir / "voiceassist.sqlite3").exists()
    assert (data_dir / "logs" / "voiceassist.log").exists()
    assert (data_dir / "config" / "system-settings.json").exists()


def test_sqlite_connections_are_configured(data_dir):
    with App(data_dir) as app:
        with app.db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_second_copy_on_the_same_folder_is_refused(data_dir):
    with App(data_dir):
        with pytest.raises(AlreadyRunning) as raised:
            App(data_dir).start()
    assert "Another copy" in raised.value.message


def test_log_lines_carry_no_patient_identifiers(data_dir):
    with App(data_dir) as app:
        log = logging.getLogger("voiceassist_desktop.test")
        log.warning("question from patient John Smith, DOB 03/04/1961, MRN 12345678")
        log.warning("call 555-123-4567 or write to jsmith@example.com")
        content = (app.paths.logs / "voiceassist.log").read_text()
    for identifier in ("John Smith", "03/04/1961", "12345678", "555-123-4567"):
        assert identifier not in content
    assert "jsmith@example.com" not in content
    assert "[MRN]" in content or "[ID]" in content
