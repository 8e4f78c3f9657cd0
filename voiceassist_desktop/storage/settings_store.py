"""Reads and writes the typed settings; keeps a file copy of the system settings.

The system settings are a singleton row. Every change is also written to a JSON
file in the configuration folder, and when the row is lost (a restored or
damaged database) it is recreated from that file.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from voiceassist_desktop.core.settings import (
    SYSTEM_SECTIONS,
    USER_SECTIONS,
    SystemSettingsModel,
    UserSettingsModel,
    load_system_settings,
    load_user_settings,
)
from voiceassist_desktop.storage.models import SystemSettings, User, UserSettings

logger = logging.getLogger(__name__)


def _row_to_dict(row: Any, sections: tuple[str, ...]) -> dict[str, Any]:
    data: dict[str, Any] = {"schema_version": row.schema_version}
    for section in sections:
        data[section] = getattr(row, section) or {}
    return data


def _apply(row: Any, model: Any, sections: tuple[str, ...]) -> None:
    row.schema_version = model.schema_version
    for section in sections:
        setattr(row, section, getattr(model, section).model_dump(mode="json"))


def get_user_settings(session: OrmSession, user: User) -> UserSettingsModel:
    """The user's settings, created with defaults when missing."""
    row = session.scalars(
        select(UserSettings).where(UserSettings.user_id == user.id)
    ).first()
    if row is None:
        model = UserSettingsModel()
        row = UserSettings(user_id=user.id)
        _apply(row, model, USER_SECTIONS)
        session.add(row)
        session.flush()
        return model

    stored = _row_to_dict(row, USER_SECTIONS)
    model = load_user_settings(stored)
    if model.schema_version != stored["schema_version"]:
        _apply(row, model, USER_SECTIONS)
    return model


def save_user_settings(
    session: OrmSession, user: User, model: UserSettingsModel
) -> list[str]:
    """Stores `model`; returns the names of the sections that changed."""
    model = UserSettingsModel.model_validate(model.model_dump())
    before = get_user_settings(session, user)
    row = session.scalars(
        select(UserSettings).where(UserSettings.user_id == user.id)
    ).one()
    _apply(row, model, USER_SECTIONS)
    return [s for s in USER_SECTIONS if getattr(before, s) != getattr(model, s)]


class SystemSettingsStore:
    """The singleton system settings with their file copy."""

    def __init__(self, backup_file: Path) -> None:
        self.backup_file = backup_file

    def get(self, session: OrmSession) -> SystemSettingsModel:
        """The system settings; restores or creates the row when it is missing."""
        row = session.scalars(select(SystemSettings)).first()
        if row is not None:
            stored = _row_to_dict(row, SYSTEM_SECTIONS)
            model = load_system_settings(stored)
            if model.schema_version != stored["schema_version"]:
                _apply(row, model, SYSTEM_SECTIONS)
                self._write_backup(model)
            return model

        model = self._read_backup()
        if model is not None:
            logger.warning(
                "system settings row missing: restored from %s", self.backup_file
            )
        else:
            model = SystemSettingsModel()
        row = SystemSettings(singleton=1)
        _apply(row, model, SYSTEM_SECTIONS)
        session.add(row)
        session.flush()
        self._write_backup(model)
        return model

    def save(self, session: OrmSession, model: SystemSettingsModel) -> list[str]:
        """Stores `model` and its file copy; returns the sections that changed."""
        model = SystemSettingsModel.model_validate(model.model_dump())
        before = self.get(session)
        row = session.scalars(select(SystemSettings)).one()
        _apply(row, model, SYSTEM_SECTIONS)
        self._write_backup(model)
        return [s for s in SYSTEM_SECTIONS if getattr(before, s) != getattr(model, s)]

    def _read_backup(self) -> SystemSettingsModel | None:
        try:
            data = json.loads(self.backup_file.read_text(encoding="utf-8"))
            return load_system_settings(data)
        except FileNotFoundError:
            return None
        except (ValueError, OSError):
            logger.exception("system settings file %s is unreadable", self.backup_file)
            return None

    def _write_backup(self, model: SystemSettingsModel) -> None:
        # Write then rename, so a crash never leaves half a file.
        self.backup_file.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(model.model_dump(mode="json"), indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=self.backup_file.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
        os.replace(tmp, self.backup_file)
