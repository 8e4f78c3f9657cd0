"""Full-text search in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from voiceassist_desktop.index.lexical import LexicalIndex, query_terms
from voiceassist_desktop.index.vector import VectorFilter
from voiceassist_desktop.storage.database import Database
from voiceassist_desktop.storage.migrate import upgrade_database
from voiceassist_desktop.storage.models import (
    DocumentType,
    FileFormat,
    IndexingStatus,
    KBChunk,
    KnowledgeDocument,
)
from voiceassist_desktop.storage.users import ensure_local_user

PASSAGES = [
    ("Dosage", "The recommended dose of apixaban is 5 mg taken orally twice daily."),
    ("Renal impairment", "No dose adjustment is recommended for renal impairment."),
    ("Measles", "Two doses of measles vaccine are recommended for school entry."),
]


def _document(session, user_id, title, status, year, doc_type):
    document = KnowledgeDocument(
        user_id=user_id,
        doc_key=title,
        content_hash=title,
        title=title,
        document_type=doc_type,
        file_path=f"/library/{title}.txt",
        file_name=f"{title}.txt",
        file_size=100,
        file_format=FileFormat.TXT,
        indexing_status=status,
        publication_year=year,
    )
    session.add(document)
    session.flush()
    for number, (heading, content) in enumerate(PASSAGES):
        chunk = KBChunk(
            document_id=document.id,
            chunk_index=number,
            content=content,
            heading=heading,
            token_count=len(content.split()),
            qdrant_id="",
            embedding_model="test",
        )
        chunk.qdrant_id = chunk.id or ""
        session.add(chunk)
    session.flush()
    return document


@pytest.fixture
def library(database_url):
    db = Database(database_url)
    upgrade_database(db.engine)
    with db.session() as session:
        user, _ = ensure_local_user(session)
        current = _document(
            session,
            user.id,
            "label",
            IndexingStatus.COMPLETED,
            2021,
            DocumentType.OTHER,
        )
        _document(
            session,
            user.id,
            "pending",
            IndexingStatus.PROCESSING,
            2022,
            DocumentType.GUIDELINE,
        )
    yield db, current
    db.close()


def test_query_terms_drop_stop_words():
    terms = query_terms("What is the dose of apixaban in renal impairment?")
    assert terms == ["dose", "apixaban", "renal", "impairment"]


def test_finds_current_chunks_best_first(library):
    db, current = library
    with db.session() as session:
        hits = LexicalIndex().search(session, "apixaban dose twice daily", 5)
        contents = [session.get(KBChunk, h.chunk_id).content for h in hits]
        documents = {session.get(KBChunk, h.chunk_id).document_id for h in hits}
    assert contents[0].startswith("The recommended dose of apixaban")
    assert documents == {current.id}
    assert all(h.score > 0 for h in hits)


def test_headings_are_searched(library):
    db, _ = library
    with db.session() as session:
        hits = LexicalIndex().search(session, "renal impairment", 5)
        assert session.get(KBChunk, hits[0].chunk_id).heading == "Renal impairment"


def test_superseded_chunks_and_filters_are_excluded(library):
    db, current = library
    with db.session() as session:
        session.execute(
            text("UPDATE kb_chunks SET superseded = :yes WHERE chunk_index = 0"),
            {"yes": True},
        )
    with db.session() as session:
        index = LexicalIndex()
        hits = index.search(session, "apixaban", 5)
        assert all(session.get(KBChunk, h.chunk_id).chunk_index != 0 for h in hits)
        assert index.search(session, "measles", 5, VectorFilter(year_to=2020)) == []
        assert index.search(session, "measles", 5, VectorFilter(year_from=2020))


def test_deleting_chunks_removes_them_from_the_index(library):
    db, current = library
    with db.session() as session:
        session.delete(session.get(KnowledgeDocument, current.id))
    with db.session() as session:
        assert LexicalIndex().search(session, "measles vaccine", 5) == []
        if db.is_sqlite:
            remaining = session.execute(text("SELECT count(*) FROM kb_chunks_fts"))
            assert remaining.scalar() == len(PASSAGES)  # the pending document's


def test_punctuation_cannot_break_the_query(library):
    db, _ = library
    with db.session() as session:
        assert LexicalIndex().search(session, 'dose" OR NEAR( * -- ;', 5)
        assert LexicalIndex().search(session, "?!", 5) == []
