"""Choosing vocabulary for the recogniser, mining terms, correcting names."""

from __future__ import annotations

from voiceassist_desktop.voice import vocabulary


def test_shipped_list_is_a_few_hundred_distinct_terms():
    terms = vocabulary.shipped_terms()

    assert 300 <= len(terms) <= 600
    assert len({t.casefold() for t in terms}) == len(terms)
    assert {"apixaban", "atrial fibrillation", "empagliflozin"} <= set(terms)


def test_library_terms_come_first_without_duplicates_and_within_budget():
    chosen = vocabulary.select_terms(
        ["Finerenone", "APIXABAN", "finerenone"], max_tokens=60
    )

    assert chosen[:3] == ["Finerenone", "APIXABAN", "rivaroxaban"]
    prompt = vocabulary.build_prompt(chosen)
    assert vocabulary._estimate_tokens(prompt) <= 60 + len(chosen)
    assert "apixaban" not in chosen


def test_budget_counts_with_the_given_tokenizer():
    def by_words(text: str) -> int:
        return len(text.split())

    chosen = vocabulary.select_terms(
        ["a b c d e f g h"], max_tokens=20, count_tokens=by_words
    )

    assert chosen[0] == "a b c d e f g h"
    assert by_words(vocabulary.build_prompt(chosen)) <= 20


def test_a_large_library_leaves_room_for_the_shipped_terms():
    library = [f"term{number}" for number in range(500)]

    chosen = vocabulary.select_terms(library, max_tokens=100)

    assert chosen[0] == "term0"
    assert "apixaban" in chosen
    assert vocabulary.select_terms(library, max_tokens=100, include_shipped=False)[
        -1
    ].startswith("term")


def test_extract_terms_finds_drugs_and_conditions():
    text = (
        "In Chronic Kidney Disease, reduce apixaban; rivaroxaban is avoided. "
        "Heart failure with reduced ejection fraction: sacubitril/valsartan, "
        "bisoprolol, dapagliflozin and semaglutide. Statins such as atorvastatin. "
        "Patients with Cushing's syndrome. Heart failure again, eating and diabetes."
    )

    terms = vocabulary.extract_terms(text)

    assert terms[0] == "heart failure"
    for expected in (
        "chronic kidney disease",
        "apixaban",
        "rivaroxaban",
        "valsartan",
        "bisoprolol",
        "dapagliflozin",
        "semaglutide",
        "atorvastatin",
        "Cushing's syndrome",
    ):
        assert expected in terms
    assert "eating and diabetes" not in terms
    assert vocabulary.extract_terms(text, limit=2) == terms[:2]


def test_near_miss_names_are_corrected_and_ordinary_words_left_alone():
    terms = vocabulary.shipped_terms()

    assert (
        vocabulary.correct_terms("What is the dose for a pixaban?", terms)
        == "What is the dose for apixaban?"
    )
    assert (
        vocabulary.correct_terms("on metforman and empagliflozen", terms)
        == "on metformin and empagliflozin"
    )
    ordinary = "ask not what your country can do for you, remember the patient"
    assert vocabulary.correct_terms(ordinary, terms) == ordinary


def test_a_name_heard_as_three_words_is_corrected():
    terms = vocabulary.shipped_terms()

    assert (
        vocabulary.correct_terms("How should love a thoraxine be adjusted?", terms)
        == "How should levothyroxine be adjusted?"
    )
    # A comma between the words ends the run.
    heard = "I love a, thoraxine"
    assert vocabulary.correct_terms(heard, terms) == heard


def test_a_name_heard_by_its_sound_is_corrected_though_spelt_far_off():
    terms = vocabulary.shipped_terms()

    # Whisper's reading of "apixaban" after a second of trailing quiet: the
    # same sounds, half the letters.
    assert (
        vocabulary.correct_terms("the renal dose for a picksebin?", terms)
        == "the renal dose for apixaban?"
    )
    # Sounding only roughly alike is not enough when the spelling is far off.
    assert vocabulary.correct_terms("a pig's ebbin", terms) == "a pig's ebbin"
    everyday = "she picked a basin and a cabin by the station in the evening"
    assert vocabulary.correct_terms(everyday, terms) == everyday
