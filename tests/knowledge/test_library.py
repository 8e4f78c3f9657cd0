"""The library: import, idempotency, versions, duplicates, delete, jobs.

Real SQLite files (and PostgreSQL where marked), real Qdrant local mode and
the real embedding model; the documents are small text files written here.
"""

from __future__ import annotations

import shutil
import threading

import pytest
from library_helpers import (
    chunk_rows,
    documents_by_key,
    lexical_chunk_ids,
    open_app,
    shared_embedder,
    vector_hit_ids,
    vector_ids,
)
from sqlalchemy import func, select, text

from voiceassist_desktop.core.errors import NotFound
from voiceassist_desktop.index.embedder import collection_name
from voiceassist_desktop.knowledge.jobs import CANCELLED_REASON, Outcome
from voiceassist_desktop.knowledge.library import normalise_key
from voiceassist_desktop.knowledge.pipeline import WRITE_BATCH
from voiceassist_desktop.storage.export import export_record, validate
from voiceassist_desktop.storage.models import (
    AuditLogEntry,
    IndexingJob,
    IndexingStatus,
    JobState,
    KBChunk,
    KnowledgeDocument,
)

ASTHMA = """ASTHMA IN ADULTS

1. Diagnosis

Asthma is diagnosed from a history of wheeze, breathlessness, chest tightness
and cough that vary over time, with variable expiratory airflow limitation.
Spirometry with a bronchodilator reversibility test supports the diagnosis.

2. Treatment

Inhaled corticosteroids are the foundation of controller therapy. A short
course of oral prednisolone treats a severe exacerbation. Patients should
receive a written action plan and have their inhaler technique checked.
"""

GOUT = """GOUT

Acute gout presents with a hot, swollen first metatarsophalangeal joint.
Colchicine or a nonsteroidal anti-inflammatory drug relieves the flare.
Allopurinol lowers serum urate for long-term prevention of attacks.
"""


def _paragraphs(count: int) -> str:
    topics = ["warfarin", "heparin", "insulin", "metformin", "digoxin", "lithium"]
    lines = ["MEDICATION SAFETY NOTES", ""]
    for number in range(count):
        topic = topics[number % len(topics)]
        lines.append(
            f"Note {number}: monitoring of {topic} therapy requires attention to "
            f"dose, renal function and interacting drugs in case {number}. "
            f"Clinicians review {topic} levels and adjust the regimen when the "
            f"patient's condition changes, recording the reason in the chart."
        )
        lines.append("")
    return "\n".join(lines)


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "asthma_guideline.txt").write_text(ASTHMA, encoding="utf-8")
    (folder / "gout_notes.txt").write_text(GOUT, encoding="utf-8")
    return folder


@pytest.fixture
def app(data_dir):
    app = open_app(data_dir)
    yield app
    app.close()


