"""HTML: the article text without navigation, scripts or boilerplate.

trafilatura finds the main content and returns it as XML (headings, paragraphs,
lists, tables), which is walked here to keep headings with their positions.
Images, inline base64 data included, never reach the text. The encoding comes
from a byte-order mark, a declared charset that decodes cleanly, valid UTF-8,
or else charset-normalizer's detection.

Metadata comes from the page's <head> only (citation_*, Dublin Core, Open
Graph tags, then trafilatura's reading of the head), which keeps a 3 MB
compiled page fast.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from voiceassist_desktop.knowledge.converters.common import (
    find_doi,
    find_isbn,
    find_year,
    split_authors,
)
from voiceassist_desktop.knowledge.converters.txt import decode_text
from voiceassist_desktop.knowledge.document import (
    ConvertedDocument,
    DocumentMetadata,
    Heading,
    Page,
)
from voiceassist_desktop.knowledge.errors import ConversionError

logger = logging.getLogger(__name__)

NO_TEXT = "no text: the page has no readable content"
MAX_BYTES = 100 * 1024 * 1024

CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
HEAD_END = re.compile(r"</head\s*>|<body[\s>]", re.IGNORECASE)


def convert(path: Path) -> ConvertedDocument:
    """Convert an HTML page.

    Args:
        path: The .html or .htm file.

    Returns:
        The document as one unpaginated page, headings from h1-h6.

    Raises:
        ConversionError: The file is too large or has no readable content.
    """
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise ConversionError("the web page is too large to read")
    markup = decode_html(path.read_bytes())

    blocks = _main_content(markup)
    if not any(text.strip() for text, _ in blocks):
        blocks = _plain_body(markup)

    parts: list[str] = []
    headings: list[tuple[str, int, int]] = []
    offset = 0
    for text, rank in blocks:
        if rank is not None:
            headings.append((text, rank, offset))
        parts.append(text)
        offset += len(text) + 2
    body = "\n\n".join(parts)
    if not body.strip():
        raise ConversionError(NO_TEXT)

    document = ConvertedDocument(
        source=path,
        format="html",
        pages=[Page(number=None, text=body)],
        headings=_levels(headings),
    )
    document.metadata = _metadata(markup, body)
    return document


def decode_html(data: bytes) -> str:
    """Decode an HTML file, honouring a declared charset when it fits the bytes."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_text(data)
    declared = CHARSET.search(data[:8192])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            logger.debug("Declared charset %s does not fit", declared.group(1))
    return decode_text(data)


def _main_content(markup: str) -> list[tuple[str, int | None]]:
    """The main content as (text, heading rank or None) blocks."""
    import trafilatura

    try:
        extracted = trafilatura.extract(
            markup,
            output_format="xml",
            include_tables=True,
            include_images=False,
            include_links=False,
            include_comments=False,
            with_metadata=False,
            favor_recall=True,
            fast=True,
        )
    except Exception as error:  # the extractor's failures are not ours to crash on
        logger.warning("The main text of a web page could not be found: %s", error)
        return []
    if not extracted:
        return []
    root = etree.fromstring(
        extracted.encode("utf-8"),
        etree.XMLParser(resolve_entities=False, huge_tree=True),
    )
    main = root.find("main")
    return list(_walk(main if main is not None else root))


def _walk(element: etree._Element):
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "head":
            text = _text(child)
            rank = re.fullmatch(r"h([1-6])", child.get("rend", "") or "")
            if text:
                yield text, int(rank.group(1)) if rank else 4
        elif tag == "table":
            for row in child.iter("row"):
                cells = [_text(cell) for cell in row.iter("cell")]
                line = " | ".join(cell for cell in cells if cell)
                if line:
                    yield line, None
        elif tag == "list":
            items = [_text(item) for item in child.iter("item")]
            text = "\n".join(f"- {item}" for item in items if item)
            if text:
                yield text, None
        elif tag in ("p", "quote", "code"):
            text = _text(child)
            if text:
                yield text, None
        elif tag in ("div", "main", "section"):
            yield from _walk(child)


