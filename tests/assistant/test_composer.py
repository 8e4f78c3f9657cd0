"""The extractive composer: whole sentences, cited, honest when not covered."""

from __future__ import annotations

import re

import pytest
from assistant_helpers import AMOXICILLIN, APIXABAN_DOSE, APIXABAN_RENAL, WARFARIN_DOSE

from voiceassist_desktop.assistant.composer import (
    NOT_COVERED,
    ComposeContext,
    ExtractiveComposer,
)
from voiceassist_desktop.assistant.context import ContextView
from voiceassist_desktop.retrieval.citations import split_sentences
from voiceassist_desktop.retrieval.search import NewerVersion, SearchHit
from voiceassist_desktop.storage.export import validate

MARKED = re.compile(r"(.+?) \[(\d+)\](?: |$)")


def hit(content: str, rank: int, score: float, **extra) -> SearchHit:
    values = dict(
        chunk_id=f"00000000-0000-4000-8000-{rank:012d}",
        content=content,
        page_number=rank + 2,
        page_label=None,
        chapter="Dosage",
        heading=None,
        chunk_index=rank,
        document_id=f"10000000-0000-4000-8000-{rank:012d}",
        title=f"Source {rank}",
        authors=(),
        publication_year=2021,
        document_type="guideline",
        file_format="pdf",
        doi=None,
        url=None,
        version=1,
        score=score,
        rank=rank,
    )
    values.update(extra)
    return SearchHit(**values)


@pytest.fixture(scope="module")
def composer(small_library):
    return ExtractiveComposer(small_library.app.embedder_for(None))


def answer_sentences(text: str) -> list[tuple[str, int]]:
    body = text.split("\n\n")[0]
    return [(m.group(1).strip(), int(m.group(2))) for m in MARKED.finditer(body)]


def test_sentences_are_quoted_whole_with_numbers_as_written(composer):
    hits = [hit(APIXABAN_DOSE, 1, 0.62), hit(WARFARIN_DOSE, 2, 0.55)]

    answer = composer.compose(
        "What dose of apixaban for an 82 year old weighing 58 kg?",
        hits,
        ComposeContext(min_relevance=0.3),
    )

    assert answer.covered
    quoted = answer_sentences(answer.text)
    assert quoted
    sources = {
        c["marker"]: next(h.content for h in hits if h.chunk_id == c["chunk_id"])
        for c in answer.citations
    }
    for sentence, marker in quoted:
        # Each quoted sentence is one whole sentence of the passage it cites.
        passage_sentences = [s.text for s in split_sentences(sources[marker])]
        assert sentence in passage_sentences
    assert "2.5 mg twice daily" in answer.text
    assert "1.5 mg/dL" in answer.text


def test_statements_about_different_drugs_stay_in_separate_sentences(composer):
    hits = [hit(APIXABAN_DOSE, 1, 0.6), hit(WARFARIN_DOSE, 2, 0.58)]

    answer = composer.compose(
        "What are the starting doses of apixaban and of warfarin?",
        hits,
        ComposeContext(min_relevance=0.3),
    )

    drug_of = {
        c["marker"]: "ELIQUIS" if c["chunk_id"] == hits[0].chunk_id else "warfarin"
        for c in answer.citations
    }
    for sentence, marker in answer_sentences(answer.text):
        mentions = {
            drug for drug in ("ELIQUIS", "warfarin") if drug.lower() in sentence.lower()
        }
        assert len(mentions) <= 1, sentence
        assert mentions <= {drug_of[marker]}


def test_only_cited_sources_are_listed_in_marker_order(composer):
    hits = [
        hit(APIXABAN_DOSE, 1, 0.64),
        hit(APIXABAN_RENAL, 2, 0.5),
        hit(AMOXICILLIN, 3, 0.31),
    ]

    answer = composer.compose(
        "What is the usual apixaban dose?", hits, ComposeContext(min_relevance=0.3)
    )

    used = {marker for _, marker in answer_sentences(answer.text)}
    markers = [c["marker"] for c in answer.citations]
    assert markers == sorted(used) == list(range(1, len(used) + 1))
    assert all("Amoxicillin" not in c.get("snippet", "") for c in answer.citations)
    for citation in answer.citations:
        validate("Citation", citation)
        assert citation["publication_year"] == 2021
    assert answer.citations[0]["source_id"] == hits[0].document_id


def test_no_sentence_is_repeated(composer):
    # Overlapping chunks repeat a sentence; the answer quotes it once.
    first = APIXABAN_DOSE
    second = split_sentences(APIXABAN_DOSE)[1].text + " " + APIXABAN_RENAL
    hits = [hit(first, 1, 0.66), hit(second, 2, 0.6)]

    answer = composer.compose(
        "When is the apixaban dose 2.5 mg?", hits, ComposeContext(min_relevance=0.3)
    )

    sentences = [s for s, _ in answer_sentences(answer.text)]
    assert len(sentences) == len(set(sentences))


def test_below_the_threshold_the_answer_says_so_and_cites_nothing(composer):
    hits = [hit(AMOXICILLIN, 1, 0.21), hit(WARFARIN_DOSE, 2, 0.18)]

    answer = composer.compose(
        "How do I change a car tyre?", hits, ComposeContext(min_relevance=0.3)
    )

    assert not answer.covered
    assert answer.text == NOT_COVERED
    assert answer.citations == []
    assert answer.flags == []


def test_just_under_the_threshold_a_sentence_that_answers_still_counts(composer):
    # A library of a few documents gives weak lexical evidence however well the
    # words match, so the passage scores just under the threshold.
    hits = [hit(APIXABAN_RENAL, 1, 0.44)]
    context = ComposeContext(min_relevance=0.45)

    answered = composer.compose(
        "What is the renal dose adjustment for apixaban?", hits, context
    )
    unanswered = composer.compose(
        "When should apixaban be stopped before surgery?", hits, context
    )

    assert answered.covered
    assert "No dose adjustment is recommended" in answered.text
    assert not unanswered.covered
    assert unanswered.citations == []


