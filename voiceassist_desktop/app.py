"""The composition root: builds the services in order and shuts them down.

The command line and the window both start here. Cheap services are built at
start; heavy ones (the embedding model, the vector index, speech) are built on
first use, so the window opens before any model has loaded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import filelock

from voiceassist_desktop.audit.trail import AuditTrail
from voiceassist_desktop.core.errors import AlreadyRunning
from voiceassist_desktop.core.events import EventBus
from voiceassist_desktop.core.logs import configure_logging
from voiceassist_desktop.core.paths import AppPaths, resolve_paths
from voiceassist_desktop.core.settings import SystemSettingsModel, UserSettingsModel
from voiceassist_desktop.storage.database import Database
from voiceassist_desktop.storage.engine import database_url
from voiceassist_desktop.storage.models import AuditStatus
from voiceassist_desktop.storage.settings_store import (
    SystemSettingsStore,
    get_user_settings,
    save_user_settings,
)
from voiceassist_desktop.storage.users import ensure_local_user

if TYPE_CHECKING:
    from sqlalchemy.orm import Session as OrmSession

logger = logging.getLogger(__name__)


class App:
    """Every service of one running VoiceAssist, over one data folder.

    Args:
        data_dir: One folder for data, configuration and logs; defaults to
            `VOICEASSIST_DATA_DIR`, then the platform's user folders.
        database_url: Overrides the database (else the environment, the
            setting, then SQLite in the data folder).
        log_to_file: Whether to write the rotating log file.
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        database_url: str | None = None,
        log_to_file: bool = True,
    ) -> None:
        self.paths: AppPaths = resolve_paths(data_dir).ensure()
        self._database_url = database_url
        self._log_to_file = log_to_file
        self._lock = filelock.FileLock(str(self.paths.lock_file), timeout=0)
        self._shutdown: list[tuple[str, Callable[[], None]]] = []
        self._started = False
        self._state_lock = threading.RLock()
        self.events = EventBus()
        self.audit = AuditTrail()
        self.system_settings_store = SystemSettingsStore(
            self.paths.system_settings_backup
        )
        self.db: Database
        self.user_id: str = ""

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> App:
        """Builds the core services: folders, logs, lock, database, user."""
        if self._started:
            return self
        if self._log_to_file:
            configure_logging(self.paths.logs)

        try:
            self._lock.acquire()
        except filelock.Timeout as exc:
            raise AlreadyRunning(
                "Another copy of VoiceAssist is using this data folder.",
                "Switch to the window that is already open, or close it first.",
            ) from exc
        self._on_shutdown("lock", self._lock.release)

        url = database_url(self.paths.database, self._database_url)
        self.db = Database(url)
        self._on_shutdown("database", self.db.close)
        self.db.migrate(self.paths.backups)

        with self.db.session() as session:
            user, created = ensure_local_user(session)
            self.user_id = user.id
            get_user_settings(session, user)
            self.system_settings_store.get(session)
            self.audit.record(
                session,
                "app.start",
                "app",
                user_id=user.id,
                details={"first_run": created, "database": self.db.dialect},
            )
        self._started = True
        logger.info("started on %s (%s)", self.paths.data, self.db.dialect)
        return self

    def close(self) -> None:
        """Shuts services down in the reverse order of their start."""
        while self._shutdown:
            name, action = self._shutdown.pop()
            try:
                action()
            except Exception:
                logger.exception("error while shutting down %s", name)
        self._started = False

    def __enter__(self) -> App:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _on_shutdown(self, name: str, action: Callable[[], None]) -> None:
        self._shutdown.append((name, action))

    # --- settings -------------------------------------------------------------------

    def user_settings(self) -> UserSettingsModel:
        with self.db.session() as session:
            return get_user_settings(session, self._user(session))

    def system_settings(self) -> SystemSettingsModel:
        with self.db.session() as session:
            return self.system_settings_store.get(session)

    def update_user_settings(self, model: UserSettingsModel) -> list[str]:
        """Saves user settings; audits which sections changed."""
        with self.db.session() as session:
            changed = save_user_settings(session, self._user(session), model)
            if changed:
                self.audit.record(
                    session,
                    "settings.update",
                    "user_settings",
                    user_id=self.user_id,
                    details={"sections": changed},
                )
        if changed:
            self.events.publish("settings.changed", scope="user", sections=changed)
        return changed

    def update_system_settings(self, model: SystemSettingsModel) -> list[str]:
        """Saves system settings and their file copy; audits the change."""
        with self.db.session() as session:
            changed = self.system_settings_store.save(session, model)
            if changed:
                self.audit.record(
                    session,
                    "settings.update",
                    "system_settings",
                    user_id=self.user_id,
                    details={"sections": changed},
                )
        if changed:
            self.events.publish("settings.changed", scope="system", sections=changed)
        return changed

    def record(self, action: str, resource_type: str, **kwargs: Any) -> None:
        """Records an audit entry in a transaction of its own."""
        kwargs.setdefault("user_id", self.user_id)
        kwargs.setdefault("status", AuditStatus.SUCCESS)
        with self.db.session() as session:
            self.audit.record(session, action, resource_type, **kwargs)

    def _user(self, session: OrmSession):
        user, _ = ensure_local_user(session)
        return user
