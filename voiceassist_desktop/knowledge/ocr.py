"""Optical character recognition for PDF pages that have no usable text layer.

The engine is RapidOCR on ONNX Runtime; its detection, orientation and
recognition models ship inside the `rapidocr-onnxruntime` wheel, so nothing is
downloaded. The engine loads on first use, once per process.

A page is rendered with pdfium at `OcrSettings.dpi`, lowered when the page is
large so the bitmap stays under `OcrSettings.max_pixels`. A page that would
need less than `OcrSettings.min_dpi` to fit, or that embeds an image too large
to decode safely, is skipped with `OcrSkipped`, so a poster-sized page or a
35000-pixel scan cannot exhaust memory.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OcrSettings:
    """Limits for rendering and reading a page.

    Attributes:
        dpi: Preferred rendering resolution.
        min_dpi: Below this the text is too small to read; the page is skipped.
        max_pixels: Largest bitmap rendered for one page.
        max_image_pixels: Largest embedded image pdfium may have to decode.
        min_score: Recognition confidence under which a text line is dropped.
    """

    dpi: int = 150
    min_dpi: int = 50
    max_pixels: int = 12_000_000
    max_image_pixels: int = 150_000_000
    min_score: float = 0.5


class OcrSkipped(Exception):
    """A page was not read; `reason` is a plain sentence for the warnings."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OcrResult:
    """The text read from one page and what it cost."""

    text: str
    seconds: float
    dpi: float
    lines: int


_engine: Any = None
_engine_lock = threading.Lock()


def get_engine() -> Any:
    """Return the shared RapidOCR engine, loading it on first use.

    Returns:
        A `rapidocr_onnxruntime.RapidOCR` instance.
    """
    global _engine
    with _engine_lock:
        if _engine is None:
            started = time.perf_counter()
            from rapidocr_onnxruntime import RapidOCR

            _engine = RapidOCR()
            logger.debug("OCR engine loaded in %.1f s", time.perf_counter() - started)
        return _engine


def read_page(page: pdfium.PdfPage, settings: OcrSettings | None = None) -> OcrResult:
    """Render one PDF page and read its text.

    Args:
        page: An open pdfium page.
        settings: Rendering and reading limits.

    Returns:
        The recognised text, lines in reading order (column by column where
        the page has two clear columns).

    Raises:
        OcrSkipped: The page is too large to render safely or too small to read.
    """
    settings = settings or OcrSettings()
    started = time.perf_counter()
    scale = render_scale(page, settings)

    # TODO(knowledge): the bundled recognition model is trained mostly on
    # Chinese and often drops the spaces between English words
    # ("NOTETOREADERS"); an English recognition model, or splitting joined
    # words against a word list, would help full-text search on scans.
    # TODO(knowledge): pages scanned sideways (90 or 270 degrees) read poorly;
    # the orientation model only tells upright from upside-down lines.

    bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=True)
    image = bitmap.to_numpy()
    engine = get_engine()

    # The engine is not documented as thread-safe; pages are read one at a time.
    with _engine_lock:
        result, _elapse = engine(image)
    text, lines = _lines_to_text(result or [], settings.min_score)
    return OcrResult(text, time.perf_counter() - started, scale * 72, lines)


def render_scale(page: pdfium.PdfPage, settings: OcrSettings) -> float:
    """Choose the pdfium scale for a page, or refuse pages that cannot be read.

    Raises:
        OcrSkipped: With the reason.
    """
    width, height = page.get_size()
    if width <= 0 or height <= 0:
        raise OcrSkipped("the page has no area")

    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        image_width, image_height = image.get_px_size()
        if image_width * image_height > settings.max_image_pixels:
            raise OcrSkipped(
                f"it holds an image of {image_width} x {image_height} pixels, "
                "too large to read safely"
            )

    scale = settings.dpi / 72
    pixels = width * height * scale * scale
    if pixels > settings.max_pixels:
        scale *= (settings.max_pixels / pixels) ** 0.5
    if scale * 72 < settings.min_dpi:
        raise OcrSkipped("the page is too large to render at a readable resolution")
    if min(width, height) * scale < 16:
        raise OcrSkipped("the page is too small to hold readable text")
    return scale


def _lines_to_text(result: list, min_score: float) -> tuple[str, int]:
    """Join recognised boxes into lines, reading two columns one after the other."""
    boxes = []
    for box, text, score in result:
        if float(score) < min_score or not text.strip():
            continue
        xs = [point[0] for point in box]
        ys = [point[1] for point in box]
        boxes.append((min(xs), max(xs), min(ys), max(ys), text.strip()))
    if not boxes:
        return "", 0

    columns = _split_columns(boxes)
    lines: list[str] = []
    for column in columns:
        lines.extend(_group_lines(column))
    return "\n".join(lines), len(lines)


def _split_columns(boxes: list[tuple]) -> list[list[tuple]]:
    """Split boxes at a vertical gutter that no box crosses, if there is one."""
    left_edge = min(box[0] for box in boxes)
    right_edge = max(box[1] for box in boxes)
    width = right_edge - left_edge
    if width <= 0 or len(boxes) < 8:
        return [boxes]

    # Look for an empty band in the middle third of the text area.
    bins = 60
    covered = [0] * bins
    for x0, x1, *_ in boxes:
        first = int((x0 - left_edge) / width * (bins - 1))
        last = int((x1 - left_edge) / width * (bins - 1))
        for index in range(first, last + 1):
            covered[index] += 1
    middle = range(bins // 3, 2 * bins // 3)
    empty = [index for index in middle if covered[index] == 0]
    if not empty:
        return [boxes]

    gutter = left_edge + (empty[len(empty) // 2] + 0.5) / (bins - 1) * width
    left = [box for box in boxes if box[1] <= gutter]
    right = [box for box in boxes if box[0] >= gutter]
    if min(len(left), len(right)) < 3:
        return [boxes]
    return [left, right]


def _group_lines(boxes: list[tuple]) -> list[str]:
    """Group boxes whose vertical centres are close into lines, left to right."""
    boxes = sorted(boxes, key=lambda box: (box[2] + box[3]) / 2)
    lines: list[list[tuple]] = []
    for box in boxes:
        centre = (box[2] + box[3]) / 2
        if lines:
            last = lines[-1][-1]
            last_centre = (last[2] + last[3]) / 2
            if abs(centre - last_centre) < (last[3] - last[2]) / 2:
                lines[-1].append(box)
                continue
        lines.append([box])
    return [" ".join(box[4] for box in sorted(line)) for line in lines]
