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
        self._services: dict[str, Any] = {}
        self.events = EventBus()
        self.audit = AuditTrail(self.paths.audit_head)
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
        self._services.clear()
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

    # --- services built on first use ----------------------------------------------
    # Each is created once, under a lock, and closed at shutdown in reverse order.

    def embedder_for(self, model_name: str | None = None):
        """The embedder of `model_name` (default: the configured model)."""
        from voiceassist_desktop.index.embedder import Embedder

        name = model_name or self.system_settings().ai_configuration.embedding_model
        batch = self.system_settings().resource_limits.embedding_batch_size
        return self._service(
            f"embedder:{name}", lambda: Embedder(name, batch_size=batch)
        )

    @property
    def embedder(self):
        return self.embedder_for()

    def _service(self, name: str, factory: Callable[[], Any]) -> Any:
        with self._state_lock:
            if name not in self._services:
                self._services[name] = factory()
            return self._services[name]

    @property
    def vectors(self):
        return self._service("vectors", self._make_vectors)

    def _make_vectors(self):
        from voiceassist_desktop.index.vector import QdrantVectorIndex

        index = QdrantVectorIndex(self.paths.vectors)
        self._on_shutdown("vector index", index.close)
        return index

    @property
    def lexical(self):
        from voiceassist_desktop.index.lexical import LexicalIndex

        return self._service("lexical", LexicalIndex)

    @property
    def library(self):
        return self._service("library", self._make_library)

    def _make_library(self):
        from voiceassist_desktop.knowledge.library import Library

        library = Library(
            db=self.db,
            audit=self.audit,
            events=self.events,
            user_id=self.user_id,
            paths=self.paths,
            embedder_for=self.embedder_for,
            vectors=self.vectors,
            system_settings=self.system_settings,
        )
        library.start()
        self._on_shutdown("library", library.close)
        return library

    @property
    def searcher(self):
        return self._service("searcher", self._make_searcher)

    def _make_searcher(self):
        from voiceassist_desktop.retrieval.search import HybridSearcher

        return HybridSearcher(
            db=self.db,
            embedder_for=self.embedder_for,
            vectors=self.vectors,
            lexical=self.lexical,
            system_settings=self.system_settings,
        )

    @property
    def conversations(self):
        return self._service("conversations", self._make_conversations)

    def _make_conversations(self):
        from voiceassist_desktop.assistant.conversations import Conversations

        return Conversations(
            db=self.db, audit=self.audit, events=self.events, user_id=self.user_id
        )

    @property
    def assistant(self):
        return self._service("assistant", self._make_assistant)

    def _make_assistant(self):
        from voiceassist_desktop.assistant.service import Assistant

        return Assistant(
            db=self.db,
            audit=self.audit,
            events=self.events,
            user_id=self.user_id,
            searcher=self.searcher,
            conversations=self.conversations,
            user_settings=self.user_settings,
            system_settings=self.system_settings,
            tools=self.tools,
        )

    @property
    def tools(self):
        return self._service("tools", self._make_tools)

    def _make_tools(self):
        from voiceassist_desktop.assistant.tools.registry import ToolRegistry

        return ToolRegistry(
            db=self.db,
            audit=self.audit,
            events=self.events,
            user_id=self.user_id,
            searcher_provider=lambda: self.searcher,
            conversations_provider=lambda: self.conversations,
        )

    # --- voice -----------------------------------------------------------------------

    @property
    def speech(self):
        """The speech recogniser of the voice settings (the model loads lazily)."""
        return self._service("speech", self._make_speech)

    def _make_speech(self):
        from voiceassist_desktop.voice.stt import WhisperSpeechToText

        size = self.user_settings().voice.stt_model
        return WhisperSpeechToText(self.paths.cache, model_size=size)

    def vocabulary_terms(self, limit: int = 400) -> list[str]:
        """Clinical terms from the user's own library, to prime speech recognition.

        Headings and chapter titles come first, then drug and condition names
        mined from the current chunks' text. Cached until the library changes.
        """
        from sqlalchemy import func, select

        from voiceassist_desktop.storage.models import KBChunk
        from voiceassist_desktop.voice.vocabulary import extract_terms

        if not self.user_settings().voice.use_library_vocabulary:
            return []
        with self.db.session() as session:
            stamp = session.scalar(
                select(func.count()).select_from(KBChunk).where(~KBChunk.superseded)
            )
            cached = self._services.get("vocabulary")
            if cached and cached[0] == stamp:
                return cached[1]
            headings = session.scalars(
                select(KBChunk.heading)
                .where(~KBChunk.superseded, KBChunk.heading.is_not(None))
                .group_by(KBChunk.heading)
                .order_by(func.count().desc())
                .limit(200)
            ).all()
            sample = session.scalars(
                select(KBChunk.content).where(~KBChunk.superseded).limit(3000)
            ).all()

        terms = extract_terms(" ".join(sample), limit=limit)
        for heading in headings:
            for term in extract_terms(heading or ""):
                if term not in terms:
                    terms.insert(0, term)
        terms = terms[:limit]
        self._services["vocabulary"] = (stamp, terms)
        return terms
