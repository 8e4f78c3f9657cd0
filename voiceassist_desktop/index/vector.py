"""The vector index: an interface and its Qdrant implementation.

Local mode keeps the collection in a folder of the data directory; a Qdrant
server is used when `VOICEASSIST_QDRANT_URL` names one. Both go through the same
client code. Point ids are chunk ids, and each point's payload follows the
QdrantPayload schema. One client per process; it is closed on exit.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voiceassist_desktop.core.errors import AlreadyRunning, EnvironmentProblem

logger = logging.getLogger(__name__)

QDRANT_URL_ENV = "VOICEASSIST_QDRANT_URL"

# Payload fields that searches filter by, indexed where the engine supports it.
FILTERED_FIELDS = {
    "document_id": "keyword",
    "document_type": "keyword",
    "specialty": "keyword",
    "publication_year": "integer",
}


@dataclass(frozen=True)
class VectorPoint:
    """One chunk's vector and payload."""

    id: str
    vector: np.ndarray
    payload: dict[str, Any]


@dataclass(frozen=True)
class VectorHit:
    id: str
    score: float
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VectorFilter:
    """Conditions on the payload; empty fields do not filter."""

    document_types: Sequence[str] = ()
    specialties: Sequence[str] = ()
    document_ids: Sequence[str] = ()
    year_from: int | None = None
    year_to: int | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.document_types
            or self.specialties
            or self.document_ids
            or self.year_from is not None
            or self.year_to is not None
        )


class VectorIndex(Protocol):
    """What the rest of the app needs from a vector engine."""

    def ensure_collection(self, name: str, dimension: int) -> None: ...

    def upsert(self, collection: str, points: Sequence[VectorPoint]) -> None: ...

    def delete(self, collection: str, ids: Sequence[str]) -> None: ...

    def search(
        self,
        collection: str,
        vector: np.ndarray,
        limit: int,
        where: VectorFilter | None = None,
    ) -> list[VectorHit]: ...

    def ids(self, collection: str) -> Iterator[str]: ...

    def count(self, collection: str) -> int: ...

    def has_collection(self, name: str) -> bool: ...

    def drop_collection(self, name: str) -> None: ...

    # Backups read and write the index point by point.
    def collections(self) -> list[str]: ...

    def dimension(self, collection: str) -> int: ...

    def export_points(self, collection: str) -> Iterator[VectorPoint]: ...

    def import_points(
        self, collection: str, dimension: int, points: Iterable[VectorPoint]
    ) -> int: ...

    def close(self) -> None: ...


