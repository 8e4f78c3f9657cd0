"""Hybrid search: the dense and lexical legs fused into one ranking.

The dense leg asks the vector collection of the configured embedding model,
the lexical leg the database's full-text index. Each leg is asked for more
candidates than the caller wants, the two lists are fused by
`retrieval.fusion.fuse`, and only current chunks survive: the dense hits are
checked against the database with the same conditions the lexical leg uses
(completed, unsuperseded versions, the caller's filters), since the vector
index may still hold points of a version that was superseded or is not yet
complete.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from voiceassist_desktop.index.lexical import LexicalIndex, current_chunk_conditions
from voiceassist_desktop.index.vector import VectorFilter, VectorIndex
from voiceassist_desktop.retrieval import fusion
from voiceassist_desktop.storage.database import Database
from voiceassist_desktop.storage.models import (
    IndexingStatus,
    KBChunk,
    KnowledgeDocument,
)

logger = logging.getLogger(__name__)

# Candidates asked of each leg for every hit the caller wants; the legs
# disagree often enough that a passage ranked 30th by one is first after
# fusion.
CANDIDATE_FACTOR = 6
MIN_CANDIDATES = 50


@dataclass(frozen=True)
class SearchFilters:
    """What a search is limited to; empty fields do not filter.

    Attributes:
        document_types: "guideline", "journal", "textbook", "other".
        specialties: Specialties as the documents record them.
        year_from: Earliest publication year, inclusive.
        year_to: Latest publication year, inclusive.
        document_ids: Only these documents (versions).
    """

    document_types: Sequence[str] = ()
    specialties: Sequence[str] = ()
    year_from: int | None = None
    year_to: int | None = None
    document_ids: Sequence[str] = ()

    def as_vector_filter(self) -> VectorFilter:
        return VectorFilter(
            document_types=tuple(str(t) for t in self.document_types),
            specialties=tuple(self.specialties),
            document_ids=tuple(self.document_ids),
            year_from=self.year_from,
            year_to=self.year_to,
        )

    @property
    def empty(self) -> bool:
        return self.as_vector_filter().empty


@dataclass(frozen=True)
class SearchHit:
    """One passage of the fused ranking, with what its citation needs.

    Attributes:
        chunk_id: The chunk (and vector point) id.
        content: The passage text.
        page_number: 1-based physical page; None for unpaginated formats.
        page_label: The printed page label, where the PDF has one.
        chapter: The level-1 heading the passage sits under.
        heading: The innermost heading below the chapter.
        chunk_index: Position of the passage in its document.
        document_id: The document version's id.
        title: The document's title.
        authors: Its authors, possibly empty.
        publication_year: Its year, if known.
        document_type: "guideline", "journal", "textbook" or "other".
        file_format: "pdf", "docx", "txt" or "html".
        doi: Its DOI, if known.
        url: Its address, if known.
        version: The version number of the document.
        score: Fused relevance in [0, 1]; the same scale for every question.
        dense_score: Cosine similarity from the dense leg, if it found it.
        lexical_score: Raw bm25 value from the lexical leg, if it found it.
        dense_rank: 1-based rank in the dense leg, if it found it.
        lexical_rank: 1-based rank in the lexical leg, if it found it.
        rank: 1-based rank in the fused list.
        specialty: The document's specialty, if filed under one.
        doc_key: The key that groups the document's versions.
        read_by_ocr: The passage's page had no text layer and was read by OCR.
    """

    chunk_id: str
    content: str
    page_number: int | None
    page_label: str | None
    chapter: str | None
    heading: str | None
    chunk_index: int
    document_id: str
    title: str
    authors: tuple[str, ...]
    publication_year: int | None
    document_type: str
    file_format: str
    doi: str | None
    url: str | None
    version: int
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None
    rank: int = 0
    specialty: str | None = None
    doc_key: str = ""
    read_by_ocr: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class NewerVersion:
    """A newer version of a cited document found in the library.

    Attributes:
        document_id: The newer row's id.
        title: Its title.
        publication_year: Its year, if known.
        version: Its version number (of its own document key).
        pending: True while its import has not completed.
    """

    document_id: str
    title: str
    publication_year: int | None
    version: int
    pending: bool


class HybridSearcher:
    """Dense and lexical search over current chunks, fused into one ranking.

    Args:
        db: The database the chunks live in.
        embedder_for: Returns the embedder of a model name (None: the
            configured model).
        vectors: The vector index.
        lexical: The lexical index.
        system_settings: Returns the current system settings.
    """

    def __init__(
        self,
        db: Database,
        embedder_for: Callable[[str | None], Any],
        vectors: VectorIndex,
        lexical: LexicalIndex,
        system_settings: Callable[[], Any],
    ) -> None:
        self.db = db
        self.embedder_for = embedder_for
        self.vectors = vectors
        self.lexical = lexical
        self.system_settings = system_settings

    @property
    def embedder(self) -> Any:
        """The embedder of the configured model."""
        return self.embedder_for(None)

    def search(
        self,
        query: str,
        k: int = 8,
        filters: SearchFilters | None = None,
        *,
        query_vector: np.ndarray | None = None,
    ) -> list[SearchHit]:
        """The `k` best current passages for `query`, best first.

        Args:
            query: The question or search text.
            k: How many hits to return.
            filters: Limits by document type, specialty, year or document.
            query_vector: The query's embedding, when the caller has it.

        Returns:
            Hits with the fused relevance in [0, 1] and each leg's score.
        """
        query = (query or "").strip()
        if not query or k <= 0:
            return []
        candidates = max(MIN_CANDIDATES, CANDIDATE_FACTOR * k)
        dense, lexical = self.legs(query, candidates, filters, query_vector)
        fused = fusion.fuse(dense, lexical, limit=k)
        with self.db.session() as session:
            hits = self._load_hits(session, fused)
        logger.debug(
            "search: %s dense, %s lexical, %s fused",
            len(dense),
            len(lexical),
            len(hits),
        )
        return hits

    def legs(
        self,
        query: str,
        candidates: int,
        filters: SearchFilters | None = None,
        query_vector: np.ndarray | None = None,
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """Each leg's ranking of current chunks, as the fusion reads them.

        Args:
            query: The question or search text.
            candidates: How many hits to ask of each leg.
            filters: Limits by document type, specialty, year or document.
            query_vector: The query's embedding, when the caller has it.

        Returns:
            (dense, lexical): ``(chunk id, cosine)`` pairs and ``(chunk id,
            raw bm25)`` pairs (negative, smaller is better), best first.
        """
        where = (filters or SearchFilters()).as_vector_filter()
        embedder = self.embedder
        if query_vector is None:
            query_vector = embedder.embed([query])[0]
        dense = self.vectors.search(
            embedder.collection, query_vector, candidates, where
        )
        with self.db.session() as session:
            lexical = self.lexical.search(session, query, candidates, where)
            current = self._current_ids(session, [h.id for h in dense], where)
        dense_pairs = [(h.id, h.score) for h in dense if h.id in current]
        # LexicalHit scores are "higher is better"; the fusion reads the raw
        # bm25 value, which is that score negated.
        # TODO(retrieval): on PostgreSQL the leg returns ts_rank, whose scale
        # is not the bm25 scale the fusion was tuned on.
        lexical_pairs = [(h.chunk_id, -h.score) for h in lexical]
        return dense_pairs, lexical_pairs

    def newer_versions(self, document_ids: Iterable[str]) -> dict[str, NewerVersion]:
        """Newer versions of the given documents that the library holds.

        A newer version is a row of the same document key with a higher
        version number (still importing, or completed), or a current document
        with the same title and a later publication year (a new edition
        imported from another file).

        Args:
            document_ids: Document version ids, typically those cited.

        Returns:
            document id -> the newest such version, for those that have one.
        """
        ids = list(dict.fromkeys(document_ids))
        if not ids:
            return {}
        out: dict[str, NewerVersion] = {}
        with self.db.session() as session:
            docs = session.scalars(
                select(KnowledgeDocument).where(KnowledgeDocument.id.in_(ids))
            ).all()
            for doc in docs:
                newer = session.scalars(
                    select(KnowledgeDocument)
                    .where(
                        KnowledgeDocument.doc_key == doc.doc_key,
                        KnowledgeDocument.version > doc.version,
                        KnowledgeDocument.indexing_status != IndexingStatus.FAILED,
                    )
                    .order_by(KnowledgeDocument.version.desc())
                    .limit(1)
                ).first()
                if newer is None and doc.publication_year is not None:
                    newer = session.scalars(
                        select(KnowledgeDocument)
                        .where(
                            KnowledgeDocument.id != doc.id,
                            KnowledgeDocument.title == doc.title,
                            KnowledgeDocument.publication_year > doc.publication_year,
                            KnowledgeDocument.indexing_status
                            == IndexingStatus.COMPLETED,
                            KnowledgeDocument.superseded_by.is_(None),
                        )
                        .order_by(KnowledgeDocument.publication_year.desc())
                        .limit(1)
                    ).first()
                if newer is not None:
                    out[doc.id] = NewerVersion(
                        document_id=newer.id,
                        title=newer.title,
                        publication_year=newer.publication_year,
                        version=newer.version,
                        pending=newer.indexing_status != IndexingStatus.COMPLETED,
                    )
        return out

    def document_titles(self, filters: SearchFilters | None = None) -> list[str]:
        """Titles of the current documents a search with `filters` covers."""
        where = (filters or SearchFilters()).as_vector_filter()
        with self.db.session() as session:
            rows = session.execute(
                select(KnowledgeDocument.title)
                .join(KBChunk, KBChunk.document_id == KnowledgeDocument.id)
                .where(current_chunk_conditions(where))
                .distinct()
                .order_by(KnowledgeDocument.title)
            ).all()
        return [row.title for row in rows]

    @staticmethod
    def _current_ids(session, ids: Sequence[str], where: VectorFilter) -> set[str]:
        if not ids:
            return set()
        rows = session.execute(
            select(KBChunk.id)
            .join(KnowledgeDocument, KnowledgeDocument.id == KBChunk.document_id)
            .where(KBChunk.id.in_(list(ids)))
            .where(current_chunk_conditions(where))
        ).all()
        return {row.id for row in rows}

    @staticmethod
    def _load_hits(session, fused: Sequence[fusion.FusedHit]) -> list[SearchHit]:
        if not fused:
            return []
        chunks = session.scalars(
            select(KBChunk).where(KBChunk.id.in_([f.id for f in fused]))
        ).all()
        by_id = {chunk.id: chunk for chunk in chunks}
        hits = []
        for item in fused:
            chunk = by_id.get(item.id)
            if chunk is None:
                # Deleted between the legs and this read.
                continue
            doc = chunk.document
            meta = doc.meta or {}
            hits.append(
                SearchHit(
                    chunk_id=chunk.id,
                    content=chunk.content,
                    page_number=chunk.page_number,
                    page_label=chunk.page_label,
                    chapter=chunk.chapter,
                    heading=chunk.heading,
                    chunk_index=chunk.chunk_index,
                    document_id=doc.id,
                    title=doc.title,
                    authors=tuple(doc.authors or ()),
                    publication_year=doc.publication_year,
                    document_type=str(getattr(doc.document_type, "value", "other")),
                    file_format=str(getattr(doc.file_format, "value", "")),
                    doi=doc.doi,
                    url=meta.get("url") if isinstance(meta.get("url"), str) else None,
                    version=doc.version,
                    score=min(max(item.score, 0.0), 1.0),
                    dense_score=item.dense_score,
                    lexical_score=item.lexical_score,
                    dense_rank=item.dense_rank,
                    lexical_rank=item.lexical_rank,
                    rank=len(hits) + 1,
                    specialty=doc.specialty,
                    doc_key=doc.doc_key,
                    read_by_ocr=chunk.page_number in (meta.get("ocr_pages") or ()),
                )
            )
        return hits
