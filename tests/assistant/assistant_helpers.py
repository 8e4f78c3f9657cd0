"""Helpers for the assistant tests: a small library written row by row.

Small libraries are written straight through the storage and index layers
(document and chunk rows, vector points embedded by the real model), so a
test states exactly which passages exist, on which page, in which version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from voiceassist_desktop.app import App
from voiceassist_desktop.assistant.conversations import Conversations
from voiceassist_desktop.assistant.service import Assistant
from voiceassist_desktop.core.ids import new_id
from voiceassist_desktop.index.vector import VectorPoint
from voiceassist_desktop.knowledge.pipeline import vector_payload
from voiceassist_desktop.retrieval.search import HybridSearcher
from voiceassist_desktop.storage.models import (
    DocumentType,
    FileFormat,
    IndexingStatus,
    KBChunk,
    KnowledgeDocument,
)


@dataclass
class Passage:
    content: str
    page_number: int | None = None
    page_label: str | None = None
    chapter: str | None = None
    heading: str | None = None


def write_document(
    app: App,
    title: str,
    passages: Sequence[Passage | str],
    *,
    document_type: str = "guideline",
    year: int | None = 2020,
    authors: Sequence[str] = (),
    doc_key: str | None = None,
    version: int = 1,
    status: IndexingStatus = IndexingStatus.COMPLETED,
    file_format: str = "pdf",
    doi: str | None = None,
    url: str | None = None,
) -> str:
    """Write one document version with its chunks and vectors; return its id."""
    embedder = app.embedder_for(None)
    items = [p if isinstance(p, Passage) else Passage(p, 1) for p in passages]
    vectors = embedder.embed([p.content for p in items])
    document_id = new_id()
    with app.db.session() as session:
        document = KnowledgeDocument(
            id=document_id,
            user_id=app.user_id,
            doc_key=doc_key or f"/library/{new_id()}.{file_format}",
            content_hash=new_id().replace("-", ""),
            version=version,
            title=title,
            document_type=DocumentType(document_type),
            file_path=f"/library/{title}.{file_format}",
            file_name=f"{title}.{file_format}",
            file_size=1000,
            file_format=FileFormat(file_format),
            authors=list(authors) or None,
            publication_year=year,
            doi=doi,
            meta={"url": url} if url else None,
            is_indexed=status == IndexingStatus.COMPLETED,
            indexing_status=status,
            chunk_count=len(items),
        )
        session.add(document)
        session.flush()
        rows = []
        for index, item in enumerate(items):
            chunk_id = new_id()
            rows.append(
                KBChunk(
                    id=chunk_id,
                    document_id=document_id,
                    chunk_index=index,
                    content=item.content,
                    page_number=item.page_number if file_format == "pdf" else None,
                    page_label=item.page_label,
                    chapter=item.chapter,
                    heading=item.heading,
                    token_count=len(item.content.split()),
                    qdrant_id=chunk_id,
                    embedding_model=embedder.name,
                    superseded=False,
                )
            )
        session.add_all(rows)
        session.flush()
        points = [
            VectorPoint(row.id, vector, vector_payload(document, row))
            for row, vector in zip(rows, vectors, strict=True)
        ]
        app.vectors.ensure_collection(embedder.collection, embedder.dimension)
        app.vectors.upsert(embedder.collection, points)
    return document_id


def build_assistant(app: App, tools: Any = None) -> Assistant:
    """The assistant over the app's services (no tool registry unless given)."""
    searcher = HybridSearcher(
        app.db, app.embedder_for, app.vectors, app.lexical, app.system_settings
    )
    conversations = Conversations(app.db, app.audit, app.events, app.user_id)
    return Assistant(
        app.db,
        app.audit,
        app.events,
        app.user_id,
        searcher,
        conversations,
        app.user_settings,
        app.system_settings,
        tools,
    )


APIXABAN_DOSE = (
    "The recommended dose of ELIQUIS for most patients is 5 mg taken orally twice "
    "daily. The recommended dose of ELIQUIS is 2.5 mg twice daily in patients with "
    "at least two of the following characteristics: age greater than or equal to "
    "80 years, body weight less than or equal to 60 kg, serum creatinine greater "
    "than or equal to 1.5 mg/dL."
)
APIXABAN_SURGERY = (
    "ELIQUIS should be discontinued at least 48 hours prior to elective surgery or "
    "invasive procedures with a moderate or high risk of unacceptable or clinically "
    "significant bleeding. ELIQUIS should be discontinued at least 24 hours prior to "
    "elective surgery or invasive procedures with a low risk of bleeding. Bridging "
    "anticoagulation during the 24 to 48 hours after stopping ELIQUIS and prior to "
    "the intervention is not generally required."
)
APIXABAN_RENAL = (
    "No dose adjustment is recommended for patients with renal impairment, "
    "including those with end-stage renal disease on dialysis. Patients with "
    "ESRD on dialysis were not enrolled in clinical efficacy and safety studies."
)
APIXABAN_GERIATRIC = (
    "Of the total subjects in the clinical studies, more than 69% were 65 years of "
    "age and older. No clinically significant differences in safety or "
    "effectiveness were observed when comparing elderly subjects with younger ones."
)
WARFARIN_DOSE = (
    "The starting dose of warfarin is 2 to 5 mg once daily, adjusted to keep the "
    "international normalized ratio between 2.0 and 3.0. Elderly patients usually "
    "need lower warfarin doses."
)
HAND_HYGIENE = (
    "Hand hygiene is the single most important measure to prevent the spread of "
    "infection in health care. Use an alcohol-based hand rub before and after "
    "touching a patient, and wash with soap and water when hands are visibly soiled."
)
AMOXICILLIN = (
    "Amoxicillin is a penicillin-class antibiotic used for otitis media. Amoxicillin "
    "is contraindicated in patients with a history of serious hypersensitivity to "
    "penicillins or other beta-lactams."
)
