"""Where the app keeps its data, configuration and logs.

Everything lives in the platform's user folders unless `VOICEASSIST_DATA_DIR`
(or the `--data-dir` option, which sets it) names one folder for all of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "VoiceAssist"
DATA_DIR_ENV = "VOICEASSIST_DATA_DIR"


@dataclass(frozen=True)
class AppPaths:
    """The folders the app writes to."""

    data: Path
    config: Path
    logs: Path
    cache: Path

    @property
    def database(self) -> Path:
        return self.data / "voiceassist.sqlite3"

    @property
    def vectors(self) -> Path:
        return self.data / "vectors"

    @property
    def recordings(self) -> Path:
        return self.data / "recordings"

    @property
    def backups(self) -> Path:
        return self.data / "backups"

    @property
    def system_settings_backup(self) -> Path:
        return self.config / "system-settings.json"

    @property
    def audit_head(self) -> Path:
        return self.config / "audit-head.json"

    @property
    def lock_file(self) -> Path:
        return self.data / "voiceassist.lock"

    def ensure(self) -> AppPaths:
        """Creates every folder; returns self for chaining."""
        for folder in (
            self.data,
            self.config,
            self.logs,
            self.cache,
            self.vectors,
            self.recordings,
            self.backups,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def resolve_paths(data_dir: str | Path | None = None) -> AppPaths:
    """Returns the app's folders.

    Args:
        data_dir: One folder for everything; falls back to `VOICEASSIST_DATA_DIR`,
            then to the platform's user folders.
    """
    root = data_dir or os.environ.get(DATA_DIR_ENV)
    if root:
        base = Path(root).expanduser().resolve()
        return AppPaths(
            data=base,
            config=base / "config",
            logs=base / "logs",
            cache=base / "cache",
        )

    return AppPaths(
        data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        cache=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    )
