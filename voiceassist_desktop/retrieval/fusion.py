"""Fusion of the dense and lexical result lists into one ranked list.

The method is a convex combination of two scores in [0, 1] that keep their
meaning from one question to the next (no per-question min-max scaling):

- the dense leg's cosine similarity, clipped at 0;
- the lexical strength of the raw FTS5 ``bm25()`` value ``b`` (negative,
  smaller is better), relative to the best value ``b1`` of the same question
  plus a damping constant: ``s = |b| / (|b1| + LEXICAL_HALF)``. The best
  lexical hit gets ``|b1| / (|b1| + LEXICAL_HALF)``, which is 0.5 when its
  bm25 magnitude equals ``LEXICAL_HALF`` and nears 1 for a match on many
  rare terms, and the others get their share of it. So a question that
  matches the library only on a stray word gives little lexical strength to
  anything, while within a question the lexical order is kept.

``score = (1 - LEXICAL_WEIGHT) * clip(cosine, 0, 1) + LEXICAL_WEIGHT * s``

The score is the ranking key and the relevance the answer composer reads: a
best score under :data:`NOT_COVERED_BELOW` means the library does not cover
the question. ``bench/fusion_study.py`` measures the method against each leg
alone and against reciprocal rank fusion, and the threshold on on-topic and
off-topic questions.

A passage the lexical leg did not return has lexical strength 0 (it shares
no term with the question, or too little to make the list). A passage the
dense leg did not return is given the lowest cosine that leg returned: the
dense leg ranks every passage, so that is a bound on its cosine, and it keeps
a strong lexical match from being buried by the lack of a cosine. When the
dense leg returned nothing, the cosine counts as 0.

What the legs are expected to give (the constants were chosen with it): the
50 best hits of each; dense scores are cosine similarities of normalised
all-MiniLM-L6-v2 embeddings of the heading and text of the chunk; lexical
scores are FTS5 ``bm25(table, ...)`` with the heading column weighted 2 and
the body 1, for a MATCH expression made of the question's words, stop words
and one-character words removed, each double-quoted, joined by ``OR``.

TODO(retrieval): bm25 magnitudes grow slowly (log of the passage count) with
the library, so LEXICAL_HALF fits libraries of thousands of chunks; recheck it
on a library ten times larger.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

LEXICAL_WEIGHT = 0.2
"""Share of the lexical strength in the fused score."""

LEXICAL_HALF = 10.0
"""bm25 magnitude at which the best lexical hit's strength is 0.5."""

NOT_COVERED_BELOW = 0.45
"""Best fused score under which a question counts as not covered.

Measured on a pooled library of 9,270 medical passages: the best score of 20
off-topic questions ranged 0.17-0.49 (median 0.26), of 20 on-topic ones
0.56-0.78 (median 0.69); 5 % of the benchmark questions, which all have an
answer in the library, scored under 0.48-0.60 depending on the set. A small
library scores lower: with a few documents bm25 magnitudes stay near 1, so
the lexical share adds little, and answerable questions over five short
documents scored 0.47-0.68 while off-topic ones stayed under 0.05. The
threshold sits below those, above most off-topic questions of the large one.
"""


@dataclass(frozen=True)
class FusedHit:
    """One passage of the fused ranking.

    Attributes:
        id: The passage (chunk) id, as both legs name it.
        score: Fused relevance in [0, 1]; the list is sorted by it.
        dense_score: Cosine similarity from the dense leg, None if it did not
            return the passage.
        lexical_score: Raw bm25 value from the lexical leg (negative, smaller
            is better), None if it did not return the passage.
        dense_rank: 1-based rank in the dense leg, None if absent.
        lexical_rank: 1-based rank in the lexical leg, None if absent.
    """

    id: str
    score: float
    dense_score: float | None
    lexical_score: float | None
    dense_rank: int | None
    lexical_rank: int | None


def lexical_strength(
    bm25: float | None, best_bm25: float | None, half: float = LEXICAL_HALF
) -> float:
    """Map a raw FTS5 bm25 value to [0, 1), larger meaning a stronger match.

    Args:
        bm25: The passage's ``bm25()`` value (negative, smaller is better),
            or None when the lexical leg did not return the passage.
        best_bm25: The best (smallest) value the lexical leg returned for the
            same question.
        half: The bm25 magnitude at which the best hit's strength is 0.5.

    Returns:
        ``|bm25| / (|best_bm25| + half)``; 0 for None or a non-negative value
        (FTS5 returns neither for a match).
    """
    if bm25 is None or best_bm25 is None or bm25 >= 0.0:
        return 0.0
    best = max(-best_bm25, -bm25)
    return -bm25 / (best + half)


