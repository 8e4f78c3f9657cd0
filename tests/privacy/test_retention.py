"""Data retention: old conversations and recordings go, as the settings say."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from voiceassist_desktop.app import App
from voiceassist_desktop.cli import cli
from voiceassist_desktop.core.ids import utcnow
from voiceassist_desktop.storage.models import (
    AuditLogEntry,
    ChatMessage,
    ClinicalContext,
    MessageRole,
    Session,
    ToolCall,
)
from voiceassist_desktop.storage.retention import apply_retention


def _conversation(app: App, age_days: int, recording_age_days: int | None) -> str:
    """A conversation last active `age_days` ago, with a context and a tool call."""
    conversation = app.conversations.create(mode="voice")
    app.conversations.set_context(conversation.id, patient_age=70, weight_kg=80)
    app.tools.run(
        "bmi", {"weight_kg": 80, "height_cm": 175}, session_id=conversation.id
    )
    past = utcnow() - timedelta(days=age_days)
    audio_url = None
    if recording_age_days is not None:
        recording = app.paths.recordings / f"{conversation.id}.wav"
        recording.write_bytes(b"RIFF")
        stamp = (utcnow() - timedelta(days=recording_age_days)).timestamp()
        os.utime(recording, (stamp, stamp))
        audio_url = str(recording)
    with app.db.session() as session:
        session.add(
            ChatMessage(
                session_id=conversation.id,
                role=MessageRole.USER,
                content="spoken question",
                audio_url=audio_url,
                created_at=utcnow() - timedelta(days=recording_age_days or 0),
            )
        )
        session.execute(
            update(Session).where(Session.id == conversation.id).values(updated_at=past)
        )
    return conversation.id


def _set_rules(app: App, conversations: int, recordings: int) -> None:
    settings = app.system_settings()
    settings.data_retention.conversation_retention_days = conversations
    settings.data_retention.recording_retention_days = recordings
    app.update_system_settings(settings)


@pytest.fixture
def app(data_dir):
    with App(data_dir) as app:
        yield app


def test_old_conversations_and_recordings_are_deleted(app):
    old = _conversation(app, age_days=40, recording_age_days=40)
    recent_with_old_recording = _conversation(app, age_days=1, recording_age_days=10)
    recent = _conversation(app, age_days=1, recording_age_days=1)
    _set_rules(app, conversations=30, recordings=7)

    report = apply_retention(
        app.db, app.audit, app.paths, app.system_settings(), user_id=app.user_id
    )

    assert report.conversations_deleted == 1
    assert report.messages_deleted == 1
    assert report.recordings_deleted == 2
    with app.db.session() as session:
        remaining = set(session.scalars(select(Session.id)))
        assert remaining == {recent_with_old_recording, recent}
        for cls in (ClinicalContext, ToolCall, ChatMessage):
            assert not list(session.scalars(select(cls).where(cls.session_id == old)))
        urls = dict(
            session.execute(select(ChatMessage.session_id, ChatMessage.audio_url)).all()
        )
        entry = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.action == "retention.apply")
        ).one()
        assert app.audit.verify(session).ok
    assert urls[recent_with_old_recording] is None
    assert urls[recent] == str(app.paths.recordings / f"{recent}.wav")
    files = {p.name for p in app.paths.recordings.iterdir()}
    assert files == {f"{recent}.wav"}

    assert entry.details["conversations_deleted"] == 1
    assert entry.details["recordings_deleted"] == 2
    assert entry.phi_accessed is True
    assert old not in str(entry.details)


def test_zero_keeps_everything(app):
    _conversation(app, age_days=4000, recording_age_days=4000)
    _set_rules(app, conversations=0, recordings=0)

    report = apply_retention(app.db, app.audit, app.paths, app.system_settings())

    assert report.conversations_deleted == 0
    assert report.recordings_deleted == 0
    assert len(list(app.paths.recordings.iterdir())) == 1


def test_retention_command(data_dir):
    with App(data_dir) as app:
        _conversation(app, age_days=40, recording_age_days=None)
        _set_rules(app, conversations=30, recordings=7)
    result = CliRunner().invoke(cli, ["retention"])
    assert result.exit_code == 0, result.output
    assert "1 conversations (1 messages) and 0 recordings deleted" in result.stdout