def test_import_writes_documents_chunks_vectors_and_jobs(data_dir, files, database_url):
    seen = []
    app = open_app(data_dir, database_url)
    try:
        library = app.library
        batch = library.import_paths([files], progress=seen.append)
        assert [item.outcome for item in batch.outcomes] == [Outcome.IMPORTED] * 2
        report = batch.wait(300)
        assert report.ok and len(report.imported) == 2

        ids = set(vector_ids(app))
        for item in report.imported:
            document = library.document(item.document_id)
            assert document.indexing_status == IndexingStatus.COMPLETED
            assert document.is_indexed and document.version == 1
            assert document.doc_key == normalise_key(item.path)
            validate("KnowledgeDocument", export_record(document))

            job = library.job(item.job_id)
            assert job.state == JobState.COMPLETED
            assert job.processed_chunks == job.total_chunks == document.chunk_count
            assert export_record(job)["progress"] == 100.0

            rows = chunk_rows(app, document.id)
            assert [row.chunk_index for row in rows] == list(range(len(rows)))
            for row in rows:
                assert row.qdrant_id == row.id and row.id in ids
                assert row.embedding_model == "all-MiniLM-L6-v2"
                assert 0 < row.token_count <= 254
                assert row.chapter or row.heading
                validate("KBChunk", export_record(row))

        asthma = next(i for i in report.imported if "asthma" in i.path.name)
        assert library.document(asthma.document_id).document_type.value == ("guideline")
        hits = app.vectors.search(
            collection_name("all-MiniLM-L6-v2"),
            shared_embedder("all-MiniLM-L6-v2").embed_query("oral prednisolone"),
            3,
        )
        payload = hits[0].payload
        validate("QdrantPayload", payload)
        assert payload["document_id"] == asthma.document_id
        assert None not in payload.values()
        assert lexical_chunk_ids(app, "allopurinol urate")

        states = {p.state for p in seen}
        assert {"pending", "running", "completed"} <= states
        assert any(p.current_step and "embedding" in p.current_step for p in seen)
        with app.db.session() as session:
            actions = session.scalars(
                select(AuditLogEntry.action).where(
                    AuditLogEntry.resource_id == asthma.document_id
                )
            ).all()
        assert "document.import" in actions
        assert library.check_consistency() == {
            "missing_vectors": 0,
            "stray_vectors": 0,
            "missing_lexical": 0,
        }
    finally:
        app.close()


def test_importing_the_same_files_again_changes_nothing(app, files):
    library = app.library
    first = library.import_paths([files]).wait(300)
    with app.db.session() as session:
        before = (
            session.scalars(select(KBChunk.id).order_by(KBChunk.id)).all(),
            session.scalars(select(IndexingJob.id).order_by(IndexingJob.id)).all(),
        )
    vectors_before = vector_ids(app)

    again = library.import_paths([files])
    assert [item.outcome for item in again.outcomes] == [Outcome.UNCHANGED] * 2
    assert not again.job_ids
    report = again.wait(10)
    assert sorted(i.document_id for i in report.unchanged) == sorted(
        i.document_id for i in first.imported
    )
    with app.db.session() as session:
        after = (
            session.scalars(select(KBChunk.id).order_by(KBChunk.id)).all(),
            session.scalars(select(IndexingJob.id).order_by(IndexingJob.id)).all(),
        )
    assert after == before
    assert vector_ids(app) == vectors_before


def test_an_edited_file_becomes_a_new_version_and_the_old_text_is_gone(app, files):
    library = app.library
    path = files / "gout_notes.txt"
    (first,) = library.import_paths([path]).wait(300).imported
    old_chunks = {row.id for row in chunk_rows(app, first.document_id)}
    assert old_chunks & lexical_chunk_ids(app, "colchicine")

    path.write_text(
        GOUT.replace("Colchicine", "Febuxostat").replace("colchicine", "febuxostat"),
        encoding="utf-8",
    )
    batch = library.import_paths([path])
    (pending,) = batch.outcomes
    assert pending.outcome == Outcome.NEW_VERSION
    report = batch.wait(300)
    (second,) = report.new_versions

    versions = documents_by_key(app, normalise_key(path))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].superseded_by == second.document_id
    assert versions[1].superseded_by is None
    assert all(row.superseded for row in chunk_rows(app, first.document_id))

    assert not old_chunks & lexical_chunk_ids(app, "colchicine")
    assert lexical_chunk_ids(app, "febuxostat")
    assert not old_chunks & vector_ids(app)
    assert not old_chunks & vector_hit_ids(app, "Colchicine relieves the flare")
    assert [d.id for d in library.documents() if d.doc_key == versions[0].doc_key] == [
        second.document_id
    ]
    assert len(library.documents(include_superseded=True)) == 2
    with app.db.session() as session:
        actions = session.scalars(select(AuditLogEntry.action)).all()
    assert "document.version" in actions


