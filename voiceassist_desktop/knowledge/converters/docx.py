"""DOCX: body text and tables in reading order, headings from styles.

python-docx opens the package and resolves style names and core properties.
Strict-OOXML files (another set of namespaces, which python-docx does not
know) are read from the package's XML directly with lxml. Both paths share one
walker over the body, which matches elements by local name so it reads either
namespace. Headers and footers are not part of the body and are left out.
"""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path, PurePosixPath

from lxml import etree

from voiceassist_desktop.knowledge.converters.common import (
    find_doi,
    find_isbn,
    find_year,
    heading_level,
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

NO_TEXT = "no text: the document is empty"
DAMAGED = "the Word document is damaged and cannot be read"
# A zip that inflates beyond this is refused rather than read into memory.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024

HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def convert(path: Path) -> ConvertedDocument:
    """Convert a .docx file.

    Args:
        path: The Word document.

    Returns:
        The document as one unpaginated page, with headings from the Heading
        and Title styles.

    Raises:
        ConversionError: The file is damaged, too large or has no text.
    """
    path = Path(path)
    _check_package(path)

    try:
        body, styles, core = _open_with_python_docx(path)
    except (KeyError, ValueError) as error:
        # python-docx knows only the transitional namespaces.
        logger.debug(
            "python-docx cannot open %s (%s); reading its XML", path.name, error
        )
        body, styles, core = _open_package_xml(path)

    blocks = list(_blocks(body, styles))
    document = _assemble(path, blocks)
    if not document.has_text():
        raise ConversionError(NO_TEXT)

    text = document.pages[0].text[:20000]
    document.metadata = DocumentMetadata(
        title=plausible_title(core.get("title"))
        or next((h.title for h in document.headings if h.level == 1), None),
        authors=split_authors(core.get("creator")),
        publication_year=find_year(core.get("created")),
        publisher=None,
        doi=find_doi(core.get("identifier") or "") or find_doi(text),
        isbn=find_isbn(text),
    )
    return document


def _check_package(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as package:
            unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise ConversionError(DAMAGED) from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise ConversionError("the Word document is too large to read safely")


def _open_with_python_docx(path: Path) -> tuple[etree._Element, dict[str, str], dict]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        word = docx.Document(str(path))
    except PackageNotFoundError as error:
        raise ConversionError(DAMAGED) from error
    except etree.XMLSyntaxError as error:
        raise ConversionError(DAMAGED) from error

    styles = {}
    for style in word.styles:
        try:
            styles[style.style_id] = style.name or ""
        except (KeyError, ValueError):
            continue
    properties = word.core_properties
    core = {
        "title": properties.title,
        "creator": properties.author,
        "created": str(properties.created.year) if properties.created else None,
        "identifier": properties.identifier,
    }
    return word.element.body, styles, core


def _open_package_xml(path: Path) -> tuple[etree._Element, dict[str, str], dict]:
    """Read the main part of a package python-docx rejects (Strict OOXML)."""
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            main = _main_part(package, names)
            root = etree.fromstring(package.read(main), XML_PARSER)
            styles_name = str(PurePosixPath(main).parent / "styles.xml")
            styles = {}
            if styles_name in names:
                styles = _style_names(
                    etree.fromstring(package.read(styles_name), XML_PARSER)
                )
            core = {}
            if "docProps/core.xml" in names:
                core = _core_properties(
                    etree.fromstring(package.read("docProps/core.xml"), XML_PARSER)
                )
    except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError, OSError) as error:
        raise ConversionError(DAMAGED) from error

    body = next((child for child in root if _local(child) == "body"), None)
    if body is None:
        raise ConversionError(NO_TEXT)
    return body, styles, core


def _main_part(package: zipfile.ZipFile, names: set[str]) -> str:
    rels = etree.fromstring(package.read("_rels/.rels"), XML_PARSER)
    for relation in rels:
        if str(relation.get("Type", "")).endswith("/officeDocument"):
            target = str(relation.get("Target", "")).lstrip("/")
            if target in names:
                return target
    raise ConversionError("the Word document has no main text part")


def _style_names(root: etree._Element) -> dict[str, str]:
    names = {}
    for style in root:
        if _local(style) != "style":
            continue
        style_id = _attribute(style, "styleId")
        name = next((_attribute(c, "val") for c in style if _local(c) == "name"), None)
        if style_id and name:
            names[style_id] = name
    return names


def _core_properties(root: etree._Element) -> dict:
    return {_local(child): (child.text or "").strip() or None for child in root}


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _attribute(element: etree._Element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1] == name:
            return value
    return None


def _blocks(body: etree._Element, styles: dict[str, str]):
    """Yield (text, heading level or None, is a table row) in reading order."""
    for element in body:
        kind = _local(element)
        if kind == "p":
            text = _paragraph_text(element)
            if text.strip():
                yield text, _paragraph_level(element, styles), False
        elif kind == "tbl":
            for row in element.iter():
                if _local(row) == "tr":
                    cells = [_cell_text(cell) for cell in row if _local(cell) == "tc"]
                    line = " | ".join(cell for cell in cells if cell)
                    if line:
                        yield line, None, True
        elif kind in ("sdt", "sdtContent", "customXml", "ins"):
            yield from _blocks(element, styles)


def _paragraph_text(paragraph: etree._Element) -> str:
    parts: list[str] = []
    _collect(paragraph, parts)
    return "".join(parts).strip()


def _collect(element: etree._Element, parts: list[str]) -> None:
    for child in element:
        kind = _local(child)
        # Alternate content repeats itself as a fallback; deleted text is gone.
        if kind in ("Fallback", "del", "delText", "instrText", "rPr", "pPr"):
            continue
        if kind == "t":
            parts.append(child.text or "")
        elif kind == "tab":
            parts.append("\t")
        elif kind in ("br", "cr"):
            parts.append("\n")
        elif kind == "p":
            parts.append("\n")
            _collect(child, parts)
        else:
            _collect(child, parts)


def _cell_text(cell: etree._Element) -> str:
    texts = [_paragraph_text(p) for p in cell.iter() if _local(p) == "p"]
    return " ".join(" ".join(text.split()) for text in texts if text)


def _paragraph_level(paragraph: etree._Element, styles: dict[str, str]) -> int | None:
    properties = next((c for c in paragraph if _local(c) == "pPr"), None)
    if properties is None:
        return None
    for child in properties:
        kind = _local(child)
        if kind == "pStyle":
            name = styles.get(_attribute(child, "val") or "", "").strip()
            if name.lower() == "title":
                return 1
            match = HEADING_STYLE.match(name) or HEADING_STYLE.match(
                _attribute(child, "val") or ""
            )
            if match:
                return max(int(match.group(1)), 1)
        elif kind == "outlineLvl":
            value = _attribute(child, "val")
            if value and value.isdigit() and int(value) < 9:
                return int(value) + 1
    return None


def _assemble(
    path: Path, blocks: list[tuple[str, int | None, bool]]
) -> ConvertedDocument:
    styled = any(level is not None for _, level, _ in blocks)
    parts: list[str] = []
    headings: list[Heading] = []
    offset = 0

    for text, level, in_table in blocks:
        if not styled and not in_table:
            # Documents typed without heading styles: short capitalised lines.
            level = heading_level(text) if "\n" not in text else None
        if level is not None:
            headings.append(Heading(" ".join(text.split()), level, 0, offset))
        parts.append(text)
        offset += len(text) + 2

    page = Page(number=None, text="\n\n".join(parts))
    return ConvertedDocument(
        source=path, format="docx", pages=[page], headings=headings
    )