def fused_score(
    cosine: float,
    bm25: float | None,
    best_bm25: float | None,
    *,
    lexical_weight: float = LEXICAL_WEIGHT,
) -> float:
    """The fused relevance in [0, 1] of one passage.

    Args:
        cosine: Cosine similarity of the question and passage embeddings.
        bm25: The passage's raw FTS5 bm25 value, or None when the lexical leg
            did not return it.
        best_bm25: The best bm25 value the lexical leg returned.
        lexical_weight: Share of the lexical strength.

    Returns:
        ``(1 - w) * clip(cosine, 0, 1) + w * lexical_strength(bm25, best_bm25)``.
    """
    dense_part = min(max(cosine, 0.0), 1.0)
    lexical_part = lexical_strength(bm25, best_bm25)
    return (1.0 - lexical_weight) * dense_part + lexical_weight * lexical_part


def fuse(
    dense: Sequence[tuple[str, float]],
    lexical: Sequence[tuple[str, float]],
    *,
    limit: int = 10,
    lexical_weight: float = LEXICAL_WEIGHT,
) -> list[FusedHit]:
    """Fuse the two legs' hits into one list, best first.

    Args:
        dense: ``(id, cosine similarity)`` pairs from the dense leg, best
            first (what Qdrant returns for normalised vectors with cosine
            distance).
        lexical: ``(id, bm25)`` pairs from the lexical leg with the raw FTS5
            ``bm25()`` values (negative, smaller is better), best first.
        limit: How many hits to return.
        lexical_weight: Share of the lexical strength in the score.

    Returns:
        At most ``limit`` hits sorted by descending score; equal scores (to
        nine decimals) are
        ordered by the number of legs that found the passage, then by best
        rank in either leg, then by id, so the order is deterministic.
    """
    dense_by_id = _first_occurrences(dense)
    lexical_by_id = _first_occurrences(lexical)

    # The dense leg ranks every passage, so its weakest returned cosine bounds
    # the cosine of a passage it did not return.
    dense_floor = min((s for _, s in dense_by_id.values()), default=0.0)
    best_bm25 = min((s for _, s in lexical_by_id.values()), default=None)

    hits = []
    for pid in dense_by_id.keys() | lexical_by_id.keys():
        dense_rank, cosine = dense_by_id.get(pid, (None, None))
        lexical_rank, bm25 = lexical_by_id.get(pid, (None, None))
        score = fused_score(
            dense_floor if cosine is None else cosine,
            bm25,
            best_bm25,
            lexical_weight=lexical_weight,
        )
        hits.append(FusedHit(pid, score, cosine, bm25, dense_rank, lexical_rank))

    hits.sort(key=_order)
    return hits[:limit]


def reciprocal_rank_fusion(
    rankings: Iterable[Sequence[tuple[str, float]]], *, k: int = 60
) -> list[tuple[str, float]]:
    """Plain reciprocal rank fusion, kept as the reference the study beats.

    Args:
        rankings: Lists of ``(id, score)`` pairs, each best first; only the
            order is used.
        k: The damping constant.

    Returns:
        ``(id, sum of 1 / (k + rank))`` pairs, best first, ties by id.
    """
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, pid in enumerate(_first_occurrences(ranking), start=1):
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def _first_occurrences(
    ranking: Sequence[tuple[str, float]],
) -> dict[str, tuple[int, float]]:
    """``id -> (1-based rank, score)``, keeping the first of repeated ids."""
    out: dict[str, tuple[int, float]] = {}
    for pid, score in ranking:
        if pid not in out:
            out[pid] = (len(out) + 1, score)
    return out


def _order(hit: FusedHit) -> tuple:
    legs = (hit.dense_rank is not None) + (hit.lexical_rank is not None)
    ranks = [r for r in (hit.dense_rank, hit.lexical_rank) if r is not None]
    # Rounded so that scores equal but for floating-point noise count as ties.
    return (-round(hit.score, 9), -legs, min(ranks), hit.id)
