"""PDF: text per page, printed page labels, outline, metadata, OCR where needed.

pdfium (pypdfium2) reads the text, labels, outline and metadata: it is about
ten times faster than pypdf on text and recovers more damaged files (broken
xref tables, looping `/Prev` chains, recursive form XObjects). pypdf is the
fallback for the few files pdfium refuses to open, and it tells an empty page
tree apart from a damaged file.

Pages without a text layer, and pages whose text is nonsense because their
fonts lack a Unicode mapping, are read by OCR (see `knowledge.ocr`).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from voiceassist_desktop.knowledge import ocr
from voiceassist_desktop.knowledge.converters.common import (
    detect_plain_headings,
    drop_running_headers,
    find_doi,
    find_isbn,
    find_year,
    garbled,
    join_hyphenated,
    normalise_newlines,
    plausible_title,
    split_authors,
)
from voiceassist_desktop.knowledge.document import (
    ConvertedDocument,
    DocumentMetadata,
    Heading,
    Page,
)
from voiceassist_desktop.knowledge.errors import ConversionError

logger = logging.getLogger(__name__)

NOT_A_PDF = "this file is not a PDF"
ENCRYPTED = "encrypted: this PDF needs a password"
DAMAGED = "the PDF is damaged beyond repair"
NO_PAGES = "the PDF has no pages"
NO_TEXT = (
    "no extractable text: the pages are images that could not be read, "
    "or use fonts without a text mapping"
)
TOO_LARGE = "no extractable text: the pages are images too large to read safely"

# Pages holding fewer visible characters than this are treated as image pages.
MIN_TEXT_CHARS = 16
# The DOI and ISBN of an article or book are printed on its first pages.
IDENTIFIER_PAGES = 3
MAX_OUTLINE_ENTRIES = 5000

# pdfium is not thread-safe, not even across different documents: every use of
# it in the process (conversion and OCR rendering) holds this; the source
# viewer renders in a child process of its own.
PDFIUM_LOCK = threading.RLock()


def convert(
    path: Path,
    *,
    use_ocr: bool = True,
    time_budget_s: float = 900.0,
    ocr_settings: ocr.OcrSettings | None = None,
) -> ConvertedDocument:
    """Convert a PDF file.

    Args:
        path: The PDF file.
        use_ocr: Read pages without usable text by OCR.
        time_budget_s: After this many seconds no further page is sent to OCR;
            the pages left out are named in the warnings.
        ocr_settings: Rendering limits for OCR.

    Returns:
        The document, one `Page` per physical page.

    Raises:
        ConversionError: The file is not a PDF, is encrypted with a password,
            is damaged beyond repair, has no pages or yields no text.
    """
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF" not in head:
        raise ConversionError(NOT_A_PDF)

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as error:
            if "password" in str(error).lower():
                raise ConversionError(ENCRYPTED) from error
            logger.debug("pdfium cannot open %s (%s); trying pypdf", path.name, error)
            return _convert_with_pypdf(path)

        try:
            return _convert_with_pdfium(
                path, pdf, use_ocr, time_budget_s, ocr_settings or ocr.OcrSettings()
            )
        finally:
            pdf.close()


def _convert_with_pdfium(
    path: Path,
    pdf: pdfium.PdfDocument,
    use_ocr: bool,
    time_budget_s: float,
    ocr_settings: ocr.OcrSettings,
) -> ConvertedDocument:
    deadline = time.monotonic() + time_budget_s
    page_count = len(pdf)
    if page_count == 0:
        raise ConversionError(NO_PAGES)

    document = ConvertedDocument(source=path, format="pdf", pages=[])
    needs_ocr: list[int] = []
    garbled_layer: set[int] = set()
    title_guess: str | None = None

    for index in range(page_count):
        page = pdf[index]
        try:
            textpage = page.get_textpage()
            raw_text = textpage.get_text_range()
            if index == 0:
                title_guess = _largest_text(textpage)
            textpage.close()
            text = join_hyphenated(normalise_newlines(raw_text))

            visible = len(text) - text.count(" ") - text.count("\n")
            if garbled(text):
                needs_ocr.append(index)
                garbled_layer.add(index)
                text = ""
            elif visible < MIN_TEXT_CHARS and _has_graphics(page):
                needs_ocr.append(index)
        finally:
            page.close()
        label = pdf.get_page_label(index) or None
        document.pages.append(Page(number=index + 1, text=text, label=label))

    if needs_ocr and use_ocr:
        _ocr_pages(pdf, document, needs_ocr, deadline, ocr_settings)
    _record_quality(document, needs_ocr, garbled_layer, use_ocr)

    if not document.has_text():
        if document.quality.skipped_pages and not document.quality.ocr_pages:
            raise ConversionError(TOO_LARGE)
        raise ConversionError(NO_TEXT)

    document.headings = _outline(pdf, document.pages)
    if not document.headings:
        # TODO(knowledge): headings from font sizes would catch PDFs without an
        # outline more reliably than the plain-text patterns used here.
        document.headings = _plain_headings(document.pages)
    document.metadata = _metadata(pdf.get_metadata_dict(), document, title_guess)
    return document


def _plain_headings(pages: list[Page]) -> list[Heading]:
    found: list[Heading] = []
    for index, page in enumerate(pages):
        found.extend(
            detect_plain_headings(page.text, index, numbered_after_sentence=True)
        )
    return drop_running_headers(found)


def _has_graphics(page: pdfium.PdfPage) -> bool:
    """True when the page draws images, paths or shadings (text may be in them)."""
    for _ in page.get_objects(
        filter=[
            pdfium_c.FPDF_PAGEOBJ_IMAGE,
            pdfium_c.FPDF_PAGEOBJ_PATH,
            pdfium_c.FPDF_PAGEOBJ_SHADING,
        ],
        max_depth=3,
    ):
        return True
    return False


def _ocr_pages(
    pdf: pdfium.PdfDocument,
    document: ConvertedDocument,
    indexes: list[int],
    deadline: float,
    settings: ocr.OcrSettings,
) -> None:
    """Replace the text of the given pages with what OCR reads on them."""
    out_of_time: list[int] = []
    for index in indexes:
        number = index + 1
        if time.monotonic() > deadline:
            out_of_time.append(number)
            continue

        page = pdf[index]
        try:
            result = ocr.read_page(page, settings)
        except ocr.OcrSkipped as skipped:
            document.quality.skipped_pages.append(number)
            document.warnings.append(f"Page {number} was not read: {skipped.reason}.")
            continue
        finally:
            page.close()

        logger.debug(
            "OCR page %d: %d lines in %.1f s", number, result.lines, result.seconds
        )
        text = normalise_newlines(result.text)
        if text and not garbled(text):
            document.pages[index].text = text
            document.pages[index].ocr = True
            document.quality.ocr_pages.append(number)

    if out_of_time:
        document.quality.skipped_pages.extend(out_of_time)
        document.warnings.append(
            f"The time for reading images ran out before {_pages_phrase(out_of_time)}."
        )


def _record_quality(
    document: ConvertedDocument,
    needs_ocr: list[int],
    garbled_layer: set[int],
    use_ocr: bool,
) -> None:
    quality = document.quality
    for index in needs_ocr:
        number = index + 1
        if document.pages[index].ocr or number in quality.skipped_pages:
            continue
        if index in garbled_layer:
            quality.garbled_pages.append(number)
        else:
            quality.empty_pages.append(number)

    if quality.ocr_pages:
        document.warnings.append(
            f"Text on {_pages_phrase(quality.ocr_pages)} was read by OCR; "
            "check quotations against the original."
        )
    if quality.garbled_pages:
        document.warnings.append(
            f"Text on {_pages_phrase(quality.garbled_pages)} uses fonts without "
            "a text mapping and could not be read, so it is left out."
        )
    if quality.empty_pages and not use_ocr:
        document.warnings.append(
            f"No text layer on {_pages_phrase(quality.empty_pages)}; "
            "reading images is turned off."
        )
    elif quality.empty_pages:
        document.warnings.append(
            f"No text was found on {_pages_phrase(quality.empty_pages)}."
        )


def _pages_phrase(numbers: list[int]) -> str:
    """ "page 3" or "pages 3, 5, 8" (long lists shortened)."""
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    shown = ", ".join(str(number) for number in numbers[:12])
    if len(numbers) > 12:
        shown += f" and {len(numbers) - 12} more"
    return f"pages {shown}"


def _outline(pdf: pdfium.PdfDocument, pages: list[Page]) -> list[Heading]:
    """Turn the bookmarks into headings placed where their title starts."""
    headings: list[Heading] = []
    try:
        bookmarks = pdf.get_toc(max_depth=16)
        for count, bookmark in enumerate(bookmarks):
            if count >= MAX_OUTLINE_ENTRIES:
                break
            # U+FFFC stands for an object (an icon) in some outline titles.
            title = " ".join(
                (bookmark.get_title() or "").replace("\ufffc", " ").split()
            )
            # Word exports hidden "_GoBack" and "_Toc…" bookmarks.
            if not title or title.startswith("_"):
                continue
            destination = bookmark.get_dest()
            index = destination.get_index() if destination is not None else None
            if index is None or not 0 <= index < len(pages):
                continue
            previous = headings[-1] if headings else None
            not_before = (
                previous.char_start
                if previous is not None and previous.page_index == index
                else 0
            )
            start = _find_title(pages[index].text, title, not_before)
            headings.append(Heading(title, bookmark.level + 1, index, start))
    except pdfium.PdfiumError as error:
        logger.warning("The outline of a PDF could not be read: %s", error)
    return headings


def _find_title(text: str, title: str, not_before: int) -> int:
    """Offset of the line where `title` is printed on the page.

    Looks from `not_before` (the previous heading on the page) for the title
    at the start of a line, first as written, then ignoring case, then without
    its section number; when it is not printed, the section starts where the
    previous one did.
    """
    variants = [title]
    unnumbered = re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", title)
    if unnumbered != title:
        variants.append(unnumbered)

    for variant in variants:
        words = [re.escape(word) for word in variant.split()[:8]]
        if not words:
            continue
        pattern = r"(?:^|(?<=\n))[ \t]*(?:\d+(?:\.\d+)*\.?\s+)?" + r"\s*".join(words)
        for flags in (re.MULTILINE, re.MULTILINE | re.IGNORECASE):
            match = re.compile(pattern, flags).search(text, not_before)
            if match:
                return match.start()
    return not_before


def _largest_text(textpage: pdfium.PdfTextPage) -> str | None:
    """The longest-lettered run of text in the largest type on a page.

    On a first page that is nearly always the title. Sizes come from the
    characters' boxes, since the nominal font size is often 1 scaled by the
    text matrix.
    """
    count = textpage.count_chars()
    if count <= 0 or count > 20000:
        return None

    runs: list[tuple[float, list[str]]] = []
    for index in range(count):
        char = chr(pdfium_c.FPDFText_GetUnicode(textpage, index))
        if char.isspace():
            if runs:
                runs[-1][1].append(" ")
            continue
        left, bottom, right, top = textpage.get_charbox(index, loose=True)
        height = top - bottom
        if runs and abs(runs[-1][0] - height) <= 0.15 * max(runs[-1][0], 0.1):
            runs[-1][1].append(char)
        else:
            runs.append((height, [char]))

    heights = sorted(h for h, chars in runs for char in chars if char.isalpha())
    if not heights:
        return None
    # On a cover page with a few words there is no body text to compare with.
    median = heights[len(heights) // 2] if len(heights) >= 40 else 0.0
    candidates = [
        (height, " ".join("".join(chars).split()))
        for height, chars in runs
        if height >= median * 1.3 and sum(char.isalpha() for char in chars) >= 10
    ]
    if not candidates and len(heights) < 300:
        # A cover page that holds nothing but its title.
        candidates = [(0.0, " ".join("".join(c for _, r in runs for c in r).split()))]
    if not candidates:
        return None
    return max(candidates, key=lambda candidate: candidate[0])[1][:250]


def _metadata(
    info: dict, document: ConvertedDocument, title_guess: str | None
) -> DocumentMetadata:
    first_pages = "\n".join(page.text for page in document.pages[:IDENTIFIER_PAGES])
    title = (
        plausible_title(info.get("Title"))
        or plausible_title(title_guess)
        or plausible_title(info.get("Subject"))
    )
    year = find_year(info.get("CreationDate")) or find_year(info.get("ModDate"))
    return DocumentMetadata(
        title=title,
        authors=split_authors(info.get("Author")),
        publication_year=year,
        doi=find_doi(first_pages),
        isbn=find_isbn(first_pages),
    )


def _convert_with_pypdf(path: Path) -> ConvertedDocument:
    """Read a PDF that pdfium refuses, with pypdf's lenient parser."""
    import pypdf
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = pypdf.PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ConversionError(ENCRYPTED)
        page_count = len(reader.pages)
    except ConversionError:
        raise
    except FileNotDecryptedError as error:
        raise ConversionError(ENCRYPTED) from error
    except (PdfReadError, RecursionError, Exception) as error:
        logger.debug("pypdf cannot read %s either: %s", path.name, error)
        raise ConversionError(DAMAGED) from error
    if page_count == 0:
        raise ConversionError(NO_PAGES)

    document = ConvertedDocument(source=path, format="pdf", pages=[])
    unreadable: list[int] = []
    for index in range(page_count):
        try:
            text = normalise_newlines(reader.pages[index].extract_text() or "")
        except (RecursionError, Exception) as error:
            logger.debug("pypdf page %d of %s: %s", index + 1, path.name, error)
            text = ""
            unreadable.append(index + 1)
        if garbled(text):
            document.quality.garbled_pages.append(index + 1)
            text = ""
        document.pages.append(Page(number=index + 1, text=text))

    if not document.has_text():
        raise ConversionError(DAMAGED if unreadable else NO_TEXT)
    if unreadable:
        document.warnings.append(
            f"Text on {_pages_phrase(unreadable)} is damaged and was left out."
        )
    document.warnings.append(
        "The PDF is damaged; its text was recovered, but page labels and "
        "bookmarks were not."
    )
    document.headings = _plain_headings(document.pages)
    info = {}
    try:
        info = {
            key.lstrip("/"): str(value)
            for key, value in (reader.metadata or {}).items()
        }
    except Exception as error:  # a damaged info dictionary is not fatal
        logger.debug("pypdf metadata of %s: %s", path.name, error)
    document.metadata = _metadata(info, document, None)
    return document
