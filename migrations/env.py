"""Alembic environment: runs on the connection the app hands over.

From the command line (`alembic -c migrations/alembic.ini upgrade head`) it
opens the database the app itself would use.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from voiceassist_desktop.storage.models import Base

config = context.config
target_metadata = Base.metadata

# Objects that live outside the ORM on purpose: the full-text index and its
# SQLite shadow tables, and the PostgreSQL tsvector column.
_UNMANAGED_PREFIXES = ("kb_chunks_fts",)
_UNMANAGED_NAMES = {"search_vector", "ix_kb_chunks_search_vector"}


def include_object(obj, name, type_, reflected, compare_to):
    if name and (name.startswith(_UNMANAGED_PREFIXES) or name in _UNMANAGED_NAMES):
        return False
    return True


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return

    from sqlalchemy import create_engine

    from voiceassist_desktop.core.paths import resolve_paths
    from voiceassist_desktop.storage.engine import database_url

    url = config.get_main_option("sqlalchemy.url") or database_url(
        resolve_paths().database
    )
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations_online()
