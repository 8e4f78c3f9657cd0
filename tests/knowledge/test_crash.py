"""A kill -9 in the middle of an import leaves a library that repairs itself.

`voiceassist ingest` runs in a child process and is killed while a job is
writing chunks. The next start must find the stores consistent (every current
chunk with its vector and its full-text row, no vector without its chunk) and
finish the interrupted jobs without duplicating a chunk.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from library_helpers import chunk_rows, open_app, sqlite_count, vector_ids
from sqlalchemy import func, select

from voiceassist_desktop.storage.models import (
    IndexingJob,
    JobState,
    KBChunk,
    KnowledgeDocument,
)

pytestmark = [pytest.mark.corpus, pytest.mark.slow, pytest.mark.timeout(1800)]

FILES = (
    "txt/cdc_mmwr_1989_std_treatment_guidelines.txt",
    "txt/cdc_mmwr_1985_chlamydia_trachomatis_policy_guidelines.txt",
)


def test_a_killed_import_resumes_into_a_consistent_library(corpus_dir, data_dir):
    database = data_dir / "voiceassist.sqlite3"
    command = [
        sys.executable,
        "-m",
        "voiceassist_desktop.cli",
        "--data-dir",
        str(data_dir),
        "ingest",
        *[str(corpus_dir / "docs" / name) for name in FILES],
    ]
    child = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and child.poll() is None:
            unfinished = sqlite_count(
                database,
                "SELECT count(*) FROM indexing_jobs WHERE state = 'running' "
                "AND processed_chunks > 0 AND processed_chunks < total_chunks",
            )
            if unfinished:
                break
            time.sleep(0.1)
        assert child.poll() is None, child.stderr.read().decode()[-2000:]
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    written = sqlite_count(database, "SELECT count(*) FROM kb_chunks")
    assert written > 0
    with contextlib.closing(
        sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    ) as connection:
        saved = {row[0] for row in connection.execute("SELECT id FROM kb_chunks")}

    app = open_app(data_dir)
    try:
        library = app.library
        assert library.last_reconcile.jobs_resumed >= 1
        assert library.wait_idle(900)

        with app.db.session() as session:
            states = session.scalars(select(IndexingJob.state)).all()
            documents = session.scalars(select(KnowledgeDocument)).all()
            chunks = session.scalar(select(func.count()).select_from(KBChunk))
        assert len(states) == len(FILES)
        assert set(states) == {JobState.COMPLETED}
        for document in documents:
            rows = chunk_rows(app, document.id)
            assert [row.chunk_index for row in rows] == list(range(len(rows)))
            assert document.chunk_count == len(rows) > 0
        assert library.check_consistency() == {
            "missing_vectors": 0,
            "stray_vectors": 0,
            "missing_lexical": 0,
        }
        assert len(vector_ids(app)) == chunks
        # The interrupted job went on from the chunks it had saved.
        with app.db.session() as session:
            assert saved <= set(session.scalars(select(KBChunk.id)))
    finally:
        app.close()
