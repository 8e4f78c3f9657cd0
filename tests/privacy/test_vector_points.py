"""The vector index's export and import, which backups rely on."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from voiceassist_desktop.index.vector import QdrantVectorIndex, VectorPoint


@pytest.fixture
def index(tmp_path):
    engine = QdrantVectorIndex(tmp_path / "vectors")
    yield engine
    engine.close()


def test_points_round_trip_through_export_and_import(index, tmp_path):
    rng = np.random.default_rng(3)
    # Unit vectors, as the embedder gives (cosine collections store them so).
    vectors = rng.random((1203, 6), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    points = [
        VectorPoint(str(uuid.uuid4()), vector, {"n": n})
        for n, vector in enumerate(vectors)
    ]
    assert index.import_points("a", 6, points) == 1203
    index.import_points("b", 6, points[:2])

    assert index.collections() == ["a", "b"]
    assert index.dimension("a") == 6
    exported = {p.id: p for p in index.export_points("a")}
    assert len(exported) == 1203
    for point in points[:50]:
        assert exported[point.id].payload == point.payload
        np.testing.assert_allclose(exported[point.id].vector, point.vector, rtol=1e-6)

    other = QdrantVectorIndex(tmp_path / "other")
    try:
        assert other.import_points("a", 6, exported.values()) == 1203
        hit = other.search("a", points[7].vector, 1)[0]
        assert hit.id == points[7].id
    finally:
        other.close()
    assert list(index.export_points("missing")) == []