def test_the_heading_a_chunk_starts_with_is_not_quoted(composer):
    title = "8 USE IN SPECIFIC POPULATIONS"
    hits = [hit(f"{title} Renal impairment. {APIXABAN_RENAL}", 1, 0.6, chapter=title)]

    answer = composer.compose(
        "Does apixaban need a dose adjustment in renal impairment?",
        hits,
        ComposeContext(min_relevance=0.3),
    )

    assert answer.covered
    assert title not in answer.text
    assert answer.text.startswith("No dose adjustment is recommended")
    start = answer.citations[0]["snippet"].find("No dose adjustment")
    assert start >= 0


def test_a_title_case_heading_run_into_a_sentence_is_left_out(composer):
    passage = (
        "Prophylaxis of Deep Vein Thrombosis Following Hip or Knee Replacement "
        "Surgery, and Treatment of DVT and PE No dose adjustment is recommended "
        "for patients with renal impairment, including those with ESRD on "
        "dialysis. The Centers for Disease Control and Prevention recommends "
        "that patients on dialysis be vaccinated against hepatitis B."
    )
    contents = (
        "17 HOW SUPPLIED/STORAGE AND HANDLING PATIENT COUNSELING INFORMATION "
        "14.2 14.3 Prophylaxis of Deep Vein Thrombosis Following Hip or Knee "
        "Replacement Surgery * Sections omitted from the information are not "
        "listed."
    )
    hits = [hit(contents, 1, 0.7), hit(passage, 2, 0.65)]

    answer = composer.compose(
        "Is a dose adjustment needed for dialysis patients after hip replacement?",
        hits,
        ComposeContext(min_relevance=0.3),
    )

    quoted = [sentence for sentence, _ in answer_sentences(answer.text)]
    renal = (
        "No dose adjustment is recommended for patients with renal impairment, "
        "including those with ESRD on dialysis."
    )
    assert renal in quoted
    assert not any("Prophylaxis" in sentence for sentence in quoted)
    assert not any("COUNSELING" in sentence for sentence in quoted)
    # A proper name opening a sentence is not taken for a heading.
    for sentence in quoted:
        if "vaccinated" in sentence:
            assert sentence.startswith("The Centers for Disease Control")


def test_old_sources_and_newer_versions_are_noted(composer):
    old = hit(WARFARIN_DOSE, 1, 0.6, publication_year=2007)
    newer = NewerVersion(
        "20000000-0000-4000-8000-000000000001", "Source 1", 2024, 2, False
    )

    answer = composer.compose(
        "What is the starting dose of warfarin?",
        [old],
        ComposeContext(
            min_relevance=0.3,
            current_year=2026,
            newer_versions={old.document_id: newer},
        ),
    )

    assert "Note: [1] is from 2007, more than ten years old." in answer.text
    assert "Note: a newer version of [1] (2024) is in the library." in answer.text
    kinds = {flag["kind"] for flag in answer.flags}
    assert {"old_source", "newer_version"} <= kinds


def test_recent_sources_get_no_age_note(composer):
    answer = composer.compose(
        "What is the starting dose of warfarin?",
        [hit(WARFARIN_DOSE, 1, 0.6, publication_year=2019)],
        ComposeContext(min_relevance=0.3, current_year=2026),
    )
    assert "years old" not in answer.text


def test_context_used_and_flags_appear_in_the_answer(composer):
    view = ContextView.of(
        {
            "patient_age": 78,
            "allergies": ["penicillin"],
            "lab_values": {"serum_creatinine_mg_dl": 1.4},
        }
    )
    hits = [hit(APIXABAN_RENAL, 1, 0.6), hit(AMOXICILLIN, 2, 0.58)]

    answer = composer.compose(
        "Is amoxicillin or apixaban safe in renal impairment?",
        hits,
        ComposeContext(min_relevance=0.3, clinical=view),
    )

    assert "Considering: age 78, creatinine 1.4 mg/dL, allergy: penicillin." in (
        answer.text
    )
    kinds = {(flag["kind"], flag.get("marker")) for flag in answer.flags}
    markers = {c["source_id"]: c["marker"] for c in answer.citations}
    if hits[1].document_id in markers:
        assert ("allergy", markers[hits[1].document_id]) in kinds
    assert ("renal", markers[hits[0].document_id]) in kinds
    assert answer.used_context == [
        "age 78",
        "creatinine 1.4 mg/dL",
        "allergy: penicillin",
    ]


def test_typeset_text_is_quoted_before_the_same_words_read_by_ocr(composer):
    scanned = (
        "Soap and water should be used when hands are visibly soiled and after "
        "caring for a patient with Clostridium difficile Hand Hygiene 2.Adhere to "
        "local requirements regarding reportable diseases."
    )
    typeset = (
        "Use soap and water when hands are visibly soiled, or after caring for "
        "patients with known or suspected Clostridium difficile."
    )
    question = "When should staff wash with soap and water instead of hand rub?"
    hits = [hit(scanned, 1, 0.56, read_by_ocr=True), hit(typeset, 2, 0.55)]

    answer = composer.compose(question, hits, ComposeContext(min_relevance=0.3))
    first = answer.citations[0]
    assert first["chunk_id"] == hits[1].chunk_id

    # With nothing typeset to quote, the OCR text still answers.
    alone = composer.compose(question, hits[:1], ComposeContext(min_relevance=0.3))
    assert alone.covered and alone.citations[0]["chunk_id"] == hits[0].chunk_id
