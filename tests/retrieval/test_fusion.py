"""Behaviour of the fusion of dense and lexical hits."""

from __future__ import annotations

import pytest

from voiceassist_desktop.retrieval.fusion import (
    LEXICAL_HALF,
    LEXICAL_WEIGHT,
    FusedHit,
    fuse,
    fused_score,
    lexical_strength,
    reciprocal_rank_fusion,
)


def test_best_lexical_hit_is_half_strong_at_the_half_point():
    assert lexical_strength(-LEXICAL_HALF, -LEXICAL_HALF) == pytest.approx(0.5)


def test_best_lexical_hit_grows_stronger_with_the_match():
    values = [lexical_strength(b, b) for b in (-0.5, -3.0, -12.0, -40.0, -400.0)]

    assert values == sorted(values)
    assert all(0.0 < v < 1.0 for v in values)


def test_other_lexical_hits_get_their_share_of_the_best():
    best = -30.0

    assert lexical_strength(-15.0, best) == pytest.approx(
        lexical_strength(best, best) / 2
    )


def test_lexical_strength_of_no_match_is_zero():
    assert lexical_strength(None, -5.0) == 0.0
    assert lexical_strength(0.0, -5.0) == 0.0
    assert lexical_strength(2.5, -5.0) == 0.0


def test_fused_score_is_a_convex_combination_clipped_to_the_unit_interval():
    w = LEXICAL_WEIGHT

    assert fused_score(1.0, -1e9, -1e9) == pytest.approx(1.0, abs=1e-6)
    assert fused_score(-0.4, None, None) == 0.0
    assert fused_score(1.3, None, None) == pytest.approx(1 - w)
    assert fused_score(0.6, None, -8.0) == pytest.approx((1 - w) * 0.6)
    assert fused_score(0.6, -LEXICAL_HALF, -LEXICAL_HALF) == pytest.approx(
        (1 - w) * 0.6 + w * 0.5
    )


def test_scores_lie_in_the_unit_interval_and_are_sorted():
    dense = [("a", 0.93), ("b", 0.41), ("c", -0.2), ("d", 1.0000001)]
    lexical = [("e", -250.0), ("b", -12.0), ("a", -0.01)]

    hits = fuse(dense, lexical, limit=10)

    assert {h.id for h in hits} == {"a", "b", "c", "d", "e"}
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hit_carries_both_legs_scores_and_ranks():
    hits = fuse([("a", 0.8), ("b", 0.7)], [("b", -9.0), ("c", -4.0)])
    by_id = {h.id: h for h in hits}

    assert by_id["b"] == FusedHit(
        "b", fused_score(0.7, -9.0, -9.0), 0.7, -9.0, dense_rank=2, lexical_rank=1
    )
    assert by_id["a"].lexical_score is None and by_id["a"].lexical_rank is None
    assert by_id["c"].dense_score is None and by_id["c"].dense_rank is None


def test_lexical_agreement_lifts_a_passage_above_a_slightly_closer_one():
    dense = [("close", 0.62), ("agreed", 0.60)]
    lexical = [("agreed", -25.0)]

    hits = fuse(dense, lexical)

    assert [h.id for h in hits[:2]] == ["agreed", "close"]


def test_dense_similarity_dominates_a_weak_lexical_match():
    dense = [("relevant", 0.75), ("other", 0.20)]
    lexical = [("other", -4.0)]

    assert fuse(dense, lexical)[0].id == "relevant"


def test_a_stray_word_match_adds_little_to_an_off_topic_question():
    # One common word shared with one passage: a weak best bm25, so the
    # lexical part stays far below what a real match gives.
    weak = fuse([("a", 0.10)], [("a", -1.5)])[0].score
    strong = fuse([("a", 0.10)], [("a", -40.0)])[0].score

    assert weak < 0.1 + LEXICAL_WEIGHT * 0.15
    assert strong > weak + LEXICAL_WEIGHT * 0.5


def test_missing_cosine_is_the_weakest_dense_hit_and_missing_bm25_no_match():
    dense = [("a", 0.7), ("b", 0.5)]
    lexical = [("c", -20.0), ("a", -6.0)]
    by_id = {h.id: h for h in fuse(dense, lexical)}

    # "c" was not in the dense top list, so it is scored as if its cosine were
    # the lowest returned one; "b" matched no term as far as we know.
    assert by_id["c"].score == pytest.approx(fused_score(0.5, -20.0, -20.0))
    assert by_id["b"].score == pytest.approx(fused_score(0.5, None, -20.0))


def test_only_dense_leg():
    hits = fuse([("a", 0.3), ("b", 0.9), ("c", 0.5)], [])

    assert [h.id for h in hits] == ["b", "c", "a"]
    assert hits[0].score == pytest.approx((1 - LEXICAL_WEIGHT) * 0.9)
    assert all(h.lexical_rank is None for h in hits)


def test_only_lexical_leg():
    hits = fuse([], [("a", -3.0), ("b", -30.0)])

    assert [h.id for h in hits] == ["b", "a"]
    assert hits[0].score == pytest.approx(
        LEXICAL_WEIGHT * lexical_strength(-30.0, -30.0)
    )
    assert all(h.dense_rank is None for h in hits)


def test_both_legs_empty():
    assert fuse([], []) == []


def test_found_by_both_legs_ranks_first_when_scores_are_equal():
    # "solo" is closer in the dense leg by exactly what "both" gains from its
    # lexical match, so the scores tie and agreement of the legs decides.
    w = LEXICAL_WEIGHT
    bonus = w * 0.5 / (1 - w)
    dense = [("solo", 0.25 + bonus), ("both", 0.25)]
    lexical = [("both", -LEXICAL_HALF)]

    hits = fuse(dense, lexical)

    assert hits[0].score == pytest.approx(hits[1].score, abs=1e-12)
    assert [h.id for h in hits] == ["both", "solo"]


def test_exact_ties_are_ordered_by_best_rank_then_id():
    hits = fuse([("z", 0.4), ("y", 0.4), ("x", 0.4)], [])

    assert [h.id for h in hits] == ["z", "y", "x"]


def test_limit_and_repeated_ids():
    dense = [("a", 0.9), ("a", 0.1), ("b", 0.8), ("c", 0.7)]

    hits = fuse(dense, [], limit=2)

    assert [h.id for h in hits] == ["a", "b"]
    assert hits[0].dense_score == 0.9
    assert hits[1].dense_rank == 2


def test_reciprocal_rank_fusion_sums_reciprocal_ranks():
    fused = dict(reciprocal_rank_fusion([[("a", 0.9), ("b", 0.1)], [("b", -3.0)]]))

    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