def test_a_file_changed_twice_in_a_row_ends_with_its_newest_version(app, files):
    library = app.library
    path = files / "gout_notes.txt"
    first = library.import_paths([path])
    path.write_text(GOUT.replace("Allopurinol", "Febuxostat"), encoding="utf-8")
    second = library.import_paths([path])
    (newer,) = second.outcomes
    assert newer.outcome == Outcome.NEW_VERSION

    older = first.wait(300).files[0]
    assert second.wait(300).new_versions
    # The first version either finished before the second, or was superseded
    # while it waited; it never fails and is never current.
    assert older.outcome in (Outcome.IMPORTED, Outcome.SUPERSEDED)
    assert library.job(older.job_id).state in (JobState.COMPLETED, JobState.SUPERSEDED)
    current = [d.id for d in library.documents() if d.doc_key == normalise_key(path)]
    assert current == [newer.document_id]
    assert lexical_chunk_ids(app, "febuxostat")
    assert not lexical_chunk_ids(app, "allopurinol")
    assert library.check_consistency()["stray_vectors"] == 0


def test_the_same_content_under_another_name_is_a_duplicate(app, files, tmp_path):
    library = app.library
    (original,) = library.import_paths([files / "gout_notes.txt"]).wait(300).imported
    vectors_before = vector_ids(app)

    copy = tmp_path / "gout_copy.txt"
    shutil.copy(files / "gout_notes.txt", copy)
    report = library.import_paths([copy]).wait(10)
    (duplicate,) = report.duplicates
    assert duplicate.duplicate_of == original.document_id
    assert "gout_notes.txt" in duplicate.reason
    assert vector_ids(app) == vectors_before
    with app.db.session() as session:
        count = session.scalar(select(func.count()).select_from(KnowledgeDocument))
        audited = session.scalars(
            select(AuditLogEntry.resource_id).where(
                AuditLogEntry.action == "document.duplicate"
            )
        ).all()
    assert count == 1
    assert audited == [original.document_id]


def test_deleting_a_document_leaves_nothing_of_it(app, files):
    library = app.library
    path = files / "asthma_guideline.txt"
    (first,) = library.import_paths([path]).wait(300).imported
    path.write_text(ASTHMA + "\nMontelukast is an add-on option.\n", encoding="utf-8")
    (second,) = library.import_paths([path]).wait(300).new_versions
    (other,) = library.import_paths([files / "gout_notes.txt"]).wait(300).imported
    doomed = {row.id for row in chunk_rows(app, first.document_id)} | {
        row.id for row in chunk_rows(app, second.document_id)
    }

    assert library.delete_document(second.document_id) == 2

    assert documents_by_key(app, normalise_key(path)) == []
    with app.db.session() as session:
        left = session.scalar(
            select(func.count()).select_from(KBChunk).where(KBChunk.id.in_(doomed))
        )
        jobs = session.scalars(select(IndexingJob.document_id)).all()
        fts = session.scalar(text("SELECT count(*) FROM kb_chunks_fts"))
        chunks = session.scalar(select(func.count()).select_from(KBChunk))
    assert left == 0
    assert jobs == [other.document_id]
    assert fts == chunks
    assert not doomed & vector_ids(app)
    assert not lexical_chunk_ids(app, "prednisolone spirometry montelukast")
    assert lexical_chunk_ids(app, "allopurinol")
    with pytest.raises(NotFound):
        library.delete_document(second.document_id)
    assert library.check_consistency()["stray_vectors"] == 0


