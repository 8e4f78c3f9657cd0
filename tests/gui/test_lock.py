"""The lock screen checks the app password and audits every attempt."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from voiceassist_desktop.app import App
from voiceassist_desktop.gui.lock import LockDialog, password_set
from voiceassist_desktop.storage import access
from voiceassist_desktop.storage.models import AuditLogEntry

pytestmark = pytest.mark.gui


@pytest.fixture
def locked_app(tmp_path):
    with App(tmp_path, log_to_file=False) as app:
        access.set_app_password(app.db, app.audit, "correct horse battery")
        yield app


def _sign_ins(app) -> list[str]:
    with app.db.session() as session:
        rows = session.scalars(
            select(AuditLogEntry)
            .where(AuditLogEntry.action == "auth.sign_in")
            .order_by(AuditLogEntry.timestamp)
        )
        return [row.status.value for row in rows]


def test_a_wrong_password_keeps_the_window_locked(qtbot, locked_app):
    assert password_set(locked_app)
    dialog = LockDialog(locked_app)
    qtbot.addWidget(dialog)

    dialog.password.setText("wrong guess")
    dialog._on_unlock()

    assert dialog.result() != LockDialog.DialogCode.Accepted
    assert dialog.message.text() == "That is not the password."
    assert dialog.password.text() == ""
    assert _sign_ins(locked_app) == ["denied"]


def test_the_right_password_unlocks_and_is_audited(qtbot, locked_app):
    dialog = LockDialog(locked_app)
    qtbot.addWidget(dialog)

    dialog.password.setText("correct horse battery")
    dialog._on_unlock()

    assert dialog.result() == LockDialog.DialogCode.Accepted
    assert _sign_ins(locked_app) == ["success"]
