"""Rendering a cited PDF page and finding the passage on it."""

from __future__ import annotations

from pathlib import Path

from voiceassist_desktop.gui.pdf_render import find_passage, render_page

GUIDE = (
    Path(__file__).resolve().parents[2]
    / "resources/sample_library/cdc_outpatient_infection_prevention_guide_2016.pdf"
)


def test_passage_across_line_breaks_and_ellipses():
    page = "Key situations where hand \r\nhygiene should be per-\r\nformed include:"
    ranges = find_passage(page, "…situations where hand hygiene should be performed…")

    assert len(ranges) == 1
    start, count = ranges[0]
    assert page[start : start + count].startswith("situations")
    assert page[start : start + count].endswith("formed")


def test_cited_page_is_rendered_with_the_passage_marked():
    snippet = (
        "Key situations where hand hygiene should be performed include: "
        "a. Before contact with a patient."
    )

    page = render_page(str(GUIDE), 9, 1.0, [snippet])

    assert page.page_number == 9 and page.page_count == 44
    assert page.png.startswith(b"\x89PNG")
    assert page.found and page.rects
    for left, top, width, height in page.rects:
        assert 0 <= left < page.width and 0 <= top < page.height
        assert width > 0 and height > 0


def test_page_number_is_clamped_and_unknown_text_is_not_marked():
    page = render_page(str(GUIDE), 999, 0.5, ["words that are on no page at all"])

    assert page.page_number == 44
    assert not page.found and page.rects == []
