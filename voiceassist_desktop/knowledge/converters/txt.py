"""Plain text: the encoding detected, obvious headings found.

The encoding is detected with charset-normalizer (a byte-order mark or valid
UTF-8 is taken as such first), never assumed. Headings are found modestly:
numbered section lines and ALL-CAPS lines standing alone, and ALL-CAPS runs that
open a paragraph after a sentence ends (older reports flattened to text keep
their headings inline).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from charset_normalizer import from_bytes

from voiceassist_desktop.knowledge.converters.common import (
    detect_plain_headings,
    find_doi,
    find_isbn,
    normalise_newlines,
)
from voiceassist_desktop.knowledge.document import (
    ConvertedDocument,
    DocumentMetadata,
    Heading,
    Page,
)
from voiceassist_desktop.knowledge.errors import ConversionError

logger = logging.getLogger(__name__)

NO_TEXT = "no text: the file is empty"
NOT_TEXT = "this file is not readable text"
MAX_BYTES = 200 * 1024 * 1024

INLINE_HEADING = re.compile(
    r"(?<=[.!?] )([A-Z][A-Z0-9 ,:;&/()'-]{6,}[A-Z)])(?= [A-Z][a-z])"
)


def convert(path: Path) -> ConvertedDocument:
    """Convert a plain-text file.

    Args:
        path: The text file.

    Returns:
        The document as one unpaginated page.

    Raises:
        ConversionError: The file is empty, too large, or not text.
    """
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise ConversionError("the text file is too large to read")
    data = path.read_bytes()
    text = normalise_newlines(decode_text(data))
    if not text.strip():
        raise ConversionError(NO_TEXT)

    headings = detect_plain_headings(text)
    headings.extend(_inline_headings(text, {h.char_start for h in headings}))
    headings.sort(key=lambda heading: heading.char_start)

    head = text[:20000]
    document = ConvertedDocument(
        source=path,
        format="txt",
        pages=[Page(number=None, text=text)],
        headings=headings,
        metadata=DocumentMetadata(
            title=_title(text),
            doi=find_doi(head),
            isbn=find_isbn(head),
        ),
    )
    return document


def decode_text(data: bytes) -> str:
    """Decode bytes of unknown encoding.

    Args:
        data: The raw bytes.

    Returns:
        The text.

    Raises:
        ConversionError: The bytes are not text in any known encoding.
    """
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass

    matches = list(from_bytes(data[:2_000_000]))
    if not matches:
        raise ConversionError(NOT_TEXT)

    # Single-byte code pages often tie; among the least chaotic guesses take
    # windows-1252 (the web's default for undeclared Western text), else the
    # most coherent one.
    least = min(match.chaos for match in matches)
    tied = [match for match in matches if match.chaos <= least + 0.005]
    best = next(
        (match for match in tied if match.encoding == "cp1252"),
        max(tied, key=lambda match: match.coherence),
    )
    logger.debug("Detected encoding %s", best.encoding)
    return data.decode(best.encoding, errors="replace")


def _inline_headings(text: str, known: set[int]) -> list[Heading]:
    headings = []
    for match in INLINE_HEADING.finditer(text):
        title = match.group(1).strip()
        if sum(char.isalpha() for char in title) >= 6 and match.start(1) not in known:
            headings.append(Heading(title, 1, 0, match.start(1)))
    return headings


def _title(text: str) -> str | None:
    """The first line, when it is short enough to be a title."""
    first = text.strip().split("\n", 1)[0].strip()
    if 8 <= len(first) <= 150 and not first.endswith("."):
        return first
    return None