def test_unsupported_and_unreadable_files_fail_with_a_reason(app, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "notes.txt").write_text(GOUT, encoding="utf-8")
    (folder / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    (folder / "fake.pdf").write_text("this is not a pdf at all", encoding="utf-8")
    (folder / "data.xml").write_text("<root/>", encoding="utf-8")

    report = app.library.import_paths([folder, tmp_path / "missing.txt"]).wait(300)
    reasons = {item.path.name: item.reason for item in report.failed}
    assert reasons == {
        "data.xml": "files of type .xml are not supported",
        "fake.pdf": "this file is not a PDF",
        "missing.txt": "no such file",
        "old.doc": "legacy Word .doc is not supported; save it as .docx",
    }
    assert [item.path.name for item in report.imported] == ["notes.txt"]

    (fake,) = [item for item in report.failed if item.path.name == "fake.pdf"]
    job = app.library.job(fake.job_id)
    assert job.retry_count == 0
    assert job.error_details["type"] == "ConversionError"
    assert job.error_details["retryable"] is False
    assert app.library.document(fake.document_id).indexing_status == (
        IndexingStatus.FAILED
    )
    # The same unreadable bytes again: reported, not tried again.
    again = app.library.import_paths([folder / "fake.pdf"])
    (item,) = again.outcomes
    assert (item.outcome, item.job_id) == (Outcome.FAILED, fake.job_id)


def test_a_running_job_can_be_cancelled_and_retried(app, tmp_path):
    path = tmp_path / "medication_safety.txt"
    path.write_text(_paragraphs(300), encoding="utf-8")
    library = app.library
    cancelled = threading.Event()

    def on_progress(progress):
        if progress.processed_chunks and not cancelled.is_set():
            cancelled.set()
            assert library.cancel(progress.job_id)

    batch = library.import_paths([path], progress=on_progress)
    report = batch.wait(300)
    (failed,) = report.failed
    assert failed.reason == CANCELLED_REASON
    assert chunk_rows(app, failed.document_id) == []
    assert library.check_consistency()["stray_vectors"] == 0

    assert library.retry(failed.job_id)
    assert library.wait_for_jobs([failed.job_id], 300)
    job = library.job(failed.job_id)
    assert job.state == JobState.COMPLETED
    assert job.processed_chunks == job.total_chunks > WRITE_BATCH
    assert not library.retry(failed.job_id)


class _FlakyEmbedder:
    """The real embedder, failing its first call as a transient fault would."""

    def __init__(self, inner):
        self.inner = inner
        self.failures = 1

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, texts):
        if self.failures:
            self.failures -= 1
            raise RuntimeError("temporary failure of the embedding backend")
        return self.inner.embed(texts)


def test_a_transient_failure_is_retried_with_back_off(data_dir, files):
    app = open_app(data_dir)
    app._services["embedder:all-MiniLM-L6-v2"] = _FlakyEmbedder(
        shared_embedder("all-MiniLM-L6-v2")
    )
    try:
        seen = []
        batch = app.library.import_paths(
            [files / "gout_notes.txt"], progress=seen.append
        )
        (item,) = batch.wait(300).imported
        job = app.library.job(item.job_id)
        assert job.state == JobState.COMPLETED
        assert job.retry_count == 1
        assert any(p.current_step == "waiting to retry (1/3)" for p in seen)
        assert any(
            p.error and "temporary failure" in p.error
            for p in seen
            if p.state == "pending"
        )
    finally:
        app.close()


def test_reconcile_restores_missing_vectors_and_drops_strays(app, files):
    library = app.library
    (item,) = library.import_paths([files / "gout_notes.txt"]).wait(300).imported
    rows = chunk_rows(app, item.document_id)
    collection = collection_name(library.model_name())
    app.vectors.delete(collection, [rows[0].id])
    stray = "3f2b8c1e-0d4a-4c7e-9a51-2b6f0e8d7c11"
    from voiceassist_desktop.index.vector import VectorPoint

    app.vectors.upsert(
        collection,
        [
            VectorPoint(
                stray, shared_embedder(library.model_name()).embed_query("x"), {}
            )
        ],
    )
    assert library.check_consistency()["missing_vectors"] == 1

    report = library.reconcile()
    assert (report.vectors_restored, report.orphan_vectors_deleted) == (1, 1)
    assert library.check_consistency() == {
        "missing_vectors": 0,
        "stray_vectors": 0,
        "missing_lexical": 0,
    }


