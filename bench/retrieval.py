"""Retrieval quality through the real stack: lexical, dense and fused.

For each question set (``bench/qa_sets.py``: PubMedQA, BioASQ 11b, MedQuAD
from four folders) a fresh library is built in a temporary folder through the
app's own index layer: document and chunk rows in a migrated SQLite database
(whose triggers fill the FTS5 index), vectors in Qdrant local mode, one
passage per chunk, the passage's heading (MedQuAD's focus) as the chunk
heading. Every question is then asked of the searcher's two legs
(`HybridSearcher.legs`), and three rankings are scored side by side: the
lexical leg alone, the dense leg alone and the shipped fusion
(`retrieval.fusion.fuse`). It prints R@1, R@5, R@10 and MRR@10 per set, then
the baselines from the plan for comparison.

Embeddings are cached by the SHA-256 of the text under
``~/.cache/voiceassist-bench`` (``VOICEASSIST_BENCH_CACHE`` moves it), so only
the first run pays for them.

Usage, from the repository root::

    python -m bench.retrieval [--sets pubmedqa bioasq medquad] [--limit N] [--text-only]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.qa_sets import LOADERS, QASet  # noqa: E402
from voiceassist_desktop.core.ids import new_id  # noqa: E402
from voiceassist_desktop.core.settings import SystemSettingsModel  # noqa: E402
from voiceassist_desktop.index.embedder import (  # noqa: E402
    DEFAULT_MODEL,
    Embedder,
    passage_text,
)
from voiceassist_desktop.index.lexical import LexicalIndex  # noqa: E402
from voiceassist_desktop.index.vector import (  # noqa: E402
    QdrantVectorIndex,
    VectorPoint,
)
from voiceassist_desktop.retrieval.fusion import fuse  # noqa: E402
from voiceassist_desktop.retrieval.search import HybridSearcher  # noqa: E402
from voiceassist_desktop.storage.database import Database  # noqa: E402
from voiceassist_desktop.storage.models import (  # noqa: E402
    DocumentType,
    FileFormat,
    IndexingStatus,
    KBChunk,
    KnowledgeDocument,
)
from voiceassist_desktop.storage.users import ensure_local_user  # noqa: E402

CACHE_DIR = Path(
    os.environ.get(
        "VOICEASSIST_BENCH_CACHE", Path.home() / ".cache" / "voiceassist-bench"
    )
)
# Vectors of the same texts, same model, computed by bench/fusion_study.py.
STUDY_CACHE = Path("/tmp/fusion_cache")
CANDIDATES = 50  # asked of each leg, as the searcher asks for k = 8
PASSAGES_PER_DOCUMENT = 100  # pooled snippets are grouped into documents

BASELINES = """\
| set | BM25 R@5 | dense R@5 | RRF R@5 |
|---|---|---|---|
| PubMedQA (R@1 in brackets) | 0.979 (0.941) | 0.991 (0.971) | 0.989 (0.968) |
| BioASQ 11b | 0.890 | 0.927 | 0.927 |
| MedQuAD (4 folders) | 0.572 | 0.725 | 0.705 |"""


class EmbeddingCache:
    """Vectors by the SHA-256 of their text, in one SQLite file per model."""

    def __init__(self, model: str) -> None:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        self.path = CACHE_DIR / f"embeddings-{model}.sqlite3"
        self._db = sqlite3.connect(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, v BLOB)"
        )
        self._embedder = Embedder(model, batch_size=32)

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def embed(
        self, texts: Sequence[str], label: str, study_tag: str | None = None
    ) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        if study_tag:
            self._seed_from_study(texts, keys, study_tag)
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            for key, blob in self._db.execute(
                f"SELECT key, v FROM vectors WHERE key IN ({marks})", part
            ):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            started = time.perf_counter()
            print(f"  embedding {len(missing)} {label} texts...", file=sys.stderr)
            vectors = self._embedder.embed([texts[i] for i in missing])
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [
                        (keys[i], vectors[n].astype(np.float32).tobytes())
                        for n, i in enumerate(missing)
                    ],
                )
            for n, i in enumerate(missing):
                found[keys[i]] = vectors[n]
            print(
                f"  embedded in {time.perf_counter() - started:.0f} s", file=sys.stderr
            )
        return np.stack([found[key] for key in keys])

    def _seed_from_study(self, texts, keys, tag: str) -> None:
        """Take vectors the fusion study already computed for the same texts."""
        digest = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:12]
        path = STUDY_CACHE / f"{tag}_{digest}.npy"
        if not path.exists():
            return
        (have,) = self._db.execute(
            "SELECT count(*) FROM vectors WHERE key IN (?, ?)", (keys[0], keys[-1])
        ).fetchone()
        if have == 2:
            return
        matrix = np.load(path).astype(np.float32)
        if matrix.shape[0] != len(keys):
            return
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                [(key, row.tobytes()) for key, row in zip(keys, matrix, strict=True)],
            )


class _Embedder:
    """The searcher's embedder, answering from precomputed query vectors."""

    def __init__(self, model: str) -> None:
        self.name = model
        self.collection = Embedder(model).collection
        self.dimension = Embedder(model).dimension

    def embed(self, texts):  # pragma: no cover - queries come with vectors
        raise RuntimeError("query vectors are precomputed")


