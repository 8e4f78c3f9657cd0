"""The shape of a converted document: pages, headings, metadata and quality.

Every converter returns a `ConvertedDocument`. Paginated formats (PDF) have one
`Page` per physical page, numbered from 1. Formats without pages (DOCX, HTML,
TXT) hold their whole text in a single `Page` whose `number` is None; there the
headings carry the location.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Page:
    """The text of one physical page (or of a whole unpaginated document).

    Attributes:
        number: 1-based physical page number; None for unpaginated formats.
        text: The page text, lines separated by "\\n".
        label: The printed page label ("iv", "147") where the PDF defines one.
        ocr: True when the text came from optical character recognition.
    """

    number: int | None
    text: str
    label: str | None = None
    ocr: bool = False


@dataclass
class Heading:
    """A heading or outline entry and where its section starts.

    Attributes:
        title: The heading text.
        level: 1 for chapters (the top level of the document), 2 and more for
            headings below them.
        page_index: Index into `ConvertedDocument.pages` (0 for unpaginated
            formats).
        char_start: Character offset in that page's text where the section
            starts.
    """

    title: str
    level: int
    page_index: int
    char_start: int = 0


@dataclass
class DocumentMetadata:
    """Bibliographic details found in the file; any of them may be missing."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    publication_year: int | None = None
    publisher: str | None = None
    doi: str | None = None
    isbn: str | None = None
    url: str | None = None


@dataclass
class QualityReport:
    """How trustworthy the extracted text is.

    Attributes:
        ocr_pages: Physical page numbers whose text came from OCR.
        garbled_pages: Pages whose text layer was nonsense (fonts without a
            text mapping) and could not be recovered.
        empty_pages: Pages that yielded no text at all.
        skipped_pages: Pages left out on purpose (too large to render, time
            budget spent).
    """

    ocr_pages: list[int] = field(default_factory=list)
    garbled_pages: list[int] = field(default_factory=list)
    empty_pages: list[int] = field(default_factory=list)
    skipped_pages: list[int] = field(default_factory=list)

    @property
    def garbled_text_detected(self) -> bool:
        """True when some page had an unreadable text layer."""
        return bool(self.garbled_pages)

    @property
    def ocr_used(self) -> bool:
        """True when some page was read by OCR."""
        return bool(self.ocr_pages)


@dataclass(frozen=True)
class Section:
    """A stretch of one page's text under one heading.

    `char_start` and `char_end` are offsets into the page's text, so
    `page.text[char_start:char_end] == text`.
    """

    page_index: int
    page_number: int | None
    page_label: str | None
    chapter: str | None
    heading: str | None
    text: str
    char_start: int
    char_end: int


@dataclass
class ConvertedDocument:
    """A file turned into text, ready for chunking.

    Attributes:
        source: The file the text came from.
        format: "pdf", "docx", "html" or "txt".
        pages: The text, page by page (one page for unpaginated formats).
        headings: Headings in reading order.
        metadata: Bibliographic details.
        warnings: Plain sentences about what was degraded or left out.
        quality: Flags on the text's quality.
    """

    source: Path
    format: str
    pages: list[Page]
    headings: list[Heading] = field(default_factory=list)
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)
    warnings: list[str] = field(default_factory=list)
    quality: QualityReport = field(default_factory=QualityReport)

    @property
    def paginated(self) -> bool:
        """True when pages are physical pages (PDF)."""
        return bool(self.pages) and self.pages[0].number is not None

    @property
    def text(self) -> str:
        """All text, pages separated by blank lines (for hashing or preview)."""
        return "\n\n".join(page.text for page in self.pages)

    def has_text(self) -> bool:
        """True when at least one page holds something other than spaces."""
        return any(page.text.strip() for page in self.pages)

    def iter_sections(self) -> Iterator[Section]:
        """Yield the text in reading order, cut at page and heading boundaries.

        Each section carries its page and the chapter (the innermost level-1
        heading before it) and heading (the innermost deeper heading under that
        chapter, or None when the text sits directly under the chapter).

        Yields:
            Sections with non-blank text, in page order.
        """
        headings = sorted(
            (h for h in self.headings if 0 <= h.page_index < len(self.pages)),
            key=lambda h: (h.page_index, h.char_start),
        )
        chapter: str | None = None
        stack: list[Heading] = []
        position = 0

        for page_index, page in enumerate(self.pages):
            cuts: list[tuple[int, Heading | None]] = [(0, None)]
            while position < len(headings) and headings[position].page_index == (
                page_index
            ):
                heading = headings[position]
                start = min(max(heading.char_start, 0), len(page.text))
                cuts.append((start, heading))
                position += 1

            for number, (start, heading) in enumerate(cuts):
                if heading is not None:
                    chapter, stack = _enter(heading, chapter, stack)
                end = cuts[number + 1][0] if number + 1 < len(cuts) else len(page.text)
                piece = page.text[start:end]
                if not piece.strip():
                    continue
                yield Section(
                    page_index=page_index,
                    page_number=page.number,
                    page_label=page.label,
                    chapter=chapter,
                    heading=stack[-1].title if stack else None,
                    text=piece,
                    char_start=start,
                    char_end=end,
                )


def _enter(
    heading: Heading, chapter: str | None, stack: list[Heading]
) -> tuple[str | None, list[Heading]]:
    """Update the chapter and the stack of sub-headings on meeting a heading."""
    if heading.level <= 1:
        return heading.title, []
    stack = [h for h in stack if h.level < heading.level]
    stack.append(heading)
    return chapter, stack