def test_switching_the_embedding_model_reembeds_then_switches(app, files):
    library = app.library
    report = library.import_paths([files]).wait(300)
    chunk_count = sum(
        len(chunk_rows(app, item.document_id)) for item in report.imported
    )
    old_collection = collection_name("all-MiniLM-L6-v2")
    new_model = "all-MiniLM-L6-v2-128"

    seen = []
    task = library.switch_embedding_model(
        new_model, progress=lambda d, t: seen.append(d)
    )
    task.wait(300)

    assert app.system_settings().ai_configuration.embedding_model == new_model
    assert library.model_name() == new_model
    assert seen[-1] == chunk_count
    with app.db.session() as session:
        models = set(session.scalars(select(KBChunk.embedding_model)))
    assert models == {new_model}
    assert len(vector_ids(app, new_model)) == chunk_count
    assert not app.vectors.has_collection(old_collection)
    assert library.check_consistency()["missing_vectors"] == 0
    hits = vector_hit_ids(app, "Allopurinol lowers serum urate")
    gout = next(i for i in report.imported if "gout" in i.path.name)
    assert hits & {row.id for row in chunk_rows(app, gout.document_id)}

    # New imports after the switch use the new model.
    extra = files / "more.txt"
    extra.write_text("ANAEMIA\n\nIron deficiency anaemia responds to oral iron.\n")
    (item,) = library.import_paths([extra]).wait(300).imported
    assert {row.embedding_model for row in chunk_rows(app, item.document_id)} == {
        new_model
    }


def test_closing_mid_job_resumes_from_the_saved_chunks(data_dir, tmp_path):
    path = tmp_path / "medication_safety.txt"
    path.write_text(_paragraphs(300), encoding="utf-8")
    saved = threading.Event()

    def on_progress(progress):
        if progress.processed_chunks:
            saved.set()

    app = open_app(data_dir)
    try:
        batch = app.library.import_paths([path], progress=on_progress)
        (item,) = batch.outcomes
        assert saved.wait(300)
    finally:
        app.close()
    first = {row.id for row in chunk_rows(app, item.document_id)}
    with app.db.session() as session:
        state = session.get(IndexingJob, item.job_id).state
    assert state in (JobState.PENDING, JobState.COMPLETED)

    app = open_app(data_dir)
    try:
        assert app.library.wait_for_jobs([item.job_id], 300)
        job = app.library.job(item.job_id)
        assert job.state == JobState.COMPLETED
        rows = chunk_rows(app, item.document_id)
        assert [row.chunk_index for row in rows] == list(range(job.total_chunks))
        assert first <= {row.id for row in rows}
        assert app.library.check_consistency()["missing_vectors"] == 0
    finally:
        app.close()


def test_importing_a_file_whose_import_was_interrupted_finishes_it(data_dir, tmp_path):
    path = tmp_path / "medication_safety.txt"
    path.write_text(_paragraphs(40), encoding="utf-8")
    app = open_app(data_dir)
    try:
        (item,) = app.library.import_paths([path]).wait(300).imported
    finally:
        app.close()
    # As a process killed mid-import leaves it: the job running, the document
    # not yet indexed.
    with app.db.session() as session:
        session.get(IndexingJob, item.job_id).state = JobState.RUNNING
        document = session.get(KnowledgeDocument, item.document_id)
        document.indexing_status = IndexingStatus.PENDING
        document.is_indexed = False

    app = open_app(data_dir)
    try:
        again = app.library.import_paths([path])
        assert [o.outcome for o in again.outcomes] == [Outcome.IMPORTED]
        assert again.outcomes[0].job_id == item.job_id
        assert again.wait(300).ok
        assert app.library.job(item.job_id).state == JobState.COMPLETED
        with app.db.session() as session:
            document = session.get(KnowledgeDocument, item.document_id)
            assert document.indexing_status == IndexingStatus.COMPLETED
        assert app.library.check_consistency()["missing_vectors"] == 0
    finally:
        app.close()
