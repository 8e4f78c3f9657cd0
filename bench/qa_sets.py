"""Loaders of the question sets used to measure retrieval.

Each loader reads one set from the shared corpus (``corpus/qa/``) and returns a
:class:`QASet`: a pool of passages to search and the questions asked of it, each
with the ids of the passages that count as a hit. The constructions below are
the ones the retrieval figures in ``bench/fusion_study.py`` were measured on;
change them and the figures are no longer comparable.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

DEFAULT_QA_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "qa"

MEDQUAD_FOLDERS = ("1_CancerGov_QA", "5_NIDDK_QA", "8_NHLBI_QA_XML", "9_CDC_QA")

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Passage:
    """One searchable passage.

    Attributes:
        id: Unique within its set.
        text: The passage body, whitespace collapsed.
        title: The heading the passage sits under, as a document chunk has
            one (MedQuAD's question focus), or empty where the set has none.
            Not part of ``text``; the study decides whether to index it.
    """

    id: str
    text: str
    title: str


@dataclass(frozen=True)
class Query:
    """One question and the passages that answer it."""

    id: str
    text: str
    gold: frozenset[str]


@dataclass(frozen=True)
class QASet:
    """A passage pool and the questions asked of it."""

    name: str
    passages: list[Passage]
    queries: list[Query]


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def load_pubmedqa(qa_dir: Path = DEFAULT_QA_DIR) -> QASet:
    """PubMedQA expert-labelled set (``pubmedqa/ori_pqal.json``).

    Construction: each of the 1,000 abstracts contributes one passage per entry
    of its ``CONTEXTS`` list, as given (no further chunking), with id
    ``<pmid>:<i>`` and an empty title (the section labels are generic). All
    passages of all abstracts form one pool (3,358). Each ``QUESTION`` is a
    query whose gold is every passage of its own abstract, so a hit is any
    passage of the right abstract. ``LONG_ANSWER`` (the conclusion) is not
    indexed: it would give the answer away.

    Args:
        qa_dir: The ``corpus/qa`` folder.

    Returns:
        The set, 1,000 queries.
    """
    data = json.loads((qa_dir / "pubmedqa" / "ori_pqal.json").read_text("utf-8"))
    passages: list[Passage] = []
    queries: list[Query] = []
    for pmid, item in data.items():
        ids = []
        for i, context in enumerate(item["CONTEXTS"]):
            pid = f"{pmid}:{i}"
            ids.append(pid)
            passages.append(Passage(pid, _clean(context), ""))
        queries.append(Query(pmid, _clean(item["QUESTION"]), frozenset(ids)))
    return QASet("pubmedqa", passages, queries)


def load_bioasq(qa_dir: Path = DEFAULT_QA_DIR) -> QASet:
    """BioASQ Task 11b gold sets (``bioasq/11B{1..4}_golden.json``).

    Construction: the snippets of all 327 questions of the four batches are
    pooled. Snippets with identical text (after collapsing whitespace) become
    one passage, whose id is ``s<n>`` in order of first appearance, with an
    empty title (a snippet has no heading). Each question ``body`` is
    a query whose gold is the set of passages made from its own snippets.

    Args:
        qa_dir: The ``corpus/qa`` folder.

    Returns:
        The set, 327 queries over 3,256 distinct snippets.
    """
    by_text: dict[str, str] = {}
    passages: list[Passage] = []
    queries: list[Query] = []
    for batch in range(1, 5):
        path = qa_dir / "bioasq" / f"11B{batch}_golden.json"
        for question in json.loads(path.read_text("utf-8"))["questions"]:
            gold = set()
            for snippet in question.get("snippets", []):
                text = _clean(snippet["text"])
                if not text:
                    continue
                pid = by_text.get(text)
                if pid is None:
                    pid = f"s{len(passages)}"
                    by_text[text] = pid
                    passages.append(Passage(pid, text, ""))
                gold.add(pid)
            if gold:
                queries.append(
                    Query(question["id"], _clean(question["body"]), frozenset(gold))
                )
    return QASet("bioasq", passages, queries)


def load_medquad(
    qa_dir: Path = DEFAULT_QA_DIR, folders: tuple[str, ...] = MEDQUAD_FOLDERS
) -> QASet:
    """MedQuAD question-answer pairs from four NIH/CDC folders.

    Construction: every ``QAPair`` of every XML file of the folders
    ``1_CancerGov_QA``, ``5_NIDDK_QA``, ``8_NHLBI_QA_XML`` and ``9_CDC_QA``
    with a non-empty answer. Answers with identical text (after collapsing
    whitespace) become one passage, whose id is ``m<n>`` in order of first
    appearance and whose title is the document's ``Focus``. The passage text is
    the answer alone; the focus is kept in ``title``. Each question is a query
    whose gold is the passage of its own answer. Pairs with an empty question
    or answer are skipped.

    Args:
        qa_dir: The ``corpus/qa`` folder.
        folders: Which MedQuAD folders to read.

    Returns:
        The set (2,750 questions over 2,656 distinct answers for the default
        folders).
    """
    by_text: dict[str, str] = {}
    passages: list[Passage] = []
    queries: list[Query] = []
    for folder in folders:
        for path in sorted((qa_dir / "medquad" / folder).glob("*.xml")):
            root = ET.parse(path).getroot()
            focus = _clean(root.findtext("Focus") or "")
            for pair in root.iter("QAPair"):
                question_el = pair.find("Question")
                if question_el is None:
                    continue
                question = _clean(question_el.text or "")
                answer = _clean(pair.findtext("Answer") or "")
                if not question or not answer:
                    continue
                # qids repeat across folders and even within one, so the
                # query id carries the folder number and its position.
                qid = f"{folder.split('_')[0]}/{question_el.get('qid')}#{len(queries)}"
                pid = by_text.get(answer)
                if pid is None:
                    pid = f"m{len(passages)}"
                    by_text[answer] = pid
                    passages.append(Passage(pid, answer, focus))
                queries.append(Query(qid, question, frozenset({pid})))
    return QASet("medquad", passages, queries)


LOADERS = {
    "pubmedqa": load_pubmedqa,
    "bioasq": load_bioasq,
    "medquad": load_medquad,
}


def load(name: str, qa_dir: Path = DEFAULT_QA_DIR) -> QASet:
    """Load a set by name: ``pubmedqa``, ``bioasq`` or ``medquad``."""
    return LOADERS[name](qa_dir)
