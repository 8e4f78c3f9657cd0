"""Citations: locations, snippets around the supporting sentence, the schema."""

from __future__ import annotations

import dataclasses

import pytest

from voiceassist_desktop.core.errors import ValidationFailed
from voiceassist_desktop.core.ids import is_uuid4
from voiceassist_desktop.retrieval.citations import (
    SNIPPET_MAX,
    location,
    make_citation,
    reference_line,
    snippet_around,
    source_type,
    split_sentences,
)
from voiceassist_desktop.retrieval.search import SearchHit
from voiceassist_desktop.storage.export import validate

FILLER = (
    "Anticoagulant therapy needs careful review of bleeding risk, drug "
    "interactions and adherence before any change is made. "
)
SUPPORT = (
    "ELIQUIS should be discontinued at least 48 hours prior to elective surgery "
    "or invasive procedures with a moderate or high risk of unacceptable or "
    "clinically significant bleeding."
)


def hit(**changes) -> SearchHit:
    base = SearchHit(
        chunk_id="7b0c1c56-1d0e-4b8e-9a57-2f8f7c2b1a11",
        content=FILLER * 4 + SUPPORT + " " + FILLER * 4,
        page_number=13,
        page_label="7",
        chapter="2 DOSAGE AND ADMINISTRATION",
        heading="2.3 Temporary Interruption for Surgery",
        chunk_index=12,
        document_id="0b7e3f0e-8a4c-4d2b-8f3b-6d1c5a2e9f10",
        title="ELIQUIS (apixaban) prescribing information",
        authors=("Bristol-Myers Squibb",),
        publication_year=2021,
        document_type="guideline",
        file_format="pdf",
        doi="10.1000/example.123",
        url="https://www.example.org/eliquis.pdf",
        version=2,
        score=0.71234,
    )
    return dataclasses.replace(base, **changes)


def test_location_shows_the_printed_label_and_the_physical_page_when_they_differ():
    assert location(hit()) == "p. 7 (PDF p. 13)"
    assert location(hit(page_label="13")) == "p. 13"
    assert location(hit(page_label=None)) == "p. 13"


def test_location_of_unpaginated_formats_is_the_heading():
    assert location(hit(page_number=None, page_label=None, heading="Dosage")) == (
        "section: Dosage"
    )
    assert (
        location(hit(page_number=None, page_label=None, heading=None, chapter="Intro"))
        == "section: Intro"
    )
    assert (
        location(hit(page_number=None, page_label=None, heading=None, chapter=None))
        is None
    )


def test_sentences_keep_decimals_abbreviations_and_bullets_whole():
    text = (
        "The dose is 2.5 mg twice daily (see Fig. 2). Dr. Lip et al. reported it, "
        "e.g. in AF. • Dialysis: 5 mg twice daily. Is it safe? Yes."
    )
    sentences = [s.text for s in split_sentences(text)]
    assert sentences == [
        "The dose is 2.5 mg twice daily (see Fig. 2).",
        "Dr. Lip et al. reported it, e.g. in AF.",
        "• Dialysis: 5 mg twice daily.",
        "Is it safe?",
        "Yes.",
    ]
    for sentence in split_sentences(text):
        assert text[sentence.start : sentence.end] == sentence.text


@pytest.mark.parametrize("position", [0, 1, 2, 5, 8])
def test_snippet_holds_the_sentence_within_500_characters(position):
    before = FILLER * position
    text = before + SUPPORT + " " + FILLER * (8 - position)
    start = len(before)

    snippet = snippet_around(text, start, start + len(SUPPORT))

    assert len(snippet) <= SNIPPET_MAX
    assert SUPPORT in snippet
    # Centred: about as much context before the sentence as after it, where
    # the text has both.
    if 2 <= position <= 6:
        left, right = snippet.split(SUPPORT)
        assert abs(len(left) - len(right)) < 60


def test_snippet_cuts_at_word_boundaries_and_marks_the_cuts():
    text = FILLER * 6 + SUPPORT + " " + FILLER * 6
    start = text.index(SUPPORT)
    snippet = snippet_around(text, start, start + len(SUPPORT))

    assert snippet.startswith("…") and snippet.endswith("…")
    words = set(text.split())
    assert snippet[1:].split()[0] in words
    assert snippet[:-1].split()[-1] in words


def test_a_sentence_longer_than_the_limit_is_cut_to_it():
    long_sentence = "word " * 200
    snippet = snippet_around(long_sentence, 0, len(long_sentence))
    assert len(snippet) <= SNIPPET_MAX
    assert snippet.endswith("…")


def test_citation_is_schema_valid_and_carries_its_source():
    item = hit()
    supporting = [s for s in split_sentences(item.content) if s.text == SUPPORT]

    citation = make_citation(item, supporting, marker=1)

    validate("Citation", citation)
    assert is_uuid4(citation["id"])
    assert citation["source_type"] == "guideline"
    assert citation["source_id"] == item.document_id
    assert citation["title"] == item.title
    assert citation["subtitle"] == (
        "2 DOSAGE AND ADMINISTRATION — 2.3 Temporary Interruption for Surgery"
    )
    assert citation["authors"] == ["Bristol-Myers Squibb"]
    assert citation["publication_year"] == 2021
    assert citation["location"] == "p. 7 (PDF p. 13)"
    assert citation["doi"] == "10.1000/example.123"
    assert citation["url"] == "https://www.example.org/eliquis.pdf"
    assert SUPPORT in citation["snippet"] and len(citation["snippet"]) <= 500
    assert citation["relevance_score"] == pytest.approx(0.7123)
    assert citation["document_version"] == 2
    assert citation["chunk_id"] == item.chunk_id
    assert citation["marker"] == 1
    assert "2021" in reference_line(citation) and "version 2" in reference_line(
        citation
    )


def test_citation_leaves_out_what_is_unknown_and_stays_valid():
    item = hit(
        authors=(),
        publication_year=None,
        doi=None,
        url="not a url",
        chapter=None,
        heading=None,
        page_number=None,
        page_label=None,
        document_type="other",
        file_format="txt",
    )
    citation = make_citation(item)

    validate("Citation", citation)
    for key in ("authors", "publication_year", "doi", "url", "subtitle", "location"):
        assert key not in citation
    assert citation["source_type"] == "note"


def test_an_invalid_citation_is_refused_by_the_schema():
    citation = make_citation(hit())
    citation["snippet"] = "x" * 501
    with pytest.raises(ValidationFailed):
        validate("Citation", citation)


def test_document_types_map_onto_the_seed_source_types():
    assert source_type("guideline") == "guideline"
    assert source_type("journal") == "journal"
    assert source_type("textbook") == "textbook"
    assert source_type("other") == "note"