def build_library(
    qa: QASet,
    folder: Path,
    cache: EmbeddingCache,
    model: str,
    embed_heading: bool = True,
) -> HybridSearcher:
    """A fresh library of the set's passages through the app's index layer."""
    db = Database(f"sqlite:///{folder / 'bench.sqlite3'}")
    db.migrate(None)
    vectors = QdrantVectorIndex(folder / "vectors")
    embedder = _Embedder(model)
    vectors.ensure_collection(embedder.collection, embedder.dimension)

    if embed_heading and any(p.title for p in qa.passages):
        texts = [passage_text(p.title, p.text) for p in qa.passages]
        tag = f"{qa.name}_pt"
    else:
        texts = [p.text for p in qa.passages]
        tag = f"{qa.name}_p"
    passage_vectors = cache.embed(texts, f"{qa.name} passage", tag)
    with db.session() as session:
        user, _ = ensure_local_user(session)
        user_id = user.id

    started = time.perf_counter()
    groups = _documents(qa)
    position = {p.id: i for i, p in enumerate(qa.passages)}
    for title, passages in groups:
        document_id = new_id()
        rows = []
        with db.session() as session:
            session.add(
                KnowledgeDocument(
                    id=document_id,
                    user_id=user_id,
                    doc_key=f"bench/{qa.name}/{document_id}",
                    content_hash=document_id.replace("-", ""),
                    version=1,
                    title=title[:1000],
                    document_type=DocumentType.JOURNAL,
                    file_path=f"bench/{qa.name}",
                    file_name=f"{qa.name}.txt",
                    file_size=sum(len(p.text) for p in passages),
                    file_format=FileFormat.TXT,
                    is_indexed=True,
                    indexing_status=IndexingStatus.COMPLETED,
                    chunk_count=len(passages),
                )
            )
            session.flush()
            for index, passage in enumerate(passages):
                chunk_id = new_id()
                _PASSAGE_OF[chunk_id] = passage.id
                rows.append(
                    KBChunk(
                        id=chunk_id,
                        document_id=document_id,
                        chunk_index=index,
                        content=passage.text,
                        heading=passage.title or None,
                        token_count=len(passage.text.split()),
                        qdrant_id=chunk_id,
                        embedding_model=model,
                        superseded=False,
                    )
                )
            session.add_all(rows)
        vectors.upsert(
            embedder.collection,
            [
                VectorPoint(
                    row.id,
                    passage_vectors[position[passage.id]],
                    {
                        "document_id": document_id,
                        "chunk_id": row.id,
                        "content": passage.text,
                        "document_title": title[:1000],
                        "document_type": "journal",
                    },
                )
                for row, passage in zip(rows, passages, strict=True)
            ],
        )
    print(
        f"  library: {len(groups)} documents, {len(qa.passages)} chunks "
        f"written in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return HybridSearcher(
        db,
        lambda _name=None: embedder,
        vectors,
        LexicalIndex(),
        SystemSettingsModel,
    )


# chunk id -> the set's passage id, filled while the library is written.
_PASSAGE_OF: dict[str, str] = {}


def _documents(qa: QASet) -> list[tuple[str, list]]:
    """Passages grouped into documents: an abstract, or a run of snippets."""
    if qa.name == "pubmedqa":
        by_pmid: dict[str, list] = {}
        for passage in qa.passages:
            by_pmid.setdefault(passage.id.split(":")[0], []).append(passage)
        return [(f"PubMed {pmid}", ps) for pmid, ps in by_pmid.items()]
    if qa.name == "medquad":
        return [(p.title or p.id, [p]) for p in qa.passages]
    return [
        (f"{qa.name} snippets {start + 1}-{start + PASSAGES_PER_DOCUMENT}", chunk)
        for start in range(0, len(qa.passages), PASSAGES_PER_DOCUMENT)
        for chunk in [qa.passages[start : start + PASSAGES_PER_DOCUMENT]]
    ]


