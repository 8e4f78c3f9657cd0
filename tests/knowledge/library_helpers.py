"""Helpers shared by the library tests: one embedding model per test run.

The embedding model is real (loaded from its package); each app a test opens
is handed the same loaded embedders instead of loading its own.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
from pathlib import Path

from sqlalchemy import select

from voiceassist_desktop.app import App
from voiceassist_desktop.index.embedder import MODELS, Embedder, collection_name
from voiceassist_desktop.storage.models import KBChunk, KnowledgeDocument


@functools.cache
def shared_embedder(name: str) -> Embedder:
    return Embedder(name, batch_size=32)


def open_app(data_dir: Path, database_url: str | None = None) -> App:
    """A started app over `data_dir` whose embedders are the shared ones."""
    app = App(data_dir, database_url=database_url, log_to_file=False).start()
    for name in MODELS:
        app._services[f"embedder:{name}"] = shared_embedder(name)
    return app


def chunk_rows(app: App, document_id: str) -> list[KBChunk]:
    with app.db.session() as session:
        return list(
            session.scalars(
                select(KBChunk)
                .where(KBChunk.document_id == document_id)
                .order_by(KBChunk.chunk_index)
            )
        )


def documents_by_key(app: App, doc_key: str) -> list[KnowledgeDocument]:
    with app.db.session() as session:
        return list(
            session.scalars(
                select(KnowledgeDocument)
                .where(KnowledgeDocument.doc_key == doc_key)
                .order_by(KnowledgeDocument.version)
            )
        )


def vector_ids(app: App, model: str | None = None) -> set[str]:
    name = model or app.library.model_name()
    return set(app.vectors.ids(collection_name(name)))


def lexical_chunk_ids(app: App, words: str) -> set[str]:
    """Current chunks the full-text index finds for any of `words`."""
    with app.db.session() as session:
        return {hit.chunk_id for hit in app.lexical.search(session, words, 50)}


def vector_hit_ids(app: App, text: str, limit: int = 10) -> set[str]:
    model = app.library.model_name()
    vector = shared_embedder(model).embed_query(text)
    return {hit.id for hit in app.vectors.search(collection_name(model), vector, limit)}


def sqlite_count(database: Path, query: str) -> int:
    """A count read straight from the SQLite file (another process may write)."""
    if not database.exists():
        return 0
    uri = f"file:{os.fspath(database)}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as db:
            return int(db.execute(query).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
