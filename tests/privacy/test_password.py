"""The app password: set, removed, sign-in audited, and when the window locks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from voiceassist_desktop.app import App
from voiceassist_desktop.cli import cli
from voiceassist_desktop.core.ids import utcnow
from voiceassist_desktop.core.settings import SecuritySettings
from voiceassist_desktop.storage.access import (
    LockPolicy,
    password_is_set,
    set_app_password,
    sign_in,
)
from voiceassist_desktop.storage.models import AuditLogEntry

SECRET = "long enough secret"


def _actions(app: App) -> list[tuple[str, str]]:
    with app.db.session() as session:
        entries = session.scalars(
            select(AuditLogEntry)
            .where(AuditLogEntry.action.like("auth.%"))
            .order_by(AuditLogEntry.sequence)
        )
        return [(e.action, e.status.value) for e in entries]


def test_password_command_sets_and_removes(data_dir):
    runner = CliRunner()
    result = runner.invoke(cli, ["password", "set"], input=f"{SECRET}\n{SECRET}\n")
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output

    with App(data_dir) as app:
        assert password_is_set(app.db)
        assert sign_in(app.db, app.audit, SECRET)
        assert not sign_in(app.db, app.audit, "wrong password")

    assert runner.invoke(cli, ["password", "remove"]).exit_code == 0
    with App(data_dir) as app:
        assert not password_is_set(app.db)
        assert not sign_in(app.db, app.audit, SECRET)
        assert _actions(app) == [
            ("auth.password_set", "success"),
            ("auth.sign_in", "success"),
            ("auth.sign_in", "denied"),
            ("auth.password_removed", "success"),
            ("auth.sign_in", "denied"),
        ]
        with app.db.session() as session:
            trail = " ".join(str(e.details) for e in app.audit.entries(session))
            assert app.audit.verify(session).ok
    assert SECRET not in trail


def test_a_short_or_mismatched_password_is_refused(data_dir):
    runner = CliRunner()
    short = runner.invoke(cli, ["password", "set"], input="short\nshort\n")
    assert short.exit_code == 1
    assert "at least 8 characters" in short.output

    mismatch = runner.invoke(
        cli, ["password", "set"], input=f"{SECRET}\nother one\n{SECRET}\n{SECRET}\n"
    )
    assert mismatch.exit_code == 0
    assert "do not match" in mismatch.output
    with App(data_dir) as app:
        assert password_is_set(app.db)

    assert runner.invoke(cli, ["password", "reset"]).exit_code == 2


def test_set_app_password_keeps_the_old_one_when_refused(data_dir):
    with App(data_dir) as app:
        set_app_password(app.db, app.audit, SECRET)
        with pytest.raises(ValueError):
            set_app_password(app.db, app.audit, "short")
        assert sign_in(app.db, app.audit, SECRET)


def test_lock_policy():
    security = SecuritySettings(idle_lock_minutes=15, require_password=True)
    now = utcnow()

    locked = LockPolicy(security, password_set=True)
    assert locked.should_lock_at_start()
    assert not locked.idle_expired(now - timedelta(minutes=14), now)
    assert locked.idle_expired(now - timedelta(minutes=15), now)
    assert not locked.needs_password_setup

    open_door = LockPolicy(security, password_set=False)
    assert not open_door.should_lock_at_start()
    assert not open_door.idle_expired(now - timedelta(days=1), now)
    assert open_door.needs_password_setup

    never_idle = LockPolicy(SecuritySettings(idle_lock_minutes=0), password_set=True)
    assert never_idle.idle_timeout is None
    assert not never_idle.idle_expired(now - timedelta(days=1), now)
