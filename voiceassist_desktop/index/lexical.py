"""The lexical index: the database's own full-text search over chunk text.

SQLite keeps an FTS5 table in step with `kb_chunks` through triggers, and
PostgreSQL a generated tsvector column, so the index is written in the same
transaction as the chunk rows (see the initial migration). Searches cover
current chunks only: completed, unsuperseded versions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    and_,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session as OrmSession

from voiceassist_desktop.index.vector import VectorFilter
from voiceassist_desktop.storage.models import (
    IndexingStatus,
    KBChunk,
    KnowledgeDocument,
)

logger = logging.getLogger(__name__)

# English function words, dropped from questions. Questions are long and
# conversational; matching on any remaining word (OR) keeps recall, and BM25
# weights rare words up. The list and the rules below were tuned on the
# evaluation sets in bench/ (see bench/retrieval.py).
STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be
    because been before being below between both but by can could did do does
    doing done down during each either else ever few for from further had has
    have having he her here hers herself him himself his how however i if in
    into is it its itself just may me might more most much must my myself no
    nor not now of off on once only or other our ours ourselves out over own
    same shall she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up
    upon us very was we were what whatever when where whether which while who
    whom whose why will with within without would you your yours yourself
    yourselves
    """.split()
)

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class LexicalHit:
    chunk_id: str
    score: float  # higher is better on both dialects


def query_terms(question: str, limit: int = 32) -> list[str]:
    """The distinct meaningful words of a question, lower-cased, in order.

    Words are runs of Unicode word characters; single characters and stop
    words are dropped and repeats removed.
    """
    terms: list[str] = []
    for word in _WORD.findall(question.lower()):
        if len(word) < 2 or word in STOP_WORDS or word in terms:
            continue
        terms.append(word)
    return terms[:limit]


def current_chunk_conditions(where: VectorFilter | None = None) -> ColumnElement[bool]:
    """SQL conditions for chunks a search may return, with optional filters.

    The caller's query must join `KnowledgeDocument` on the chunk's document.
    """
    conditions: list[ColumnElement[bool]] = [
        KBChunk.superseded.is_(False),
        KnowledgeDocument.indexing_status == IndexingStatus.COMPLETED,
        KnowledgeDocument.superseded_by.is_(None),
    ]
    if where is not None:
        if where.document_types:
            conditions.append(
                KnowledgeDocument.document_type.in_(list(where.document_types))
            )
        if where.specialties:
            conditions.append(KnowledgeDocument.specialty.in_(list(where.specialties)))
        if where.document_ids:
            conditions.append(KnowledgeDocument.id.in_(list(where.document_ids)))
        if where.year_from is not None:
            conditions.append(KnowledgeDocument.publication_year >= where.year_from)
        if where.year_to is not None:
            conditions.append(KnowledgeDocument.publication_year <= where.year_to)
    return and_(*conditions)


class LexicalIndex:
    """Full-text search through the database the chunks live in."""

    # Weight of a match in the heading relative to one in the body.
    HEADING_WEIGHT = 2.0

    def search(
        self,
        session: OrmSession,
        question: str,
        limit: int,
        where: VectorFilter | None = None,
    ) -> list[LexicalHit]:
        """The best-matching current chunks for `question`, best first."""
        terms = query_terms(question)
        if not terms:
            return []
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            return self._search_sqlite(session, terms, limit, where)
        return self._search_postgres(session, terms, limit, where)

    def _search_sqlite(
        self,
        session: OrmSession,
        terms: Sequence[str],
        limit: int,
        where: VectorFilter | None,
    ) -> list[LexicalHit]:
        # Each term quoted, so FTS5 reads it as a word and never as syntax.
        match = " OR ".join('"{}"'.format(t.replace('"', "")) for t in terms)
        fts = table("kb_chunks_fts", column("rowid"))
        rank = func.bm25(literal_column("kb_chunks_fts"), self.HEADING_WEIGHT, 1.0)
        statement = (
            select(KBChunk.id, rank.label("rank"))
            .select_from(fts)
            .join(KBChunk, KBChunk.fts_rowid == fts.c.rowid)
            .join(KnowledgeDocument, KnowledgeDocument.id == KBChunk.document_id)
            .where(literal_column("kb_chunks_fts").op("MATCH")(match))
            .where(current_chunk_conditions(where))
            .order_by(literal_column("rank"))
            .limit(limit)
        )
        rows = session.execute(statement).all()
        # FTS5's bm25() is negative, smaller is better: flip the sign.
        return [LexicalHit(row.id, -float(row.rank)) for row in rows]

    def _search_postgres(
        self,
        session: OrmSession,
        terms: Sequence[str],
        limit: int,
        where: VectorFilter | None,
    ) -> list[LexicalHit]:
        words = [re.sub(r"[^\w]", "", t) for t in terms]
        tsquery = " | ".join(w for w in words if w)
        if not tsquery:
            return []
        query = func.to_tsquery("english", tsquery)
        vector = literal_column("kb_chunks.search_vector")
        statement = (
            select(KBChunk.id, func.ts_rank(vector, query).label("rank"))
            .join(KnowledgeDocument, KnowledgeDocument.id == KBChunk.document_id)
            .where(vector.op("@@")(query))
            .where(current_chunk_conditions(where))
            .order_by(literal_column("rank").desc())
            .limit(limit)
        )
        rows = session.execute(statement).all()
        return [LexicalHit(row.id, float(row.rank)) for row in rows]
