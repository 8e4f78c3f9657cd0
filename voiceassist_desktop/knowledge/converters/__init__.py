"""One converter per format behind one signature, and a dispatcher.

Each format module offers `convert(path: Path) -> ConvertedDocument` and raises
`ConversionError` with a plain reason when the file cannot be read.
`convert_file` picks the converter from the file's first bytes and its
extension, so a renamed file is read by the right converter and a file that
only pretends to be a PDF fails with a clear reason.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable
from pathlib import Path

from voiceassist_desktop.knowledge.document import ConvertedDocument
from voiceassist_desktop.knowledge.errors import ConversionError

logger = logging.getLogger(__name__)

Converter = Callable[[Path], ConvertedDocument]

SUPPORTED_SUFFIXES = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".docm": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".txt": "txt",
    ".text": "txt",
    ".md": "txt",
}

LABELS = {
    "pdf": "PDF",
    "docx": "Word document",
    "html": "web page",
    "txt": "text file",
}
LEGACY_DOC = "legacy Word .doc is not supported; save it as .docx"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def get_converter(kind: str) -> Converter:
    """Return the converter for "pdf", "docx", "html" or "txt"."""
    # Imported on demand: each format pulls in its own parsing library.
    if kind == "pdf":
        from voiceassist_desktop.knowledge.converters import pdf as module
    elif kind == "docx":
        from voiceassist_desktop.knowledge.converters import docx as module
    elif kind == "html":
        from voiceassist_desktop.knowledge.converters import html as module
    elif kind == "txt":
        from voiceassist_desktop.knowledge.converters import txt as module
    else:
        raise ValueError(f"no converter for {kind!r}")
    return module.convert


def detect_format(path: Path) -> str:
    """Decide the format of a file from its content, then its extension.

    Args:
        path: The file.

    Returns:
        "pdf", "docx", "html" or "txt".

    Raises:
        ConversionError: The file is missing, empty, a legacy Word document,
            not what its extension says, or of a type not supported.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(2048)
    except FileNotFoundError as error:
        raise ConversionError("the file does not exist") from error
    except OSError as error:
        raise ConversionError(f"the file cannot be read ({error.strerror})") from error
    if not head:
        raise ConversionError("the file is empty")

    suffix = path.suffix.lower()
    claimed = SUPPORTED_SUFFIXES.get(suffix)
    if b"%PDF" in head[:1024]:
        return "pdf"
    if head.startswith(OLE2_MAGIC):
        if suffix in (".doc", ".docx", ".dot", ".rtf") or claimed is None:
            raise ConversionError(LEGACY_DOC)
        raise ConversionError(f"this file is not a {suffix.lstrip('.').upper()} file")
    if claimed == "pdf":
        raise ConversionError("this file is not a PDF")
    if head.startswith(b"PK\x03\x04"):
        if _is_word_package(path):
            return "docx"
        raise ConversionError("this zip file is not a Word document")
    if claimed == "docx":
        raise ConversionError("this file is not a Word .docx document")
    if suffix == ".doc":
        raise ConversionError(LEGACY_DOC)
    if claimed in ("html", "txt"):
        return claimed
    if _looks_like_html(head):
        return "html"
    if b"\x00" not in head.lstrip(b"\xff\xfe\xef\xbb\xbf")[:512] or head.startswith(
        (b"\xff\xfe", b"\xfe\xff")
    ):
        return "txt"
    raise ConversionError(
        f"files of type {suffix or 'without extension'} are not supported"
    )


def _is_word_package(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as package:
            names = package.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return "[Content_Types].xml" in names and any(
        name.startswith("word/") for name in names
    )


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<html" in start[:512]


def convert_file(path: Path) -> ConvertedDocument:
    """Convert any supported file, choosing the converter by content.

    Args:
        path: A PDF, DOCX, HTML or plain-text file.

    Returns:
        The converted document.

    Raises:
        ConversionError: With a plain reason when the file cannot be read.
    """
    path = Path(path)
    kind = detect_format(path)
    logger.debug("Converting %s as %s", path.name, kind)
    try:
        return get_converter(kind)(path)
    except ConversionError:
        raise
    except (MemoryError, RecursionError) as error:
        raise ConversionError(f"the {LABELS[kind]} is too complex to read") from error
    except Exception as error:
        # A parsing library failed in a way not seen before: the traceback goes
        # to the log, and the batch goes on with a plain reason for this file.
        logger.exception("Unexpected failure converting a %s file", kind)
        raise ConversionError(
            f"the {LABELS[kind]} could not be read; it may be damaged"
        ) from error


__all__ = [
    "ConversionError",
    "ConvertedDocument",
    "SUPPORTED_SUFFIXES",
    "convert_file",
    "detect_format",
    "get_converter",
]
