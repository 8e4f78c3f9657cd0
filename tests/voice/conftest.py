"""Fixtures for the voice tests: the speech model, the voice, a simulated mic.

The test machines have no sound card. The microphone is simulated through the
real PortAudio/ALSA path: a private `.asoundrc` makes ALSA's default device a
`file` plugin whose capture side reads a raw 16-bit 16 kHz mono file and whose
playback side writes to another file. PortAudio is re-initialised after HOME
points at that configuration, so the recorder sees it exactly as it would see
a microphone, and it hands the recording over bit for bit.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from voiceassist_desktop.voice.audio import SPEECH_RATE, resample

QUESTION = "What is the renal dose adjustment for apixaban?"

_ASOUNDRC = """\
pcm.simulated_mic {{
    type file
    slave.pcm "null"
    file "{playback}"
    infile "{capture}"
    format "raw"
}}
pcm.!default {{
    type plug
    slave {{
        pcm "simulated_mic"
        format S16_LE
        rate {rate}
        channels 1
    }}
}}
"""


def _reinitialise_portaudio() -> None:
    import sounddevice as sd

    # PortAudio reads the ALSA configuration when it starts, so restart it.
    sd._terminate()
    sd._initialize()


@contextlib.contextmanager
def _simulated_audio(home: Path, capture: np.ndarray | None) -> Iterator[Path]:
    """Make ALSA's default device play `capture` as a microphone.

    Args:
        home: An empty folder to use as HOME.
        capture: int16 mono samples at 16 kHz; None leaves the machine with
            no audio device at all.

    Yields:
        The raw file that playback is written to.
    """
    home.mkdir(parents=True, exist_ok=True)
    playback = home / "playback.raw"
    if capture is not None:
        source = home / "capture.raw"
        source.write_bytes(np.asarray(capture, dtype="<i2").tobytes())
        (home / ".asoundrc").write_text(
            _ASOUNDRC.format(playback=playback, capture=source, rate=SPEECH_RATE)
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        _reinitialise_portaudio()
        try:
            yield playback
        finally:
            patch.undo()
            _reinitialise_portaudio()


@contextlib.contextmanager
def _network_blocked() -> Iterator[None]:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield


@pytest.fixture(scope="session")
def simulated_audio():
    """`simulated_audio(home, capture)`: a context with a simulated sound card."""
    return _simulated_audio


@pytest.fixture(scope="session")
def network_blocked():
    """`network_blocked()`: a context in which any connection attempt fails."""
    return _network_blocked


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """A cache folder of the app's kind, shared by the session."""
    return tmp_path_factory.mktemp("voice-cache")


@pytest.fixture(scope="session")
def whisper(model_cache):
    """Whisper base, assembled and loaded once, with the network blocked."""
    from voiceassist_desktop.voice.stt import WhisperSpeechToText

    engine = WhisperSpeechToText(model_cache)
    with _network_blocked():
        engine.load()
    return engine


@pytest.fixture(scope="session")
def speaker():
    """The shipped Piper voice, without random variation so runs repeat."""
    from voiceassist_desktop.voice.tts import Speaker

    return Speaker(noise_scale=0.0, noise_w_scale=0.0)


@pytest.fixture(scope="session")
def spoken_question(speaker) -> np.ndarray:
    """The clinical question spoken by Piper: int16 mono at 16 kHz."""
    samples, rate = speaker.synthesize(QUESTION)
    at_16k = resample(samples, rate, SPEECH_RATE)
    return np.round(np.clip(at_16k, -1, 1) * 32767).astype(np.int16)
