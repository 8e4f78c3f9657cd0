"""What the window shows for answers, references and import reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from voiceassist_desktop.gui.format import (
    answer_html,
    date_group,
    import_summary,
    with_references,
)
from voiceassist_desktop.gui.source_viewer import SourceRecord, locate_in_text
from voiceassist_desktop.knowledge.jobs import FileOutcome, ImportReport, Outcome

CITATIONS = [
    {
        "title": "Guide to Infection Prevention",
        "subtitle": "Hand hygiene",
        "location": "p. 7 (PDF p. 13)",
        "marker": 1,
    },
    {"title": "Measles Prevention", "location": "Vaccine use", "marker": 2},
]


def test_markers_become_links_only_for_known_citations():
    html = answer_html("Wash hands [1]. Vaccinate [1, 2]. See [3].", "m1", [1, 2])

    assert '<a href="cite:m1:1"' in html
    assert '<a href="cite:m1:2"' in html
    assert "cite:m1:3" not in html and "[3]" in html


def test_answer_is_escaped_with_light_emphasis_kept():
    html = answer_html("**CrCl: 38 mL/min** <script> [1]", "m", [1])

    assert "&lt;script&gt;" in html
    assert "<b>CrCl: 38 mL/min</b>" in html


def test_copy_with_references_numbers_each_source():
    text = with_references("Wash hands [1].", CITATIONS)

    assert text.splitlines() == [
        "Wash hands [1].",
        "",
        "References",
        "[1] Guide to Infection Prevention, Hand hygiene, p. 7 (PDF p. 13)",
        "[2] Measles Prevention, Vaccine use",
    ]


def test_import_summary_in_plain_words():
    report = ImportReport(
        [
            FileOutcome(Path("/a/x.pdf"), Outcome.IMPORTED, "d1"),
            FileOutcome(Path("/a/y.pdf"), Outcome.IMPORTED, "d2"),
            FileOutcome(Path("/a/z.pdf"), Outcome.UNCHANGED, "d3"),
            FileOutcome(Path("/a/g2.pdf"), Outcome.NEW_VERSION, "d4"),
            FileOutcome(
                Path("/b/copy.pdf"), Outcome.DUPLICATE, "d5", duplicate_of="d1"
            ),
            FileOutcome(
                Path("/a/locked.pdf"),
                Outcome.FAILED,
                reason="encrypted: this PDF needs a password",
            ),
        ]
    )
    titles = {"d1": "Sepsis guideline", "d4": "Asthma guideline"}

    assert import_summary(report, titles) == (
        "2 imported, 1 unchanged, 1 new version of Asthma guideline, "
        "1 duplicate of Sepsis guideline (copy.pdf), "
        "1 failed: locked.pdf: encrypted: this PDF needs a password"
    )


def test_conversations_group_by_local_day():
    now = datetime.now(UTC)
    today = now.astimezone().date()
    assert date_group(now, today) == "Today"
    assert date_group(now - timedelta(days=1), today) == "Yesterday"
    assert date_group(now - timedelta(days=5), today) == "Previous 7 days"
    assert date_group(now - timedelta(days=40), today) == "Older"
    assert date_group(None, date.today()) == "Older"


def test_text_passage_is_found_despite_reflowed_lines():
    text = "Intro.\n\nMeasles vaccine is\nrecommended at 12\nmonths of age. More."
    record = SourceRecord("d", "t", "/x.txt", "txt", None, chunk_text="")

    start, end = locate_in_text(
        text, record, "…measles vaccine is recommended at 12 months of age…"
    )

    assert text[start:end].startswith("Measles vaccine is")
    assert text[start:end].rstrip(".").endswith("months of age")
