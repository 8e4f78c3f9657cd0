"""The database handle the services share: an engine and unit-of-work sessions."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as OrmSession

from voiceassist_desktop.core.errors import EnvironmentProblem
from voiceassist_desktop.storage.engine import make_engine, make_session_factory
from voiceassist_desktop.storage.migrate import upgrade_database

logger = logging.getLogger(__name__)


class Database:
    """Owns the engine; hands out sessions whose transaction the caller scopes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self._factory = make_session_factory(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def migrate(self, backup_dir: Path | None) -> str:
        """Upgrades the schema to the newest revision; see `upgrade_database`."""
        try:
            return upgrade_database(self.engine, backup_dir)
        except OperationalError as exc:
            raise _environment_problem(exc) from exc

    @contextmanager
    def session(self) -> Iterator[OrmSession]:
        """A unit of work: commits on success, rolls back on any error."""
        session = self._factory()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise _environment_problem(exc) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> None:
        """Raises when the database cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()


def _environment_problem(exc: OperationalError) -> Exception:
    message = str(exc.orig or exc).lower()
    if "locked" in message or "busy" in message:
        return EnvironmentProblem(
            "The database is busy: another program is holding it.",
            "Close other copies of VoiceAssist or tools that have its database "
            "open, then try again.",
        )
    if "disk" in message and ("full" in message or "space" in message):
        return EnvironmentProblem(
            "The disk is full, so VoiceAssist cannot save.",
            "Free some disk space, then try again.",
        )
    if "unable to open" in message or "readonly" in message or "read-only" in message:
        return EnvironmentProblem(
            "VoiceAssist cannot write to its database file.",
            "Check that the data folder exists and is writable.",
        )
    if "connection" in message or "could not connect" in message:
        return EnvironmentProblem(
            "The database server cannot be reached.",
            "Check VOICEASSIST_DATABASE_URL and that the server is running.",
        )
    return exc