class QdrantVectorIndex:
    """`VectorIndex` over qdrant-client, in local mode or against a server.

    Args:
        path: The folder for local mode.
        url: A Qdrant server; when given, `path` is ignored.
    """

    def __init__(self, path: Path | None = None, url: str | None = None) -> None:
        from qdrant_client import QdrantClient

        self.url = url or os.environ.get(QDRANT_URL_ENV) or None
        self.path = None if self.url else path
        self._lock = threading.RLock()
        try:
            if self.url:
                # TODO(index): server mode shares this code but cannot be run in
                # the test environment; its behaviour is covered by local mode.
                self._client = QdrantClient(url=self.url, timeout=30)
            else:
                if path is None:
                    raise ValueError("a folder is needed for local mode")
                path.mkdir(parents=True, exist_ok=True)
                self._client = QdrantClient(path=str(path))
                for collection in self._client.get_collections().collections:
                    self._tune_local_storage(collection.name)
        except RuntimeError as exc:
            if "already accessed" in str(exc):
                raise AlreadyRunning(
                    "The vector index is open in another copy of VoiceAssist.",
                    "Close the other copy (only one may use a data folder).",
                ) from exc
            raise
        except Exception as exc:
            raise EnvironmentProblem(
                f"The vector index cannot be opened ({exc}).",
                "Check VOICEASSIST_QDRANT_URL, or the data folder's vectors/.",
            ) from exc

    @property
    def mode(self) -> str:
        return "server" if self.url else "local"

    def _tune_local_storage(self, name: str) -> None:
        """Puts a local collection's SQLite file in WAL mode without fsync per row.

        Local mode commits every point on its own; with the default journal
        that is one disk sync per point (about 12 s per 1,000 points here),
        with WAL and synchronous=NORMAL about 50 times faster. A crash can lose
        the last writes but never corrupts the file, and the start-up
        reconciliation re-embeds any chunk whose vector is missing.
        """
        if self.mode != "local":
            return
        try:
            storage = self._client._client.collections[name].storage.storage
            storage.execute("PRAGMA journal_mode=WAL")
            storage.execute("PRAGMA synchronous=NORMAL")
        except (AttributeError, KeyError, TypeError) as exc:
            # TODO(index): relies on qdrant-client's local-mode internals; if a
            # release moves them, writes stay correct but slow.
            logger.debug("local vector storage left untuned: %s", exc)

    def has_collection(self, name: str) -> bool:
        with self._lock:
            return self._client.collection_exists(name)

    def ensure_collection(self, name: str, dimension: int) -> None:
        from qdrant_client import models

        with self._lock:
            if self._client.collection_exists(name):
                return
            self._client.create_collection(
                name,
                vectors_config=models.VectorParams(
                    size=dimension, distance=models.Distance.COSINE
                ),
            )
            self._tune_local_storage(name)
            # Local mode scans every point and keeps no payload indexes.
            if self.mode == "server":
                for field_name, kind in FILTERED_FIELDS.items():
                    self._client.create_payload_index(name, field_name, kind)
        logger.info("vector collection %s created (%s dims)", name, dimension)

    def drop_collection(self, name: str) -> None:
        with self._lock:
            if self._client.collection_exists(name):
                self._client.delete_collection(name)

    def upsert(self, collection: str, points: Sequence[VectorPoint]) -> None:
        from qdrant_client import models

        if not points:
            return
        structs = [
            models.PointStruct(
                id=p.id,
                vector=np.asarray(p.vector, dtype=np.float32).tolist(),
                payload=p.payload,
            )
            for p in points
        ]
        with self._lock:
            self._client.upsert(collection, points=structs, wait=True)

    def delete(self, collection: str, ids: Sequence[str]) -> None:
        from qdrant_client import models

        if not ids:
            return
        with self._lock:
            if not self._client.collection_exists(collection):
                return
            self._client.delete(
                collection,
                points_selector=models.PointIdsList(points=list(ids)),
                wait=True,
            )

    def search(
        self,
        collection: str,
        vector: np.ndarray,
        limit: int,
        where: VectorFilter | None = None,
    ) -> list[VectorHit]:
        with self._lock:
            if not self._client.collection_exists(collection):
                return []
            response = self._client.query_points(
                collection,
                query=np.asarray(vector, dtype=np.float32).tolist(),
                limit=limit,
                query_filter=_to_filter(where),
                with_payload=True,
            )
        return [
            VectorHit(str(point.id), float(point.score), dict(point.payload or {}))
            for point in response.points
        ]

    def ids(self, collection: str) -> Iterator[str]:
        """Every point id in the collection, page by page."""
        offset = None
        while True:
            with self._lock:
                if not self._client.collection_exists(collection):
                    return
                points, offset = self._client.scroll(
                    collection,
                    limit=1000,
                    offset=offset,
                    with_payload=False,
                    with_vectors=False,
                )
            for point in points:
                yield str(point.id)
            if offset is None:
                return

    def collections(self) -> list[str]:
        """The names of every collection."""
        with self._lock:
            return sorted(c.name for c in self._client.get_collections().collections)

    def dimension(self, collection: str) -> int:
        """The vector size of a collection."""
        with self._lock:
            info = self._client.get_collection(collection)
        return int(info.config.params.vectors.size)

    def export_points(self, collection: str, batch: int = 500) -> Iterator[VectorPoint]:
        """Every point of a collection with its vector and payload, page by page.

        Backups read the index through the client rather than copying the
        local folder, which is not safe while a client holds it.
        """
        offset = None
        while True:
            with self._lock:
                if not self._client.collection_exists(collection):
                    return
                points, offset = self._client.scroll(
                    collection,
                    limit=batch,
                    offset=offset,
                    with_payload=True,
                    with_vectors=True,
                )
            for point in points:
                yield VectorPoint(
                    str(point.id),
                    np.asarray(point.vector, dtype=np.float32),
                    dict(point.payload or {}),
                )
            if offset is None:
                return

    def import_points(
        self, collection: str, dimension: int, points: Iterable[VectorPoint]
    ) -> int:
        """Creates the collection if needed and writes `points`; returns how many."""
        self.ensure_collection(collection, dimension)
        count = 0
        batch: list[VectorPoint] = []
        for point in points:
            batch.append(point)
            if len(batch) >= 500:
                self.upsert(collection, batch)
                count += len(batch)
                batch = []
        self.upsert(collection, batch)
        return count + len(batch)

    def count(self, collection: str) -> int:
        with self._lock:
            if not self._client.collection_exists(collection):
                return 0
            return self._client.count(collection, exact=True).count

    def close(self) -> None:
        with self._lock:
            try:
                self._client.close()
            except Exception:
                logger.exception("closing the vector index failed")


def _to_filter(where: VectorFilter | None):
    from qdrant_client import models

    if where is None or where.empty:
        return None
    must: list[Any] = []
    if where.document_types:
        must.append(
            models.FieldCondition(
                key="document_type",
                match=models.MatchAny(any=list(where.document_types)),
            )
        )
    if where.specialties:
        must.append(
            models.FieldCondition(
                key="specialty", match=models.MatchAny(any=list(where.specialties))
            )
        )
    if where.document_ids:
        must.append(
            models.FieldCondition(
                key="document_id", match=models.MatchAny(any=list(where.document_ids))
            )
        )
    if where.year_from is not None or where.year_to is not None:
        must.append(
            models.FieldCondition(
                key="publication_year",
                range=models.Range(gte=where.year_from, lte=where.year_to),
            )
        )
    return models.Filter(must=must)
