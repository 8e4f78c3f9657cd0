"""Job bookkeeping without the stores: back-off, errors, the single writer."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from voiceassist_desktop.knowledge.errors import ConversionError, FileChangedError
from voiceassist_desktop.knowledge.jobs import (
    FileOutcome,
    ImportReport,
    Outcome,
    backoff_seconds,
    error_details,
    is_final,
    plain_reason,
)
from voiceassist_desktop.knowledge.pipeline import (
    guess_document_type,
    title_from_file_name,
)
from voiceassist_desktop.knowledge.writer import StoreWriter, WriterClosed


def test_back_off_doubles_from_the_base():
    assert [backoff_seconds(n, 2.0) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]


def test_only_passing_errors_are_retried():
    assert is_final(ConversionError("this file is not a PDF"))
    assert is_final(FileNotFoundError("gone"))
    assert not is_final(OSError("disk full"))
    assert not is_final(RuntimeError("database is busy"))
    # Saved again while it waited: retried, and superseded by the newer version.
    assert not is_final(FileChangedError("the file changed after it was added"))

    assert plain_reason(ConversionError("encrypted")) == "encrypted"
    assert plain_reason(FileNotFoundError()) == "the file is no longer there"
    try:
        raise ValueError("boom")
    except ValueError as error:
        details = error_details(error)
    assert details["type"] == "ValueError" and details["retryable"] is True
    assert "boom" in details["traceback"]


@pytest.mark.parametrize(
    ("title", "file_name", "expected"),
    [
        (None, "fda_label_eliquis_apixaban.pdf", "other"),
        ("Highlights of prescribing information", "x.pdf", "other"),
        (None, "who_ipc_core_components_guidelines_2016.pdf", "guideline"),
        (None, "cdc_outpatient_infection_prevention_guide_2016.pdf", "guideline"),
        ("Clinical Medicine Handbook", "book.pdf", "textbook"),
        (None, "bmc_jtmo_2010_dvt_prophylaxis_trauma_review.pdf", "journal"),
        (None, "notes.txt", "other"),
    ],
)
def test_document_type_is_guessed_modestly(title, file_name, expected):
    assert guess_document_type(title, file_name).value == expected


def test_a_doi_or_an_isbn_decides_when_words_do_not():
    assert guess_document_type(None, "a.pdf", doi="10.1/x").value == "journal"
    assert guess_document_type(None, "a.pdf", isbn="9780000000002").value == (
        "textbook"
    )


def test_titles_from_file_names_are_readable():
    assert title_from_file_name("who_healthy-diet_2019.pdf") == "Who healthy-diet 2019"


def test_the_report_groups_files_by_outcome():
    report = ImportReport(
        [
            FileOutcome(Path("a.txt"), Outcome.IMPORTED, "d1", "j1"),
            FileOutcome(Path("b.pdf"), Outcome.FAILED, reason="this file is not a PDF"),
            FileOutcome(Path("c.txt"), Outcome.DUPLICATE, "d1", duplicate_of="d1"),
        ]
    )
    assert [f.path.name for f in report.imported] == ["a.txt"]
    assert [f.reason for f in report.failed] == ["this file is not a PDF"]
    assert report.counts()["duplicate"] == 1
    assert not report.ok


def test_the_writer_runs_units_one_at_a_time_in_order():
    writer = StoreWriter()
    order: list[int] = []
    inside = threading.Lock()
    overlaps: list[int] = []

    def unit(number: int):
        def run() -> int:
            if not inside.acquire(blocking=False):
                overlaps.append(number)
                return number
            try:
                order.append(number)
                assert writer.on_writer_thread
                return number
            finally:
                inside.release()

        return run

    futures = [writer.submit(unit(n)) for n in range(50)]
    assert [f.result(10) for f in futures] == list(range(50))
    assert order == list(range(50)) and not overlaps

    # A unit may call the writer again without waiting for itself.
    assert writer.call(lambda: writer.call(lambda: 7)) == 7

    with pytest.raises(ZeroDivisionError):
        writer.call(lambda: 1 / 0)
    writer.close()
    with pytest.raises(WriterClosed):
        writer.submit(lambda: None)
