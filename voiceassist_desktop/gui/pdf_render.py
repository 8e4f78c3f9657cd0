"""Renders a PDF page and finds the rectangles of a cited passage on it.

PDFium may not be called from two threads at once, and the library's import
jobs call it on their own threads; so the viewer renders in a child process
(see `PageRenderer`). This module imports no Qt, so that process stays light.
"""

from __future__ import annotations

import concurrent.futures
import io
import logging
import multiprocessing
import re
import threading
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*")


@dataclass
class RenderedPage:
    """A page as a PNG image, with the passage's rectangles in image pixels."""

    png: bytes
    width: int
    height: int
    page_number: int
    page_count: int
    rects: list[tuple[float, float, float, float]] = field(default_factory=list)
    found: bool = False


def _normalise(text: str) -> tuple[str, list[int]]:
    """Lower-cased text with whitespace runs collapsed, and each char's origin."""
    out: list[str] = []
    origin: list[int] = []
    previous_space = True
    joining = False  # inside a word hyphenated across a line break
    for index, char in enumerate(text):
        if char.isspace() or char in "\x02\ufffe":
            if not previous_space and not joining:
                out.append(" ")
                origin.append(index)
                previous_space = True
            continue
        if char == "-" and index + 1 < len(text) and text[index + 1] in "\r\n":
            joining = True
            continue
        joining = False
        out.append(char.lower())
        origin.append(index)
        previous_space = False
    return "".join(out), origin


def find_passage(page_text: str, passage: str) -> list[tuple[int, int]]:
    """Character ranges (start, count) of `passage` in `page_text`.

    Tries the whole passage, then its pieces around ellipses, then windows of
    eight words, so line breaks, hyphenation and trimmed snippets still match.
    """
    haystack, origin = _normalise(page_text)
    if not haystack:
        return []

    def locate(needle: str) -> tuple[int, int] | None:
        needle, _ = _normalise(needle)
        needle = needle.strip()
        if len(needle) < 12:
            return None
        at = haystack.find(needle)
        if at < 0:
            return None
        start, end = origin[at], origin[at + len(needle) - 1]
        return start, end - start + 1

    whole = locate(passage)
    if whole:
        return [whole]

    ranges: list[tuple[int, int]] = []
    for piece in _ELLIPSIS.split(passage):
        found = locate(piece)
        if found:
            ranges.append(found)
    if ranges:
        return ranges

    words = passage.split()
    for start in range(0, len(words), 8):
        found = locate(" ".join(words[start : start + 8]))
        if found:
            ranges.append(found)
    return ranges


def render_page(
    path: str,
    page_number: int,
    scale: float,
    passages: list[str],
    fit_width: int | None = None,
) -> RenderedPage:
    """Renders 1-based `page_number` of a PDF and locates `passages` on it.

    Args:
        path: The PDF file.
        page_number: 1-based physical page (clamped to the document).
        scale: Pixels per PDF point (the largest, with `fit_width`).
        passages: Texts to find, best first (the snippet, the chunk's text);
            the first one found is highlighted.
        fit_width: Scale the page down to this many pixels wide.
    """
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        count = len(pdf)
        number = min(max(1, page_number), count)
        page = pdf[number - 1]
        width, height = page.get_size()
        if fit_width:
            scale = min(scale, fit_width / width)
        image = page.render(scale=scale).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, "PNG")

        rects: list[tuple[float, float, float, float]] = []
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        for passage in passages:
            for start, length in find_passage(text, passage or ""):
                for index in range(textpage.count_rects(start, length)):
                    left, bottom, right, top = textpage.get_rect(index)
                    rects.append(
                        (
                            left * scale,
                            (height - top) * scale,
                            (right - left) * scale,
                            (top - bottom) * scale,
                        )
                    )
            if rects:
                break
        return RenderedPage(
            png=buffer.getvalue(),
            width=image.width,
            height=image.height,
            page_number=number,
            page_count=count,
            rects=rects,
            found=bool(rects),
        )
    finally:
        pdf.close()


class PageRenderer:
    """Renders pages in one child process, shared by every viewer."""

    def __init__(self) -> None:
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def render(
        self,
        path: str,
        page_number: int,
        scale: float,
        passages: list[str],
        fit_width: int | None = None,
    ) -> RenderedPage:
        """Blocks (call it from a worker) until the page is rendered."""
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn")
                )
            future = self._executor.submit(
                render_page, path, page_number, scale, passages, fit_width
            )
        return future.result(timeout=120)

    def close(self) -> None:
        """Stops the child process."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
