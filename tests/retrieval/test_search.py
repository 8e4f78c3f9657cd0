"""Hybrid search over current chunks: fusion, filters, versions, scores."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from voiceassist_desktop.app import App
from voiceassist_desktop.core.ids import new_id
from voiceassist_desktop.index.vector import VectorPoint
from voiceassist_desktop.retrieval.search import HybridSearcher, SearchFilters
from voiceassist_desktop.storage.models import (
    DocumentType,
    FileFormat,
    IndexingStatus,
    KBChunk,
    KnowledgeDocument,
)

OLD_DOSE = "Version one: the apixaban dose for atrial fibrillation is 5 mg twice daily."
NEW_DOSE = (
    "Version two: the apixaban dose for atrial fibrillation is 5 mg twice daily, "
    "or 2.5 mg twice daily with two of age 80, weight 60 kg, creatinine 1.5 mg/dL."
)
DRAFT_DOSE = "Version three draft: apixaban dose for atrial fibrillation under review."
MEASLES = (
    "Two doses of measles-mumps-rubella vaccine are recommended for health care "
    "workers born in or after 1957 without evidence of immunity."
)
HYGIENE = "Alcohol-based hand rub is preferred for hand hygiene in most situations."


def write(
    app,
    title,
    texts,
    *,
    doc_key,
    version=1,
    status="completed",
    year=2020,
    document_type="guideline",
    specialty=None,
) -> str:
    """One document version with chunks and vectors, written through the stores."""
    embedder = app.embedder_for(None)
    vectors = embedder.embed(texts)
    document_id = new_id()
    with app.db.session() as session:
        document = KnowledgeDocument(
            id=document_id,
            user_id=app.user_id,
            doc_key=doc_key,
            content_hash=new_id().replace("-", ""),
            version=version,
            title=title,
            document_type=DocumentType(document_type),
            specialty=specialty,
            file_path=doc_key,
            file_name=doc_key.rsplit("/", 1)[-1],
            file_size=100,
            file_format=FileFormat.PDF,
            publication_year=year,
            is_indexed=status == "completed",
            indexing_status=IndexingStatus(status),
        )
        session.add(document)
        session.flush()
        rows = [
            KBChunk(
                id=(chunk_id := new_id()),
                document_id=document_id,
                chunk_index=i,
                content=text,
                page_number=i + 1,
                token_count=len(text.split()),
                qdrant_id=chunk_id,
                embedding_model=embedder.name,
            )
            for i, text in enumerate(texts)
        ]
        session.add_all(rows)
        app.vectors.ensure_collection(embedder.collection, embedder.dimension)
        app.vectors.upsert(
            embedder.collection,
            [
                VectorPoint(
                    row.id,
                    vector,
                    {
                        "document_id": document_id,
                        "chunk_id": row.id,
                        "content": row.content,
                        "document_title": title,
                        "document_type": document_type,
                        "publication_year": year,
                        **({"specialty": specialty} if specialty else {}),
                    },
                )
                for row, vector in zip(rows, vectors, strict=True)
            ],
        )
    return document_id


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    folder = tmp_path_factory.mktemp("search-library")
    with App(folder, log_to_file=False) as app:
        old = write(app, "Apixaban label", [OLD_DOSE], doc_key="/l/eliquis.pdf")
        new = write(
            app,
            "Apixaban label",
            [NEW_DOSE],
            doc_key="/l/eliquis.pdf",
            version=2,
            year=2021,
            document_type="journal",
            specialty="cardiology",
        )
        draft = write(
            app,
            "Apixaban label",
            [DRAFT_DOSE],
            doc_key="/l/eliquis.pdf",
            version=3,
            status="processing",
            year=2024,
        )
        with app.db.session() as session:
            session.execute(
                update(KnowledgeDocument)
                .where(KnowledgeDocument.id == old)
                .values(superseded_by=new)
            )
            session.execute(
                update(KBChunk)
                .where(KBChunk.document_id == old)
                .values(superseded=True)
            )
        measles = write(
            app,
            "Measles prevention",
            [MEASLES],
            doc_key="/l/measles.txt",
            year=1989,
            specialty="infectious disease",
        )
        hygiene = write(app, "Hand hygiene", [HYGIENE], doc_key="/l/hh.pdf", year=2016)
        searcher = HybridSearcher(
            app.db, app.embedder_for, app.vectors, app.lexical, app.system_settings
        )
        yield {
            "app": app,
            "searcher": searcher,
            "old": old,
            "new": new,
            "draft": draft,
            "measles": measles,
            "hygiene": hygiene,
        }


def test_superseded_and_unfinished_versions_never_appear(library):
    hits = library["searcher"].search("apixaban dose atrial fibrillation", k=10)

    contents = [h.content for h in hits]
    assert NEW_DOSE in contents
    assert OLD_DOSE not in contents and DRAFT_DOSE not in contents
    assert hits[0].content == NEW_DOSE
    assert hits[0].version == 2


def test_hits_carry_the_chunk_the_document_and_both_leg_scores(library):
    (top, *_) = library["searcher"].search("apixaban dose atrial fibrillation", k=3)

    assert top.title == "Apixaban label"
    assert top.publication_year == 2021
    assert top.document_type == "journal"
    assert top.page_number == 1
    assert top.document_id == library["new"]
    assert top.dense_score is not None and top.dense_rank == 1
    assert top.lexical_score is not None and top.lexical_score < 0
    assert 0.0 <= top.score <= 1.0
    assert top.rank == 1


def test_scores_are_in_the_unit_interval_and_sorted(library):
    hits = library["searcher"].search("measles vaccine for health care workers", k=5)

    assert hits[0].document_id == library["measles"]
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_the_same_passage_scores_the_same_whatever_else_is_asked(library):
    searcher = library["searcher"]
    one = searcher.search("measles vaccine for health care workers", k=5)
    two = searcher.search("measles vaccine for health care workers", k=1)
    assert two[0].score == pytest.approx(one[0].score)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(document_types=["journal"]), {"new"}),
        (SearchFilters(specialties=["infectious disease"]), {"measles"}),
        (SearchFilters(year_from=2000), {"new", "hygiene"}),
        (SearchFilters(year_to=2000), {"measles"}),
        (SearchFilters(year_from=2015, year_to=2017), {"hygiene"}),
        (SearchFilters(document_ids=["hygiene"]), {"hygiene"}),
    ],
)
def test_filters_apply_to_both_legs(library, filters, expected):
    if filters.document_ids:
        filters = SearchFilters(document_ids=[library[k] for k in filters.document_ids])

    hits = library["searcher"].search(
        "apixaban measles hand hygiene vaccine dose", k=10
    )
    filtered = library["searcher"].search(
        "apixaban measles hand hygiene vaccine dose", k=10, filters=filters
    )

    assert len(hits) > len(filtered) > 0
    assert {h.document_id for h in filtered} == {library[k] for k in expected}


def test_a_vector_without_a_current_chunk_is_dropped(library):
    app = library["app"]
    embedder = app.embedder_for(None)
    orphan = "Orphan passage: apixaban dose atrial fibrillation written twice."
    app.vectors.upsert(
        embedder.collection,
        [
            VectorPoint(
                new_id(),
                embedder.embed([orphan])[0],
                {"document_id": library["new"], "content": orphan},
            )
        ],
    )

    hits = library["searcher"].search("apixaban dose atrial fibrillation", k=10)
    assert orphan not in [h.content for h in hits]


def test_empty_query_returns_nothing(library):
    assert library["searcher"].search("   ") == []
    assert library["searcher"].search("the of and", k=3)  # dense still answers


def test_newer_version_of_a_document_is_found(library):
    newer = library["searcher"].newer_versions([library["new"], library["measles"]])
    assert set(newer) == {library["new"]}
    assert newer[library["new"]].document_id == library["draft"]
    assert newer[library["new"]].pending is True
