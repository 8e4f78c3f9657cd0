"""Answer composers: from retrieved passages to a cited answer.

`AnswerComposer` is the interface; a language model can take the place of the
default later. `ExtractiveComposer`, the default, needs no generative model:
it answers with whole sentences quoted from the best passages, each followed
by its citation marker [n]. Sentences are scored against the question by the
embedding model that indexes the library and by the question's terms they
share; the best few are kept, near-duplicates dropped, and they are read in
the order of their passage's rank and then of their place in the passage.
Numbers and units stay as written because nothing is rewritten, and two
statements are never merged into one, so claims about different drugs or
populations stay apart.

When the best passage is below the relevance threshold, the answer says that
the library does not cover the question and cites nothing. Just under it, a
passage still answers when one of its sentences holds most of the question's
terms and means much the same: in a library of a few documents the lexical
share of the relevance stays small however well the words match.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from voiceassist_desktop.assistant.context import (
    ContextView,
    passage_flags,
    used_parts,
)
from voiceassist_desktop.index.lexical import query_terms
from voiceassist_desktop.retrieval.citations import (
    Sentence,
    make_citation,
    split_sentences,
)
from voiceassist_desktop.retrieval.fusion import NOT_COVERED_BELOW
from voiceassist_desktop.retrieval.search import NewerVersion, SearchHit

logger = logging.getLogger(__name__)

NOT_COVERED = (
    "The library does not cover this question: none of its passages is "
    "relevant enough to answer it. Import a source that does, or rephrase "
    "the question."
)


@dataclass(frozen=True)
class ComposeContext:
    """What a composer may take into account besides the passages.

    Attributes:
        clinical: The conversation's clinical context, if any.
        min_relevance: Best fused score under which the library does not
            cover the question.
        max_citations: Most sources an answer cites.
        warn_older_than_years: Age from which a cited source gets a note.
        current_year: The year the age of sources is measured from.
        newer_versions: document id -> a newer version in the library.
        history: Recent questions of the conversation, oldest first.
    """

    clinical: ContextView | None = None
    min_relevance: float = NOT_COVERED_BELOW
    max_citations: int = 5
    warn_older_than_years: int = 10
    current_year: int = 2026
    newer_versions: dict[str, NewerVersion] = field(default_factory=dict)
    history: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComposedAnswer:
    """A composed answer.

    Attributes:
        text: The answer with its markers and notes, as the user reads it.
        citations: Citation records of the sources cited, marker order.
        used_context: The parts of the clinical context taken into account.
        flags: Cautions about cited passages (allergy, renal, age) and notes
            about old or superseded sources, as dicts with kind and message.
        covered: False when the library does not cover the question.
        sentences: The quoted sentences with their markers.
    """

    text: str
    citations: list[dict[str, Any]]
    used_context: list[str]
    flags: list[dict[str, Any]]
    covered: bool
    sentences: list[tuple[str, int]] = field(default_factory=list)


class AnswerComposer(Protocol):
    """Turns a question and its retrieved passages into a cited answer."""

    name: str

    def compose(
        self, question: str, hits: Sequence[SearchHit], context: ComposeContext
    ) -> ComposedAnswer: ...


@dataclass
class _Candidate:
    hit_index: int
    sentence: Sentence
    score: float = 0.0
    cosine: float = 0.0
    overlap: float = 0.0
    tokens: frozenset[str] = frozenset()
    scored: str = ""


_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
# A sentence must say something: enough words, and letters among them.
MIN_WORDS = 5
MAX_SENTENCE_CHARS = 700
# A sentence's score: its similarity to the question, the share of the
# question's terms it holds, and the relevance of its passage.
SENTENCE_WEIGHT = 0.45
OVERLAP_WEIGHT = 0.2
PASSAGE_WEIGHT = 0.35
QUANTITY_BONUS = 0.05
# Passages under this share of the coverage threshold are not quoted.
PASSAGE_FLOOR = 0.8
# Between that floor and the threshold, a sentence must hold this share of the
# question's terms and be this close to it in meaning for the library to count
# as covering the question.
ANSWERING_OVERLAP = 0.6
ANSWERING_COSINE = 0.5
# Text read by OCR may run columns together or drop words: quoted, it could
# misstate the source. It is used when nothing typeset says as much.
OCR_PENALTY = 0.15
_QUANTITY_QUESTION = re.compile(
    r"\b(?:dose|doses|dosage|dosing|how (?:long|much|many|often)|when|mg|days?|"
    r"hours?|weeks?|months?|age)\b",
    re.IGNORECASE,
)
_HAS_NUMBER = re.compile(r"\d")


def _stem(word: str) -> str:
    """A light suffix stripper: dose, doses, dosage and dosing meet at "dos"."""
    for suffix in (
        "ations",
        "ation",
        "ings",
        "ing",
        "ages",
        "age",
        "ies",
        "es",
        "ed",
        "ly",
        "s",
    ):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _tokens(text: str) -> frozenset[str]:
    return frozenset(_stem(t) for t in _TOKEN.findall(text.lower()))


class ExtractiveComposer:
    """Answers with whole sentences quoted from the passages, each cited.

    Args:
        embedder: The embedder that indexes the library (for the sentence
            scores); None scores by shared terms only.
        max_sentences: Most sentences in an answer.
        passages: How many of the best passages sentences are drawn from.
    """

    def __init__(
        self, embedder: Any = None, max_sentences: int = 4, passages: int = 8
    ) -> None:
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.passages = passages

    @property
    def name(self) -> str:
        model = getattr(self.embedder, "name", None) or "terms"
        return f"extractive:{model}"

    def compose(
        self, question: str, hits: Sequence[SearchHit], context: ComposeContext
    ) -> ComposedAnswer:
        """Compose a cited answer from the passages.

        Args:
            question: The question (expanded with the conversation's recent
                turns where it is a follow-up).
            hits: Retrieved passages, best first.
            context: Thresholds, the clinical context and version notes.

        Returns:
            The answer; `covered` is False, and nothing is cited, when the
            best passage is under `context.min_relevance` or no sentence
            answers.
        """
        best = max((h.score for h in hits), default=0.0)
        # Once the best passage answers, a slightly weaker one may still hold
        # the sentence that does (a follow-up's second topic, say).
        floor = PASSAGE_FLOOR * context.min_relevance
        if best < floor:
            logger.info("not covered: best relevance %.3f", best)
            return self._not_covered(context)
        relevant = [h for h in hits if h.score >= floor]

        top = relevant[: self.passages]
        candidates = self._candidates(top)
        if not candidates:
            return self._not_covered(context)
        self._score(question, top, candidates)
        if best < context.min_relevance and not any(
            c.overlap >= ANSWERING_OVERLAP and c.cosine >= ANSWERING_COSINE
            for c in candidates
        ):
            logger.info("not covered: best relevance %.3f, no answering sentence", best)
            return self._not_covered(context)
        chosen = self._choose(candidates, context.max_citations)
        if not chosen:
            return self._not_covered(context)

        # Passages read in the order of their best sentence, which weighs the
        # question against each sentence rather than the whole passage; within
        # a passage, sentences keep their order.
        best_of: dict[int, float] = {}
        for candidate in candidates:
            best_of[candidate.hit_index] = max(
                best_of.get(candidate.hit_index, 0.0), candidate.score
            )
        order = {
            index: position
            for position, index in enumerate(
                sorted(best_of, key=lambda i: (-best_of[i], i))
            )
        }
        chosen.sort(key=lambda c: (order[c.hit_index], c.sentence.start))
        markers: dict[int, int] = {}
        for candidate in chosen:
            markers.setdefault(candidate.hit_index, len(markers) + 1)
        sentences = [(c.sentence.text, markers[c.hit_index]) for c in chosen]

        citations = []
        for hit_index, marker in markers.items():
            supporting = [c.sentence for c in chosen if c.hit_index == hit_index]
            citations.append(make_citation(top[hit_index], supporting, marker))

        cited = [(markers[i], top[i]) for i in markers]
        notes = self._source_notes(cited, context)
        flags = passage_flags(context.clinical, [(m, h.content) for m, h in cited])
        used = used_parts(context.clinical)

        lines = [" ".join(f"{text} [{marker}]" for text, marker in sentences)]
        if used:
            lines.append("Considering: " + ", ".join(used) + ".")
        lines.extend(flag.message for flag in flags)
        lines.extend(note["message"] for note in notes)
        return ComposedAnswer(
            text="\n\n".join(lines),
            citations=citations,
            used_context=used,
            flags=[f.as_dict() for f in flags] + notes,
            covered=True,
            sentences=sentences,
        )

    # --- steps ----------------------------------------------------------------

    @staticmethod
    def _not_covered(context: ComposeContext) -> ComposedAnswer:
        return ComposedAnswer(
            text=NOT_COVERED,
            citations=[],
            used_context=[],
            flags=[],
            covered=False,
        )

    @staticmethod
    def _candidates(hits: Sequence[SearchHit]) -> list[_Candidate]:
        out = []
        for index, hit in enumerate(hits):
            titles = [t for t in (hit.chapter, hit.heading) if t]
            for position, found in enumerate(split_sentences(hit.content)):
                untitled = _without_titles(found, titles)
                sentence = _without_heading_run(untitled)
                # Scored with the section's own heading, which says what the
                # sentence is about, but not with a heading the layout ran
                # into it from elsewhere; quoted with neither.
                title = found.text[: len(found.text) - len(untitled.text)]
                scored = title + sentence.text
                if not _complete(sentence.text, first=position == 0):
                    # A chunk's edges cut sentences; a fragment misquotes.
                    continue
                words = sentence.text.split()
                if len(words) < MIN_WORDS or len(sentence.text) > MAX_SENTENCE_CHARS:
                    continue
                letters = sum(ch.isalpha() for ch in sentence.text)
                if letters < 0.5 * len(sentence.text) or _tabular(words):
                    # Table rows, contents pages and reference lists read
                    # badly out of context.
                    continue
                out.append(
                    _Candidate(index, sentence, tokens=_tokens(scored), scored=scored)
                )
        return out

    def _score(
        self,
        question: str,
        hits: Sequence[SearchHit],
        candidates: list[_Candidate],
    ) -> None:
        terms = {_stem(t) for t in query_terms(question)}
        wants_quantity = bool(_QUANTITY_QUESTION.search(question))
        cosines = self._cosines(question, [c.scored for c in candidates])
        for candidate, cosine in zip(candidates, cosines, strict=True):
            shared = terms & candidate.tokens
            candidate.overlap = len(shared) / len(terms) if terms else 0.0
            candidate.cosine = float(cosine)
            passage = hits[candidate.hit_index].score
            candidate.score = (
                SENTENCE_WEIGHT * candidate.cosine
                + OVERLAP_WEIGHT * candidate.overlap
                + PASSAGE_WEIGHT * passage
            )
            if wants_quantity and _HAS_NUMBER.search(candidate.sentence.text):
                # A question of dose, time or amount is answered by a figure.
                candidate.score += QUANTITY_BONUS
            if hits[candidate.hit_index].read_by_ocr:
                candidate.score -= OCR_PENALTY

    def _cosines(self, question: str, texts: list[str]) -> np.ndarray:
        if self.embedder is None or not texts:
            return np.zeros(len(texts), dtype=np.float32)
        vectors = self.embedder.embed([question, *texts])
        return vectors[1:] @ vectors[0]

    def _choose(
        self, candidates: list[_Candidate], max_sources: int
    ) -> list[_Candidate]:
        ranked = sorted(candidates, key=lambda c: -c.score)
        best = ranked[0].score
        chosen: list[_Candidate] = []
        sources: set[int] = set()
        for candidate in ranked:
            if len(chosen) >= self.max_sentences:
                break
            # Far below the best sentence, a sentence dilutes the answer.
            if candidate.score < best - 0.12 and len(chosen) >= 1:
                break
            if candidate.hit_index not in sources and len(sources) >= max_sources:
                continue
            if any(_near_duplicate(candidate, other) for other in chosen):
                continue
            chosen.append(candidate)
            sources.add(candidate.hit_index)
        return chosen

    @staticmethod
    def _source_notes(
        cited: Sequence[tuple[int, SearchHit]], context: ComposeContext
    ) -> list[dict[str, Any]]:
        notes = []
        for marker, hit in cited:
            year = hit.publication_year
            if year and context.current_year - year > context.warn_older_than_years:
                notes.append(
                    {
                        "kind": "old_source",
                        "marker": marker,
                        "message": f"Note: [{marker}] is from {year}, more than "
                        f"{_words(context.warn_older_than_years)} years old.",
                    }
                )
            newer = context.newer_versions.get(hit.document_id)
            if newer is not None:
                when = f" ({newer.publication_year})" if newer.publication_year else ""
                state = " is being imported" if newer.pending else " is in the library"
                notes.append(
                    {
                        "kind": "newer_version",
                        "marker": marker,
                        "message": f"Note: a newer version of [{marker}]{when}{state}.",
                    }
                )
        return notes


_TERMINAL = re.compile(r"[.!?][\"'”’)\]]*$")


def _complete(text: str, first: bool) -> bool:
    """Whether a sentence reads as whole: it ends, and does not start mid-way."""
    if not _TERMINAL.search(text):
        return False
    return not (first and text[:1].islower())


def _without_titles(sentence: Sentence, titles: Sequence[str]) -> Sentence:
    """The sentence without the headings that a chunk's text starts with.

    A chunk begins with its chapter and heading lines, which the sentence
    splitter joins to the first sentence ("8 USE IN SPECIFIC POPULATIONS
    Renal impairment."); quoted, the heading would read as part of the claim.
    """
    text, start = sentence.text, sentence.start
    for title in titles:
        if text.startswith(title) and text[len(title) : len(title) + 1].isspace():
            cut = len(text) - len(text[len(title) :].lstrip())
            text, start = text[cut:], start + cut
    return Sentence(start, sentence.end, text)


# Small words that a title keeps in lower case ("Prophylaxis of Deep Vein
# Thrombosis Following Hip or Knee Replacement Surgery").
_TITLE_SMALL_WORDS = frozenset(
    "a an and at after by for from in of on or the to vs versus with".split()
)
_SENTENCE_OPENERS = frozenset(
    "A An The This These Those There It Its No Not Each All Most Some Any If When "
    "In For After Before During Although Because Patients Use Do Take Avoid "
    "Consider Monitor Discontinue Reduce Start".split()
)
# "Benet T, Ecochard R," opens a reference, not a statement.
_AUTHOR_LIST = re.compile(r"(?:\b[A-Z][a-z'-]+ [A-Z]{1,3},\s*){2}")
_NUMERIC = re.compile(r"[(\[]?[-+±]?\d[\d.,:/]*%?[)\]]?[,;]?")


def _title_like(word: str) -> bool:
    """A word a heading is made of: capitalised, a number, a mark or a small word."""
    first = word.lstrip("(\"'“‘[")[:1]
    return not first.isalpha() or first.isupper() or word in _TITLE_SMALL_WORDS


def _without_heading_run(sentence: Sentence) -> Sentence:
    """The sentence without a heading that a page's layout ran into it.

    Chunk text is joined line by line, so an unnumbered heading in title case
    runs into the sentence below it ("... Recurrence of DVT and PE No dose
    adjustment is recommended ..."). The heading is a run of three or more
    title-case words before a word that opens sentences ("No", "The") and is
    followed by a lower-case word.
    """
    words = list(re.finditer(r"\S+", sentence.text))
    first_lower = next(
        (i for i, word in enumerate(words) if not _title_like(word.group())), None
    )
    if first_lower is None or first_lower < 4:
        return sentence
    if words[first_lower - 1].group() not in _SENTENCE_OPENERS:
        # "The Centers for Disease Control and Prevention recommends ..." is
        # one sentence: only a word that opens sentences ends a heading.
        return sentence
    cut = words[first_lower - 1].start()
    return Sentence(sentence.start + cut, sentence.end, sentence.text[cut:])


def _tabular(words: Sequence[str]) -> bool:
    """Whether a "sentence" is a table row or a run of contents entries."""
    run = longest = 0
    for word in words:
        # "0.79", "(0.62,", "15.2%", "N=132": figures of a table's cells.
        figure = _NUMERIC.fullmatch(word) or (
            any(ch.isdigit() for ch in word) and sum(ch.isalpha() for ch in word) <= 2
        )
        run = run + 1 if figure else 0
        longest = max(longest, run)
    if longest >= 4 or _AUTHOR_LIST.search(" ".join(words)):
        return True
    # Prose is mostly lower-case words; headings and contents entries are not.
    lower = sum(1 for word in words if word[:1].islower())
    return len(words) >= 8 and lower < 0.45 * len(words)


def _near_duplicate(a: _Candidate, b: _Candidate) -> bool:
    if a.hit_index == b.hit_index and a.sentence.start == b.sentence.start:
        return True
    if not a.tokens or not b.tokens:
        return False
    shared = len(a.tokens & b.tokens)
    return shared / min(len(a.tokens), len(b.tokens)) >= 0.8


_NUMBER_WORDS = {
    5: "five",
    10: "ten",
    15: "fifteen",
    20: "twenty",
}


def _words(number: int) -> str:
    return _NUMBER_WORDS.get(number, str(number))
