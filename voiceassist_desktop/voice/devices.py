"""Audio devices, and the voice checks run by `voiceassist doctor`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

logger = logging.getLogger(__name__)

Severity = Literal["ok", "warning", "error"]


@dataclass(frozen=True)
class AudioDevice:
    """An audio device as PortAudio sees it."""

    index: int
    name: str
    host_api: str
    input_channels: int
    output_channels: int
    default_samplerate: float
    is_default_input: bool = False
    is_default_output: bool = False


@dataclass(frozen=True)
class HealthItem:
    """One line of `voiceassist doctor`.

    Attributes:
        name: What was checked.
        ok: True when it works.
        severity: "ok", or "warning" for what voice can do without; voice
            checks are never "error", since the app works without voice.
        message: The finding, in plain words, with the remedy if any.
    """

    name: str
    ok: bool
    severity: Severity
    message: str


def _sounddevice():
    try:
        import sounddevice
    except OSError:
        return None
    return sounddevice


def list_devices() -> list[AudioDevice]:
    """Every audio device; empty when PortAudio is missing or sees none."""
    sd = _sounddevice()
    if sd is None:
        return []
    try:
        raw = sd.query_devices()
        host_apis = [api["name"] for api in sd.query_hostapis()]
        default_in, default_out = sd.default.device
    except sd.PortAudioError as exc:
        logger.warning("Audio devices could not be listed: %s", exc)
        return []

    devices = []
    for info in raw:
        devices.append(
            AudioDevice(
                index=info["index"],
                name=info["name"],
                host_api=host_apis[info["hostapi"]],
                input_channels=info["max_input_channels"],
                output_channels=info["max_output_channels"],
                default_samplerate=info["default_samplerate"],
                is_default_input=info["index"] == default_in,
                is_default_output=info["index"] == default_out,
            )
        )
    return devices


def list_input_devices() -> list[AudioDevice]:
    """Devices that can record."""
    return [device for device in list_devices() if device.input_channels > 0]


def list_output_devices() -> list[AudioDevice]:
    """Devices that can play."""
    return [device for device in list_devices() if device.output_channels > 0]


def default_input_device() -> AudioDevice | None:
    """The system's default microphone, or None when there is none."""
    sd = _sounddevice()
    if sd is None:
        return None
    try:
        info = sd.query_devices(kind="input")
    except (sd.PortAudioError, ValueError):
        return None
    matches = [d for d in list_input_devices() if d.index == info["index"]]
    return matches[0] if matches else None


def voice_health(model_cache_dir: str | Path) -> list[HealthItem]:
    """Check what voice input and output need.

    Args:
        model_cache_dir: The app's cache folder, where the speech model is
            assembled.

    Returns:
        One item each for PortAudio, the microphone, the loudspeaker, the
        speech model, the speaking voice and espeak-ng.
    """
    from voiceassist_desktop.voice import stt, tts
    from voiceassist_desktop.voice.errors import VoiceUnavailable

    items: list[HealthItem] = []

    def add(name: str, ok: bool, message: str) -> None:
        items.append(HealthItem(name, ok, "ok" if ok else "warning", message))

    sd = _sounddevice()
    add(
        "audio system",
        sd is not None,
        "PortAudio is available"
        if sd is not None
        else "PortAudio is missing: install libportaudio2 for voice",
    )

    microphone = default_input_device()
    add(
        "microphone",
        microphone is not None,
        f"default input: {microphone.name}"
        if microphone
        else "no microphone found: voice questions are off until one is plugged in",
    )
    speakers = list_output_devices()
    add(
        "loudspeaker",
        bool(speakers),
        f"{len(speakers)} output device(s)"
        if speakers
        else "no output device: answers cannot be read aloud",
    )

    try:
        if stt.base_model_ready(model_cache_dir):
            add("speech model", True, "Whisper base is ready")
        else:
            parts = stt.base_model_parts()
            add(
                "speech model",
                True,
                f"Whisper base will be assembled on first use from {len(parts)} parts",
            )
    except VoiceUnavailable as exc:
        add("speech model", False, str(exc))

    try:
        model, _config = tts.piper_voice_paths()
        add("speaking voice", True, f"Piper voice {model.stem}")
    except VoiceUnavailable as exc:
        add("speaking voice", False, str(exc))

    program = tts.espeak_path()
    add(
        "espeak-ng",
        program is not None,
        f"fallback voice at {program}"
        if program
        else "espeak-ng is missing: no fallback if the Piper voice fails",
    )
    return items
