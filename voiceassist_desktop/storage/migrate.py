"""Applies the Alembic migrations that ship inside the package.

At start-up the app upgrades its database to the newest revision, after copying
the SQLite file aside. A database stamped with a revision this code does not
know was written by a newer version of the app and is refused.
"""

from __future__ import annotations

import logging
import sqlite3
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from voiceassist_desktop.core.errors import DatabaseTooNew
from voiceassist_desktop.core.ids import utcnow

logger = logging.getLogger(__name__)


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    location = resources.files("voiceassist_desktop.migrations")
    config = Config()
    config.set_main_option("script_location", str(location))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url",
            engine.url.render_as_string(hide_password=False).replace("%", "%%"),
        )
    return config


def head_revision() -> str:
    """The newest revision this code knows."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations must have exactly one head, found {heads}")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    """The revision the database is stamped with, or None when it is empty."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def backup_sqlite(db_path: Path, backup_dir: Path, reason: str) -> Path | None:
    """Copies a live SQLite database with SQLite's online backup API.

    Returns the copy's path, or None when there is no database yet.
    """
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    target = backup_dir / f"{db_path.stem}-{reason}-{stamp}.sqlite3"
    source = sqlite3.connect(db_path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    logger.info("database copied to %s before %s", target, reason)
    return target


def upgrade_database(
    engine: Engine,
    backup_dir: Path | None = None,
    revision: str = "head",
) -> str:
    """Brings the database to `revision`, refusing a database that is newer.

    Args:
        engine: The app's engine.
        backup_dir: Where to copy a SQLite file before changing it.
        revision: The target; `head` in the app.

    Returns:
        The revision the database is at afterwards.
    """
    script = ScriptDirectory.from_config(alembic_config())
    current = current_revision(engine)
    if current is not None:
        try:
            script.get_revision(current)
        except Exception as exc:
            raise DatabaseTooNew(
                f"The database is at revision {current}, which this version of "
                "VoiceAssist does not know: it was written by a newer version.",
                "Install the newer version again, or point VoiceAssist at "
                "another data folder.",
            ) from exc

    head = script.get_current_head()
    if current == head and revision == "head":
        return current

    if (
        current is not None
        and backup_dir is not None
        and engine.dialect.name == "sqlite"
    ):
        db_path = Path(engine.url.database or "")
        backup_sqlite(db_path, backup_dir, "migration")

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    logger.info("database migrated from %s to %s", current, revision)
    return current_revision(engine) or ""


def downgrade_database(engine: Engine, revision: str) -> None:
    """Steps the database back to `revision` (used by tests and maintainers)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
