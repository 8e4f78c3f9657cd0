"""A spoken question: the recording kept in the data folder, then transcribed.

The window calls this once the push-to-talk key is released; it needs no Qt,
so the same steps run wherever a recording comes from.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from voiceassist_desktop.core.ids import new_id
from voiceassist_desktop.voice.recorder import Recording
from voiceassist_desktop.voice.stt import SpeechToText, Transcript

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpokenQuestion:
    """A transcribed question and where its recording was kept.

    Attributes:
        transcript: What the recogniser heard.
        audio_url: File URI of the kept recording; None when not kept.
    """

    transcript: Transcript
    audio_url: str | None

    @property
    def text(self) -> str:
        return self.transcript.text


def transcribe_question(
    recording: Recording,
    engine: SpeechToText,
    vocabulary_terms: Sequence[str] = (),
    *,
    recordings_dir: str | Path,
    keep: bool = True,
) -> SpokenQuestion:
    """Keep a recording as a WAV file in `recordings_dir`, then transcribe it.

    Args:
        recording: The finished recording.
        engine: The recogniser.
        vocabulary_terms: Terms likely to be spoken (e.g. from the library).
        recordings_dir: The data folder's recordings folder.
        keep: False transcribes without writing the recording anywhere.

    Returns:
        The transcript and the file URI the message's `audio_url` takes.
    """
    audio_url = None
    if keep:
        # Written before transcribing, so a question whose transcription
        # fails is not lost; retention removes files left without a message.
        path = recording.save_wav(Path(recordings_dir) / f"{new_id()}.wav")
        audio_url = path.resolve().as_uri()
        logger.info("Kept the recording as %s", path.name)

    transcript = engine.transcribe(recording.samples, vocabulary_terms)
    return SpokenQuestion(transcript, audio_url)
