"""Push-to-talk recording from the microphone, delivered as 16 kHz mono.

`Recorder.start()` opens the input stream on key press and `Recorder.stop()`
closes it on release and returns the audio; a toggle button is the same calls
made on two clicks. The PortAudio callback only copies blocks into a queue: a
worker thread gathers them, computes the level for the meter and enforces the
maximum length, so nothing slow ever runs on the audio thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceassist_desktop.voice.audio import SPEECH_RATE, resample, save_wav, to_mono
from voiceassist_desktop.voice.errors import RecordingError, VoiceUnavailable

logger = logging.getLogger(__name__)

#: Called with (rms, peak), both 0..1, from the recorder's worker thread.
LevelCallback = Callable[[float, float], None]

# Microphones deliver 16-bit samples; taking them as they come keeps the audio
# thread to a copy (conversion to float happens on the worker).
_SAMPLE_FORMAT = "int16"

#: Without a block for this long, the input device is taken as gone.
_STALL_SECONDS = 3.0

_NO_MIC_REMEDY = "Plug in a microphone, or check the input device in Settings."


@dataclass(frozen=True)
class Recording:
    """A finished recording.

    Attributes:
        samples: Float32 mono audio at `sample_rate`, in [-1, 1].
        sample_rate: Always 16 kHz.
        device_name: The input device that captured it.
        device_rate: The rate the device was opened at (resampled from it).
        reached_limit: True when the maximum length stopped it.
    """

    samples: np.ndarray
    sample_rate: int
    device_name: str
    device_rate: int
    reached_limit: bool = False

    @property
    def duration_s(self) -> float:
        """Length of the recording in seconds."""
        return len(self.samples) / self.sample_rate

    def save_wav(self, path: str | Path) -> Path:
        """Save as a 16-bit PCM WAV file at 16 kHz and return its path."""
        return save_wav(path, self.samples, self.sample_rate)


def _sounddevice():
    """Import sounddevice, turning a missing PortAudio into `VoiceUnavailable`."""
    try:
        import sounddevice
    except OSError as exc:
        raise VoiceUnavailable(
            "The audio system (PortAudio) is not installed.",
            "Install the libportaudio2 package.",
        ) from exc
    return sounddevice


def resolve_input_device(device: int | str | None) -> dict:
    """Find the input device to record from.

    Args:
        device: Index or (part of the) name of a device; None for the default.

    Returns:
        The device's description from PortAudio.

    Raises:
        VoiceUnavailable: No such input device, or none at all.
    """
    sd = _sounddevice()
    try:
        info = sd.query_devices(device, kind="input")
    except (sd.PortAudioError, ValueError) as exc:
        if device is None:
            raise VoiceUnavailable("No microphone was found.", _NO_MIC_REMEDY) from exc
        raise VoiceUnavailable(
            f"The microphone '{device}' was not found.", _NO_MIC_REMEDY
        ) from exc
    if info["max_input_channels"] < 1:
        raise VoiceUnavailable(f"'{info['name']}' cannot record.", _NO_MIC_REMEDY)
    return info


def _open_settings(sd, info: dict) -> tuple[int, int]:
    """Pick a rate and channel count the device accepts, 16 kHz mono first."""
    native_rate = int(info["default_samplerate"])
    channels_to_try = [1] + ([2] if info["max_input_channels"] >= 2 else [])
    for rate in (SPEECH_RATE, native_rate):
        for channels in channels_to_try:
            try:
                sd.check_input_settings(
                    device=info["index"],
                    samplerate=rate,
                    channels=channels,
                    dtype=_SAMPLE_FORMAT,
                )
            except (sd.PortAudioError, ValueError):
                continue
            return rate, channels
    raise VoiceUnavailable(
        f"'{info['name']}' accepts none of the usual recording formats.",
        _NO_MIC_REMEDY,
    )


class Recorder:
    """Records one utterance at a time from an input device.

    Args:
        device: Index or name of the input device; None for the system default.
        max_seconds: Recording stops by itself after this long.
        on_level: Called with (rms, peak) in 0..1 for each block, on a worker
            thread (a GUI should forward it through a signal).
        on_limit: Called once, on a worker thread, when `max_seconds` is reached.
        block_seconds: Length of the blocks PortAudio hands over.
    """

    def __init__(
        self,
        device: int | str | None = None,
        *,
        max_seconds: float = 60.0,
        on_level: LevelCallback | None = None,
        on_limit: Callable[[], None] | None = None,
        block_seconds: float = 0.05,
    ) -> None:
        self.device = device
        self.max_seconds = max_seconds
        self.on_level = on_level
        self.on_limit = on_limit
        self.block_seconds = block_seconds
        self._stream = None
        self._worker: threading.Thread | None = None
        self._blocks: queue.Queue[np.ndarray | None] = queue.Queue()
        self._chunks: list[np.ndarray] = []
        self._frames = 0
        self._limit_frames = 0
        self._reached_limit = threading.Event()
        self._stopping = threading.Event()
        self._failure: str | None = None
        self._info: dict = {}
        self._rate = SPEECH_RATE
        self._lock = threading.Lock()

    @property
    def is_recording(self) -> bool:
        """True between `start()` and `stop()` or `cancel()`."""
        return self._stream is not None

    @property
    def elapsed_s(self) -> float:
        """Seconds of audio captured so far."""
        return self._frames / self._rate if self._rate else 0.0

    def start(self) -> None:
        """Open the input device and start capturing.

        Raises:
            VoiceUnavailable: No usable input device.
            RecordingError: The device refused to start.
        """
        with self._lock:
            if self._stream is not None:
                raise RuntimeError("The recorder is already recording")
            sd = _sounddevice()
            info = resolve_input_device(self.device)
            rate, channels = _open_settings(sd, info)

            self._reset(info, rate)
            try:
                stream = sd.InputStream(
                    device=info["index"],
                    samplerate=rate,
                    channels=channels,
                    dtype=_SAMPLE_FORMAT,
                    blocksize=max(1, int(rate * self.block_seconds)),
                    callback=self._on_audio,
                    finished_callback=self._on_finished,
                )
                stream.start()
            except sd.PortAudioError as exc:
                raise RecordingError(
                    f"The microphone '{info['name']}' could not start: {exc}",
                    _NO_MIC_REMEDY,
                ) from exc
            self._stream = stream

            self._worker = threading.Thread(
                target=self._gather, name="voice-recorder", daemon=True
            )
            self._worker.start()
            logger.info(
                "Recording from %s at %d Hz, %d channel(s)",
                info["name"],
                rate,
                channels,
            )

    def wait_for_limit(self, timeout: float | None = None) -> bool:
        """Block until the maximum length is reached; True if it was."""
        return self._reached_limit.wait(timeout)

    def stop(self) -> Recording:
        """Stop capturing and return what was recorded, at 16 kHz mono.

        Raises:
            RecordingError: The device failed during the recording.
        """
        with self._lock:
            if self._stream is None:
                raise RuntimeError("The recorder is not recording")
            self._close()
            if self._failure is not None:
                raise RecordingError(self._failure, _NO_MIC_REMEDY)

            captured = (
                np.concatenate(self._chunks)
                if self._chunks
                else np.zeros((0, 1), dtype=np.int16)
            )
            captured = captured[: self._limit_frames].astype(np.float32) / 32768.0
            samples = resample(to_mono(captured), self._rate, SPEECH_RATE)
            self._chunks = []
            recording = Recording(
                samples=samples,
                sample_rate=SPEECH_RATE,
                device_name=self._info.get("name", ""),
                device_rate=self._rate,
                reached_limit=self._reached_limit.is_set(),
            )
            logger.info("Recorded %.1f s", recording.duration_s)
            return recording

    def cancel(self) -> None:
        """Stop capturing and throw the audio away. Safe to call at any time."""
        with self._lock:
            if self._stream is not None:
                self._close()
            self._chunks = []
            logger.info("Recording cancelled")

    # The audio thread: copy and hand over, nothing else.
    def _on_audio(self, indata, frames, time, status) -> None:  # noqa: ARG002
        if status.input_overflow:
            logger.debug("Input overflow: a block was lost")
        self._blocks.put(indata.copy())

    def _on_finished(self) -> None:
        # PortAudio ends the stream by itself when the device goes away.
        if not self._stopping.is_set():
            self._failure = (
                f"The microphone '{self._info.get('name', '')}' stopped during the "
                "recording (was it unplugged?)."
            )
        self._blocks.put(None)

    def _gather(self) -> None:
        """Worker: collect blocks, report the level, enforce the maximum length."""
        while True:
            try:
                block = self._blocks.get(timeout=_STALL_SECONDS)
            except queue.Empty:
                # A device that vanished may neither call back nor finish.
                if not self._stopping.is_set() and self._failure is None:
                    self._failure = (
                        f"The microphone '{self._info.get('name', '')}' stopped "
                        "sending sound (was it unplugged?)."
                    )
                    logger.warning("No audio for %.0f s: input stalled", _STALL_SECONDS)
                continue
            if block is None:
                return
            if self._frames >= self._limit_frames:
                continue
            self._chunks.append(block)
            self._frames += len(block)

            if self.on_level is not None and len(block):
                mono = block.mean(axis=1) / 32768.0
                rms = float(np.sqrt(np.mean(np.square(mono))))
                peak = float(np.max(np.abs(mono)))
                self._call(self.on_level, min(rms, 1.0), min(peak, 1.0))

            if self._frames >= self._limit_frames and not self._reached_limit.is_set():
                logger.info("Recording reached its limit of %.0f s", self.max_seconds)
                self._reached_limit.set()
                if self.on_limit is not None:
                    self._call(self.on_limit)

    @staticmethod
    def _call(callback: Callable, *args) -> None:
        # A faulty listener must not end the recording.
        try:
            callback(*args)
        except Exception:
            logger.exception("A recorder callback failed")

    def _reset(self, info: dict, rate: int) -> None:
        self._info = info
        self._rate = rate
        self._chunks = []
        self._frames = 0
        self._limit_frames = max(1, int(self.max_seconds * rate))
        self._blocks = queue.Queue()
        self._reached_limit.clear()
        self._stopping.clear()
        self._failure = None

    def _close(self) -> None:
        sd = _sounddevice()
        stream, self._stream = self._stream, None
        self._stopping.set()
        try:
            stream.abort() if self._failure else stream.stop()
            stream.close()
        except sd.PortAudioError as exc:
            logger.warning("Closing the input stream failed: %s", exc)
            self._failure = self._failure or (
                f"The microphone '{self._info.get('name', '')}' failed: {exc}"
            )
        self._blocks.put(None)
        if self._worker is not None:
            self._worker.join(timeout=5)
            self._worker = None
