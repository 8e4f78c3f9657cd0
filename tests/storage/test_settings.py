"""Typed settings: defaults, migrations, and the system settings file copy."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from voiceassist_desktop.app import App
from voiceassist_desktop.core.settings import (
    SETTINGS_SCHEMA_VERSION,
    UserSettingsModel,
    load_system_settings,
    load_user_settings,
)


def test_defaults_cover_every_section():
    user = UserSettingsModel()
    assert user.voice.activation_mode == "push_to_talk"
    assert user.display.font_size >= 10
    system = load_system_settings(None)
    assert system.ai_configuration.remote_generation_enabled is False
    assert system.schema_version == SETTINGS_SCHEMA_VERSION


def test_old_settings_are_migrated():
    user = load_user_settings({"schema_version": 1, "voice": {"hotkey": "F8"}})
    assert user.voice.push_to_talk_key == "F8"
    system = load_system_settings(
        {"schema_version": 1, "ai_configuration": {"model": "all-MiniLM-L6-v2-128"}}
    )
    assert system.ai_configuration.embedding_model == "all-MiniLM-L6-v2-128"


def test_invalid_values_are_refused():
    user = UserSettingsModel()
    with pytest.raises(ValidationError):
        user.display.font_size = 300


def test_user_settings_persist_and_are_audited(data_dir):
    with App(data_dir) as app:
        settings = app.user_settings()
        settings.display.font_size = 14
        assert app.update_user_settings(settings) == ["display"]
        assert app.update_user_settings(settings) == []

    with App(data_dir) as app:
        assert app.user_settings().display.font_size == 14
        with app.db.session() as session:
            actions = session.execute(
                text("SELECT action FROM audit_logs ORDER BY sequence")
            ).scalars()
            assert "settings.update" in list(actions)


def test_system_settings_are_copied_to_a_file_and_restored(data_dir):
    with App(data_dir) as app:
        system = app.system_settings()
        system.data_retention.recording_retention_days = 7
        app.update_system_settings(system)
        backup = app.paths.system_settings_backup
        saved = json.loads(backup.read_text())
        assert saved["data_retention"]["recording_retention_days"] == 7
        with app.db.engine.begin() as connection:
            connection.execute(text("DELETE FROM system_settings"))

    with App(data_dir) as app:
        restored = app.system_settings()
    assert restored.data_retention.recording_retention_days == 7
