"""The contract every vector index must keep; each engine runs the same suite.

Only Qdrant's local mode can run here. Its server mode shares the client code,
so these tests stand for it too; another engine joins by adding a fixture param.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from voiceassist_desktop.core.errors import AlreadyRunning
from voiceassist_desktop.index.vector import (
    QdrantVectorIndex,
    VectorFilter,
    VectorPoint,
)

DIM = 8


def _unit(values) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture(params=["qdrant-local"])
def index(request, tmp_path):
    engine = QdrantVectorIndex(tmp_path / "vectors")
    yield engine
    engine.close()


@pytest.fixture
def filled(index):
    rng = np.random.default_rng(7)
    points = []
    for number in range(20):
        points.append(
            VectorPoint(
                str(uuid.uuid4()),
                _unit(rng.normal(size=DIM)),
                {
                    "document_id": f"doc-{number % 4}",
                    "document_type": "guideline" if number % 2 else "journal",
                    "specialty": "cardiology" if number < 10 else "nephrology",
                    "publication_year": 2000 + number,
                },
            )
        )
    index.ensure_collection("c", DIM)
    index.upsert("c", points)
    return index, points


def test_ensure_collection_is_idempotent(index):
    index.ensure_collection("c", DIM)
    index.ensure_collection("c", DIM)
    assert index.has_collection("c")
    assert index.count("c") == 0


def test_nearest_point_comes_first_with_cosine_score(filled):
    index, points = filled
    target = points[5]
    hits = index.search("c", target.vector, 3)
    assert hits[0].id == target.id
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].payload["publication_year"] == 2005


def test_filters_restrict_every_hit(filled):
    index, points = filled
    where = VectorFilter(
        document_types=["guideline"], specialties=["nephrology"], year_from=2012
    )
    hits = index.search("c", points[0].vector, 20, where)
    assert hits
    for hit in hits:
        assert hit.payload["document_type"] == "guideline"
        assert hit.payload["specialty"] == "nephrology"
        assert hit.payload["publication_year"] >= 2012
    only = index.search("c", points[0].vector, 20, VectorFilter(document_ids=["doc-1"]))
    assert {h.payload["document_id"] for h in only} == {"doc-1"}


def test_ids_count_and_delete(filled):
    index, points = filled
    assert sorted(index.ids("c")) == sorted(p.id for p in points)
    index.delete("c", [points[0].id, points[1].id])
    assert index.count("c") == 18
    assert points[0].id not in set(index.ids("c"))
    assert all(h.id != points[0].id for h in index.search("c", points[0].vector, 20))


def test_upsert_replaces_a_point(filled):
    index, points = filled
    moved = VectorPoint(points[3].id, points[9].vector, {"document_id": "moved"})
    index.upsert("c", [moved])
    assert index.count("c") == 20
    hits = index.search("c", points[9].vector, 2)
    assert {h.id for h in hits} == {points[3].id, points[9].id}


def test_collections_never_mix(filled):
    index, points = filled
    index.ensure_collection("other", DIM)
    assert index.search("other", points[0].vector, 5) == []
    assert index.search("missing", points[0].vector, 5) == []
    index.drop_collection("other")
    assert not index.has_collection("other")


def test_a_second_client_on_the_same_folder_is_refused(index, tmp_path):
    with pytest.raises(AlreadyRunning):
        QdrantVectorIndex(tmp_path / "vectors")