def _text(element: etree._Element) -> str:
    pieces: list[str] = []
    for piece in element.iter():
        if piece.tag == "lb":
            pieces.append("\n")
        if piece is element or piece.tag != "lb":
            pieces.append(piece.text or "")
        if piece is not element:
            pieces.append(piece.tail or "")
    lines = (" ".join(line.split()) for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)


def _plain_body(markup: str) -> list[tuple[str, int | None]]:
    """All visible body text: for short pages the extractor passes over."""
    try:
        tree = lxml_html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return []
    for bad in tree.xpath("//script|//style|//noscript|//template|//nav|//img"):
        bad.drop_tree()
    blocks: list[tuple[str, int | None]] = []
    for element in tree.iter(
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "pre", "li", "td"
    ):
        text = "\n".join(
            " ".join(line.split()) for line in element.text_content().split("\n")
        ).strip()
        if text:
            rank = int(element.tag[1]) if element.tag[0] == "h" else None
            blocks.append((text, rank))
    return blocks


def _levels(found: list[tuple[str, int, int]]) -> list[Heading]:
    """Map h1-h6 to levels: the shallowest repeated rank becomes the chapters."""
    ranks = [rank for _, rank, _ in found]
    repeated = [rank for rank in set(ranks) if ranks.count(rank) > 1]
    top = min(repeated) if repeated else min(ranks, default=1)
    return [
        Heading(title, max(rank - top + 1, 1), 0, offset)
        for title, rank, offset in found
    ]


def _metadata(markup: str, body: str) -> DocumentMetadata:
    end = HEAD_END.search(markup)
    head_markup = markup[: end.start()] if end else markup[:20000]
    meta: dict[str, list[str]] = {}
    title = None
    try:
        head = lxml_html.document_fromstring(
            head_markup + "</head><body></body></html>"
        )
        for tag in head.iter("meta"):
            key = (tag.get("name") or tag.get("property") or "").strip().lower()
            value = (tag.get("content") or "").strip()
            if key and value:
                meta.setdefault(key, []).append(value)
        title_tag = head.find(".//title")
        if title_tag is not None and title_tag.text:
            title = " ".join(title_tag.text.split())
    except (etree.ParserError, ValueError) as error:
        logger.debug("The head of a web page could not be read: %s", error)

    def first(*keys: str) -> str | None:
        for key in keys:
            if meta.get(key):
                return meta[key][0]
        return None

    authors = meta.get("citation_author") or split_authors(
        first("dc.creator", "author", "article:author")
    )
    date = first(
        "citation_publication_date",
        "citation_date",
        "dc.date",
        "article:published_time",
        "date",
    )
    doi = first("citation_doi", "dc.identifier", "prism.doi")
    result = DocumentMetadata(
        title=first("citation_title", "dc.title", "og:title") or title,
        authors=list(authors),
        publication_year=find_year(date),
        publisher=first("citation_publisher", "dc.publisher", "og:site_name"),
        doi=find_doi(doi or "") or find_doi(body[:20000]),
        isbn=find_isbn(body[:20000]),
        url=first("citation_public_url", "og:url"),
    )
    if result.title and result.authors and result.publication_year:
        return result

    import trafilatura

    try:
        found = trafilatura.extract_metadata(
            head_markup + "</head><body></body></html>"
        )
    except Exception as error:  # metadata is a bonus; never fail the page for it
        logger.debug("trafilatura metadata: %s", error)
        found = None
    if found is not None:
        result.title = result.title or found.title
        result.authors = result.authors or split_authors(found.author)
        result.publication_year = result.publication_year or find_year(found.date)
        result.url = result.url or found.url
        result.publisher = result.publisher or found.sitename
    return result
