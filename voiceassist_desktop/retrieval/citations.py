"""Citations of retrieved passages, in the shape of the seed's Citation.

A citation names the document (title, authors, year, DOI or address), where in
it the passage sits (chapter or heading as the subtitle; the page as the
location, "p. 7 (PDF p. 13)" where the printed label differs from the physical
page, or "section: Dosage" for formats without pages) and a snippet of at most
500 characters centred on the sentence that supports the claim.

The seed's `source_type` has no "other": a document the library files as
"other" is cited as a "note" (the clinician's own material), the other types
keep their names.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from voiceassist_desktop.core.ids import new_id
from voiceassist_desktop.retrieval.search import SearchHit

logger = logging.getLogger(__name__)

SNIPPET_MAX = 500
ELLIPSIS = "…"

SOURCE_TYPES = {
    "guideline": "guideline",
    "journal": "journal",
    "textbook": "textbook",
    "other": "note",
}

# Words after whose full stop a sentence goes on: titles, Latin and
# bibliographic abbreviations.
_ABBREVIATIONS = frozenset(
    """e.g i.e eg ie dr mr mrs ms prof vs fig figs al approx no nos ref refs sec
    st inc ltd co jr sr ed eds vol pp ca cf resp max min mo wk yr hr hrs
    u.s u.k dept est etc""".split()
)
# A full stop, question or exclamation mark (and any closing quote or
# bracket), then spaces, then something that can start a sentence; or the
# spaces before a bullet.
_BOUNDARY = re.compile(
    r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9•▪◦●])|\s+(?=[•▪◦●]\s)"
    # A lettered list item ("B. Multi-dose vials...") after a closed clause.
    r"|(?<=\))\s+(?=[A-Z]\.\s+[A-Z])"
)
_LAST_WORD = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage and where it sits in the passage text."""

    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of a passage, whole and as written.

    Splits after a full stop, question or exclamation mark followed by a
    capital, a digit or a bullet, except after common abbreviations ("e.g.",
    "Dr.", "Fig.") and initials; decimals ("2.5 mg") never split.

    Args:
        text: The passage text.

    Returns:
        Sentences with their offsets, in order; whitespace trimmed.
    """
    sentences: list[Sentence] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        before = text[start : match.start()].rstrip("\"'”’)]")
        last = _LAST_WORD.search(before)
        if last:
            word = last.group(1).lower().rstrip(".")
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        _add(sentences, text, start, match.start())
        start = match.end()
    _add(sentences, text, start, len(text))
    return sentences


def _add(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    offset = start + (len(piece) - len(piece.lstrip()))
    sentences.append(Sentence(offset, offset + len(stripped), stripped))


def snippet_around(text: str, start: int, end: int, limit: int = SNIPPET_MAX) -> str:
    """A snippet of at most `limit` characters holding `text[start:end]`.

    The span is centred in the snippet as far as the text allows; the snippet
    is cut at word boundaries and marked with an ellipsis where text was left
    out. A span longer than the limit is itself cut at a word boundary.

    Args:
        text: The passage text.
        start: Offset of the supporting sentence.
        end: Offset after it.
        limit: The longest snippet allowed.

    Returns:
        The snippet, whitespace collapsed.
    """
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    core = _collapse(text[start:end])
    if len(core) > limit - len(ELLIPSIS):
        cut = core[: limit - len(ELLIPSIS)]
        if core[len(cut)] != " " and " " in cut:
            cut = cut[: cut.rfind(" ")]
        return cut.rstrip() + ELLIPSIS

    # Room either side, less a space and an ellipsis each; a side the text
    # cannot fill gives its room to the other.
    room = limit - len(core) - 2 * (len(ELLIPSIS) + 1)
    left_room, right_room = room // 2, room - room // 2
    if start < left_room:
        right_room += left_room - start
        left_room = start
    if len(text) - end < right_room:
        left_room += right_room - (len(text) - end)
        right_room = len(text) - end

    lo, hi = start - left_room, end + right_room
    left, right = text[lo:start], text[end:hi]
    if lo > 0 and not text[lo - 1].isspace():
        left = left[left.find(" ") + 1 :] if " " in left else ""
    if hi < len(text) and not text[hi].isspace():
        right = right[: right.rfind(" ")] if " " in right else ""

    snippet = _collapse(left + text[start:end] + right)
    if lo > 0:
        snippet = ELLIPSIS + snippet
    if hi < len(text):
        snippet += ELLIPSIS
    return snippet


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def location(hit: SearchHit) -> str | None:
    """Where the passage sits: "p. 7", "p. 7 (PDF p. 13)" or "section: Dosage".

    Args:
        hit: The passage.

    Returns:
        The location, or None when the passage has neither page nor heading.
    """
    if hit.page_number is not None:
        label = (hit.page_label or "").strip()
        if label and label != str(hit.page_number):
            return f"p. {label} (PDF p. {hit.page_number})"
        return f"p. {hit.page_number}"
    section = hit.heading or hit.chapter
    if section:
        return f"section: {section}"
    return None


def subtitle(hit: SearchHit) -> str | None:
    """The chapter and heading the passage sits under, as one line."""
    parts = [p.strip() for p in (hit.chapter, hit.heading) if p and p.strip()]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    return " — ".join(parts) or None


def source_type(document_type: str) -> str:
    """The Citation `source_type` of a library document type."""
    return SOURCE_TYPES.get(document_type, "note")


def make_citation(
    hit: SearchHit,
    sentences: list[Sentence] | None = None,
    marker: int | None = None,
) -> dict[str, Any]:
    """The Citation record of a passage.

    Args:
        hit: The retrieved passage.
        sentences: The supporting sentences (offsets into `hit.content`); the
            snippet is centred on them, or on the passage's start when none
            are given.
        marker: The answer's marker number, [n], when the passage is cited in
            an answer.

    Returns:
        A dict valid against the Citation schema, nulls omitted, with extra
        keys `document_version`, `chunk_id`, `page_number`, `page_label` and
        `marker` where known.
    """
    if sentences:
        first, last = min(s.start for s in sentences), max(s.end for s in sentences)
        if last - first > SNIPPET_MAX - 2:
            first, last = sentences[0].start, sentences[0].end
        snippet = snippet_around(hit.content, first, last)
    else:
        head = split_sentences(hit.content)
        span = (head[0].start, head[0].end) if head else (0, 0)
        snippet = snippet_around(hit.content, *span)

    record: dict[str, Any] = {
        "id": new_id(),
        "source_type": source_type(hit.document_type),
        "source_id": hit.document_id,
        "title": hit.title,
        "subtitle": subtitle(hit),
        "authors": list(hit.authors) or None,
        "publication_year": hit.publication_year,
        "location": location(hit),
        "url": hit.url if hit.url and _is_uri(hit.url) else None,
        "doi": hit.doi,
        "snippet": snippet or None,
        "relevance_score": round(min(max(hit.score, 0.0), 1.0), 4),
        "document_version": hit.version,
        "chunk_id": hit.chunk_id,
        "page_number": hit.page_number,
        "page_label": hit.page_label,
        "marker": marker,
    }
    return {key: value for key, value in record.items() if value is not None}


def _is_uri(value: str) -> bool:
    parsed = urlparse(value)
    return bool(parsed.scheme) and bool(parsed.netloc or parsed.path)


def reference_line(citation: dict[str, Any]) -> str:
    """One line of a reference list: title, year, location and version."""
    parts = [citation.get("title", "")]
    if citation.get("subtitle"):
        parts.append(citation["subtitle"])
    if citation.get("publication_year"):
        parts.append(str(citation["publication_year"]))
    if citation.get("location"):
        parts.append(citation["location"])
    if citation.get("document_version"):
        parts.append(f"version {citation['document_version']}")
    return ", ".join(parts)
