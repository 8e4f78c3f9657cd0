"""Transcription of audio files (`voiceassist transcribe FILE`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from voiceassist_desktop.voice.audio import load_audio, to_mono
from voiceassist_desktop.voice.errors import VoiceUnavailable
from voiceassist_desktop.voice.stt import SpeechToText, Transcript

logger = logging.getLogger(__name__)


def _read(path: str | Path):
    import soundfile as sf

    try:
        return load_audio(path)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise VoiceUnavailable(
            f"{Path(path).name} could not be read as audio: {exc}",
            "Use a WAV, FLAC or OGG file.",
        ) from exc


def transcribe_file(
    path: str | Path,
    engine: SpeechToText,
    vocabulary_terms: Sequence[str] = (),
    *,
    channel: int | None = None,
) -> Transcript:
    """Transcribe any file soundfile can read, resampled to 16 kHz.

    Args:
        path: The audio file.
        engine: The recogniser.
        vocabulary_terms: Terms likely to be spoken (e.g. from the library).
        channel: Transcribe only this channel (0 is left); None downmixes all
            channels to mono.

    Returns:
        The transcript.

    Raises:
        VoiceUnavailable: The file cannot be read as audio.
        ValueError: The file has no such channel.
    """
    audio = _read(path)
    if channel is None:
        samples = to_mono(audio)
    elif 0 <= channel < audio.shape[1]:
        samples = audio[:, channel]
    else:
        raise ValueError(f"{Path(path).name} has {audio.shape[1]} channel(s)")
    logger.info("Transcribing %s", Path(path).name)
    return engine.transcribe(samples, vocabulary_terms)


def transcribe_channels(
    path: str | Path,
    engine: SpeechToText,
    vocabulary_terms: Sequence[str] = (),
) -> list[Transcript]:
    """Transcribe each channel of a file on its own (one speaker per channel).

    Returns:
        One transcript per channel, left first.
    """
    audio = _read(path)
    return [
        engine.transcribe(audio[:, index], vocabulary_terms)
        for index in range(audio.shape[1])
    ]
