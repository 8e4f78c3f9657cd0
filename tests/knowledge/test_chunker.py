"""Chunking with the embedding model's tokenizer: sizes, overlap, attribution."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceassist_desktop.knowledge.chunker import (
    MODEL_MAX_SEQUENCE,
    Chunk,
    Chunker,
    chunk_document,
)
from voiceassist_desktop.knowledge.converters import convert_file
from voiceassist_desktop.knowledge.converters import pdf as pdf_converter
from voiceassist_desktop.knowledge.document import ConvertedDocument, Heading, Page

CORPUS_FILES = (
    "pdf/fda_label_rinvoq_upadacitinib.pdf",
    "pdf/niddk_eating_and_diabetes_2007.pdf",
    "pdf/who_ipc_core_components_guidelines_2016.pdf",
    "html/cdc_pcd_2024_24_0005_status_of_asthma_us.htm",
    "txt/cdc_mmwr_1989_measles_prevention_acip.txt",
)


@pytest.fixture(scope="module")
def chunker() -> Chunker:
    return Chunker()


@pytest.fixture(scope="module")
def chunked(corpus_dir, chunker) -> dict[str, tuple[ConvertedDocument, list[Chunk]]]:
    """A few corpus documents, converted and chunked once."""
    results = {}
    for name in CORPUS_FILES:
        path = corpus_dir / "docs" / name
        if path.suffix == ".pdf":
            document = pdf_converter.convert(path, use_ocr=False)
        else:
            document = convert_file(path)
        results[Path(name).name] = (document, chunker.chunk(document))
    return results


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.corpus
def test_chunks_fit_the_model_and_counts_are_real(chunked, chunker):
    tokenizer = chunker.tokenizer
    for name, (_, chunks) in chunked.items():
        assert chunks, name
        assert [chunk.chunk_index for chunk in chunks] == list(range(len(chunks)))
        encodings = tokenizer.encode_batch([chunk.content for chunk in chunks])
        for chunk, encoding in zip(chunks, encodings, strict=True):
            # encode_batch adds [CLS] and [SEP]; token_count leaves them out.
            assert len(encoding.ids) <= MODEL_MAX_SEQUENCE, name
            assert chunk.token_count == len(encoding.ids) - 2, name
        sizes = [chunk.token_count for chunk in chunks]
        assert 120 <= sum(sizes) / len(sizes) <= 215, name


@pytest.mark.corpus
def test_consecutive_chunks_overlap(chunked):
    document, chunks = chunked["cdc_mmwr_1989_measles_prevention_acip.txt"]
    pairs = [
        (first, second)
        for first, second in zip(chunks, chunks[1:], strict=False)
        if (first.chapter, first.heading) == (second.chapter, second.heading)
    ]
    assert pairs
    overlapping = [
        (first, second) for first, second in pairs if second.char_start < first.char_end
    ]
    assert len(overlapping) >= 0.9 * len(pairs)
    first, second = overlapping[0]
    shared = document.pages[0].text[second.char_start : first.char_end]
    assert _squash(shared) in first.content and second.content.startswith(
        _squash(shared)[:40]
    )


@pytest.mark.corpus
def test_chunks_point_at_their_page_and_offsets(chunked):
    for name, (document, chunks) in chunked.items():
        for chunk in chunks:
            if document.paginated:
                assert chunk.page_number is not None
                page = document.pages[chunk.page_number - 1]
                assert chunk.page_label == page.label
            else:
                assert chunk.page_number is None
                page = document.pages[0]
            if chunk.page_end is None:
                source = page.text[chunk.char_start : chunk.char_end]
                assert _squash(source) == chunk.content, (name, chunk.chunk_index)
            else:
                assert chunk.page_end == chunk.page_number + 1
                start = _squash(page.text[chunk.char_start :])
                assert chunk.content.startswith(start)


@pytest.mark.corpus
def test_page_attribution_on_a_multi_page_pdf(chunked):
    document, chunks = chunked["niddk_eating_and_diabetes_2007.pdf"]
    pages = {chunk.page_number for chunk in chunks}
    assert len(pages) > 30
    assert sum(chunk.page_end is not None for chunk in chunks) <= 0.05 * len(chunks)

    glucose = next(c for c in chunks if c.chapter == "Blood Glucose Levels")
    assert glucose.page_number == 8 and glucose.page_label == "2"
    assert glucose.content.startswith("Blood Glucose Levels")


@pytest.mark.corpus
def test_chunks_never_cross_a_heading(chunked):
    for name, (document, chunks) in chunked.items():
        starts: dict[int, list[int]] = {}
        for heading in document.headings:
            starts.setdefault(heading.page_index, []).append(heading.char_start)
        for chunk in chunks:
            if chunk.page_end is not None:
                continue
            index = chunk.page_number - 1 if document.paginated else 0
            inside = [
                start
                for start in starts.get(index, [])
                if chunk.char_start < start < chunk.char_end
            ]
            # Only a heading line (and a few words under it) may lead into
            # the first subheading.
            for start in inside:
                before = document.pages[index].text[chunk.char_start : start]
                assert len(before.split()) <= 20, (name, chunk.chunk_index)


@pytest.mark.corpus
def test_heading_attribution(chunked):
    _, chunks = chunked["fda_label_rinvoq_upadacitinib.pdf"]
    psoriatic = [c for c in chunks if c.heading == "1.2 Psoriatic Arthritis"]
    assert psoriatic
    assert all(c.chapter == "1 INDICATIONS AND USAGE" for c in psoriatic)
    assert all(c.page_number == 5 for c in psoriatic)
    assert "psoriatic arthritis" in psoriatic[0].content.lower()

    _, asthma = chunked["cdc_pcd_2024_24_0005_status_of_asthma_us.htm"]
    data_sources = [c for c in asthma if c.heading == "Data sources"]
    assert data_sources and data_sources[0].chapter == "Methods"


def test_long_sentence_is_cut_between_words(chunker):
    row = " ".join(f"cell{n} 12.5 mg/kg" for n in range(600))
    document = ConvertedDocument(
        source=Path("table.txt"), format="txt", pages=[Page(number=None, text=row)]
    )
    chunks = chunker.chunk(document)
    assert len(chunks) > 5
    assert all(chunk.token_count <= chunker.settings.max_tokens for chunk in chunks)
    # Every cut falls between words.
    assert all(
        chunk.char_start == 0 or row[chunk.char_start - 1] == " " for chunk in chunks
    )
    assert all(row[chunk.char_end :][:1] in ("", " ") for chunk in chunks)
    assert chunks[-1].content.endswith("cell599 12.5 mg/kg")


def test_small_pieces_and_page_breaks(chunker):
    sentence = "Apixaban reduces the risk of stroke in atrial fibrillation. "
    document = ConvertedDocument(
        source=Path("label.pdf"),
        format="pdf",
        pages=[
            Page(number=1, text="Warnings\n" + sentence * 30, label="7"),
            Page(number=2, text="with bleeding.", label="8"),
            Page(number=3, text="Dosage\n" + sentence * 3, label="9"),
        ],
        headings=[
            Heading("Warnings", 1, 0, 0),
            Heading("Dosage", 1, 2, 0),
        ],
    )
    chunks = chunk_document(document)
    assert [c.page_number for c in chunks][:1] == [1]
    assert all(c.chapter == "Warnings" for c in chunks if c.page_number in (1, 2))
    dosage = [c for c in chunks if c.chapter == "Dosage"]
    assert len(dosage) == 1 and dosage[0].page_number == 3
    assert dosage[0].page_label == "9"
    assert dosage[0].content.startswith("Dosage Apixaban")
    # Nothing is lost: the fragment on page 2 is in a chunk of page 2.
    assert any("with bleeding." in c.content for c in chunks)


def test_empty_document_gives_no_chunks(chunker):
    document = ConvertedDocument(
        source=Path("blank.txt"), format="txt", pages=[Page(number=None, text="  \n")]
    )
    assert chunker.chunk(document) == []
