"""Database engines: SQLite in the data folder by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

logger = logging.getLogger(__name__)

DATABASE_URL_ENV = "VOICEASSIST_DATABASE_URL"
BUSY_TIMEOUT_MS = 10_000


def database_url(sqlite_path: Path, configured: str | None = None) -> str:
    """The URL to use: the environment, then the setting, then the SQLite file.

    Plain `postgresql://` URLs are given the psycopg 3 driver.
    """
    url = os.environ.get(DATABASE_URL_ENV) or configured
    if not url:
        return f"sqlite:///{sqlite_path}"
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    # Every connection: write-ahead log for concurrent readers, enforced
    # foreign keys (off by default in SQLite), and a wait instead of an
    # immediate "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Creates an engine configured for its dialect."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _on_sqlite_connect)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    logger.debug("engine created for %s", engine.url.render_as_string())
    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    """A session factory whose objects stay usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
