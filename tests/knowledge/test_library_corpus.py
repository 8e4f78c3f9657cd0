"""The library over real documents and parser-breaking files, built once.

The library is the session's `corpus_library` (tests/conftest.py): documents
of every format from `docs/` and the quirk files, imported once in one batch
through the same path `voiceassist ingest` takes. Each quirk's outcome is the one the
converter tests write down, except that OCR is on here, so image-only pages
that the recogniser can read import instead of failing.
"""

from __future__ import annotations

import pytest
from library_helpers import chunk_rows, lexical_chunk_ids, vector_ids
from sqlalchemy import func, select
from test_converters import QUIRK_OUTCOMES

from voiceassist_desktop.knowledge.jobs import Outcome
from voiceassist_desktop.storage.models import (
    FileFormat,
    IndexingJob,
    KBChunk,
    KnowledgeDocument,
)

# The library is imported by the first test that asks for it.
pytestmark = [pytest.mark.corpus, pytest.mark.timeout(3600)]

SCANNED = "cdc_outpatient_guide_scanned_p1-8.pdf"
# Image-only quirks that OCR reads; the converter tests run with OCR off.
READ_BY_OCR = {
    "pdf/enormous_page_size.pdf",
    "pdf/scanned_book_page_image_only.pdf",
    "pdf/scanned_four_rotations.pdf",
    "pdf/scanned_skewed.pdf",
    "pdf/scanned_two_column_brochure.pdf",
    "pdf/text_as_vector_curves_no_fonts.pdf",
    "pdf/truetype_font_no_tounicode.pdf",
}


def _by_name(report):
    return {item.path.name: item for item in report.files}


def test_every_document_imports(corpus_library):
    items = _by_name(corpus_library.report)

    for path in corpus_library.documents:
        item = items[path.name]
        if path.suffix == ".xml":
            assert item.outcome == Outcome.FAILED
            assert item.job_id is None and "not supported" in item.reason
        else:
            assert item.outcome == Outcome.IMPORTED, item


def test_each_quirk_imports_or_fails_its_own_job_with_a_reason(corpus_library):
    app, report = corpus_library.app, corpus_library.report
    items = _by_name(report)
    quirks = corpus_library.quirks[0].parents[1]

    for path in corpus_library.quirks:
        name = str(path.relative_to(quirks))
        item = items[path.name]
        expected, reason = QUIRK_OUTCOMES[name]
        if expected == "ok" or name in READ_BY_OCR:
            assert item.outcome == Outcome.IMPORTED, item
            continue
        assert item.outcome == Outcome.FAILED, item
        assert item.reason and not item.reason.startswith("unexpected error")
        if path.suffix == ".doc":
            assert item.job_id is None and "not supported" in item.reason
            continue
        job = app.library.job(item.job_id)
        assert job.status.value == "failed"
        assert job.error_message == item.reason
        assert job.error_details["type"] == "ConversionError"
        assert job.retry_count == 0
    assert "password" in items["encrypted_user_password_openpassword.pdf"].reason
    assert "not a PDF" in items["not_a_pdf_5_bytes.pdf"].reason


def test_pdf_chunks_carry_pages_and_documents_carry_headings(corpus_library):
    app, report = corpus_library.app, corpus_library.report
    with app.db.session() as session:
        documents = session.scalars(
            select(KnowledgeDocument).where(KnowledgeDocument.chunk_count > 0)
        ).all()
    assert len(documents) == len(report.imported)

    for document in documents:
        rows = chunk_rows(app, document.id)
        assert len(rows) == document.chunk_count
        if document.file_format == FileFormat.PDF:
            assert document.page_count
            assert all(1 <= row.page_number <= document.page_count for row in rows)
        if document.file_format == FileFormat.HTML and document.file_size > 50_000:
            assert any(row.heading or row.chapter for row in rows), document.file_name
    labelled = [d for d in documents if "rinvoq" in d.file_name]
    assert any(row.chapter for row in chunk_rows(app, labelled[0].id))
    assert labelled[0].document_type.value == "other"


def test_the_scanned_guide_is_read_by_ocr_and_searchable(corpus_library):
    app, report = corpus_library.app, corpus_library.report
    item = _by_name(report)[SCANNED]
    document = app.library.document(item.document_id)
    assert document.meta["ocr_pages"]
    rows = chunk_rows(app, document.id)
    assert rows
    word = max((w for row in rows for w in row.content.split() if w.isalpha()), key=len)
    found = lexical_chunk_ids(app, word)
    assert found & {row.id for row in rows}


def test_the_stores_agree(corpus_library):
    app = corpus_library.app
    assert app.library.check_consistency() == {
        "missing_vectors": 0,
        "stray_vectors": 0,
        "missing_lexical": 0,
    }
    with app.db.session() as session:
        chunks = session.scalar(select(func.count()).select_from(KBChunk))
    assert len(vector_ids(app)) == chunks


def test_importing_the_same_files_again_changes_nothing(corpus_library):
    app, first = corpus_library.app, corpus_library.report

    def snapshot():
        with app.db.session() as session:
            return (
                session.scalars(select(KnowledgeDocument.id).order_by("id")).all(),
                session.scalars(select(KBChunk.id).order_by("id")).all(),
                session.scalars(select(IndexingJob.id).order_by("id")).all(),
            )

    before = snapshot()
    again = app.library.import_paths(
        [*corpus_library.documents, *corpus_library.quirks]
    )
    assert not again.job_ids
    report = again.wait(60)
    previous = _by_name(first)
    for item in report.files:
        if previous[item.path.name].outcome == Outcome.FAILED:
            assert item.outcome == Outcome.FAILED
            assert item.reason == previous[item.path.name].reason
        else:
            assert item.outcome == Outcome.UNCHANGED
            assert item.document_id == previous[item.path.name].document_id
    assert snapshot() == before