def metrics(rankings: list[list[str]], golds: list[frozenset[str]]) -> dict:
    """Hit rates R@1/5/10 (any gold passage in the top k) and MRR@10."""
    out = {"R@1": 0.0, "R@5": 0.0, "R@10": 0.0, "MRR@10": 0.0}
    for ranking, gold in zip(rankings, golds, strict=True):
        first = next((i for i, pid in enumerate(ranking[:10]) if pid in gold), None)
        if first is None:
            continue
        out["MRR@10"] += 1.0 / (first + 1)
        for k in (1, 5, 10):
            out[f"R@{k}"] += first < k
    return {name: value / len(golds) for name, value in out.items()}


def run_set(
    qa: QASet, cache: EmbeddingCache, model: str, embed_heading: bool = True
) -> dict[str, dict]:
    """Rank every question of the set with each leg and the fusion."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{qa.name}-") as tmp:
        searcher = build_library(qa, Path(tmp), cache, model, embed_heading)
        query_vectors = cache.embed(
            [q.text for q in qa.queries], f"{qa.name} query", f"{qa.name}_q"
        )
        rankings: dict[str, list[list[str]]] = {"lexical": [], "dense": [], "fused": []}
        started = time.perf_counter()
        for query, vector in zip(qa.queries, query_vectors, strict=True):
            dense, lexical = searcher.legs(query.text, CANDIDATES, None, vector)
            fused = fuse(dense, lexical, limit=10)
            rankings["lexical"].append([_PASSAGE_OF[c] for c, _ in lexical[:10]])
            rankings["dense"].append([_PASSAGE_OF[c] for c, _ in dense[:10]])
            rankings["fused"].append([_PASSAGE_OF[h.id] for h in fused])
        elapsed = time.perf_counter() - started
        print(
            f"  {len(qa.queries)} questions in {elapsed:.0f} s "
            f"({1000 * elapsed / max(1, len(qa.queries)):.0f} ms each, both legs)",
            file=sys.stderr,
        )
        searcher.vectors.close()
        searcher.db.close()
    golds = [q.gold for q in qa.queries]
    return {name: metrics(r, golds) for name, r in rankings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(LOADERS), choices=LOADERS)
    parser.add_argument(
        "--limit", type=int, default=0, help="only the first N questions of a set"
    )
    parser.add_argument(
        "--text-only",
        action="store_true",
        help="embed the text without its heading (the import embeds both)",
    )
    args = parser.parse_args()

    command = "python -m bench.retrieval " + " ".join(sys.argv[1:])
    cache = EmbeddingCache(DEFAULT_MODEL)
    results = {}
    for name in args.sets:
        qa = LOADERS[name]()
        if args.limit:
            qa = QASet(qa.name, qa.passages, qa.queries[: args.limit])
        print(
            f"{name}: {len(qa.passages)} passages, {len(qa.queries)} questions",
            file=sys.stderr,
        )
        results[name] = run_set(qa, cache, DEFAULT_MODEL, not args.text_only)

    print(f"# Retrieval, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# command: {command.strip()}")
    embedded = "text" if args.text_only else "heading. text, as the import does"
    print(f"# model: {DEFAULT_MODEL}; {CANDIDATES} candidates per leg")
    print(f"# chunks embedded as: {embedded}")
    print()
    print("| set | method | R@1 | R@5 | R@10 | MRR@10 |")
    print("|---|---|---|---|---|---|")
    for set_name, by_method in results.items():
        for method, m in by_method.items():
            print(
                f"| {set_name} | {method} | {m['R@1']:.3f} | {m['R@5']:.3f} | "
                f"{m['R@10']:.3f} | {m['MRR@10']:.3f} |"
            )
    print()
    verdicts = []
    for set_name, by_method in results.items():
        fused = by_method["fused"]
        for leg in ("lexical", "dense"):
            for metric in ("R@5", "MRR@10"):
                if fused[metric] + 1e-9 < by_method[leg][metric]:
                    verdicts.append(
                        f"{set_name}: fused {metric} {fused[metric]:.3f} is below "
                        f"{leg} {by_method[leg][metric]:.3f}"
                    )
    print(
        "fused matches or beats each leg on R@5 and MRR@10 on every set"
        if not verdicts
        else "fused falls short: " + "; ".join(verdicts)
    )
    print()
    print("Baselines (plain BM25, plain all-MiniLM-L6-v2, RRF k=60):")
    print(BASELINES)


if __name__ == "__main__":
    main()
