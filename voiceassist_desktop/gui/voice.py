"""Push-to-talk for the window: record, transcribe, and read answers aloud.

Recording, transcription and speech run on worker threads; the recorder's
level and limit callbacks arrive on its own thread and are forwarded through
signals. The controller never touches a widget.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal

logger = logging.getLogger(__name__)

_LIBRARY_TERMS = 80


def library_terms(db: Any) -> list[str]:
    """Drug and condition names from the library's titles and headings."""
    from sqlalchemy import select

    from voiceassist_desktop.storage.models import KBChunk, KnowledgeDocument
    from voiceassist_desktop.voice.vocabulary import extract_terms

    with db.session() as session:
        titles = session.scalars(select(KnowledgeDocument.title)).all()
        headings = session.scalars(
            select(KBChunk.heading)
            .where(KBChunk.heading.is_not(None))
            .distinct()
            .limit(2000)
        ).all()
    return extract_terms("\n".join([*titles, *headings]), limit=_LIBRARY_TERMS)


class VoiceController(QObject):
    """Drives one recording at a time and the spoken answers.

    Args:
        app: The running App.
        tasks: The window's TaskRunner.
    """

    #: Voice input can be used (True) or not, with the reason.
    availability = Signal(bool, str)
    #: "idle", "starting", "recording", "transcribing".
    state_changed = Signal(str)
    #: Microphone level, 0..1, while recording.
    level = Signal(float)
    #: A transcript and the file URI of its recording ("" if not kept).
    transcribed = Signal(str, str)
    #: A plain message about a failure.
    problem = Signal(str)
    _limit_reached = Signal()

    def __init__(self, app: Any, tasks: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._tasks = tasks
        self.available = False
        self.reason = "Checking the microphone and the speech model…"
        self.state = "idle"
        self._recorder = None
        self._engine = None
        self._engine_lock = threading.Lock()
        self._speaker = None
        self._stop_when_started = False
        self._terms: list[str] | None = None
        self._limit_reached.connect(self.release)

    # --- availability -------------------------------------------------------------

    def check(self) -> None:
        """Finds out, in a worker, whether voice input can work here."""
        app = self._app

        def probe() -> tuple[bool, str]:
            settings = app.user_settings().voice
            flags = app.system_settings().feature_flags
            if not settings.enabled or not flags.voice_input:
                return False, "Voice input is turned off in Settings."
            from voiceassist_desktop.voice import stt
            from voiceassist_desktop.voice.errors import VoiceUnavailable
            from voiceassist_desktop.voice.recorder import resolve_input_device

            if settings.stt_model not in stt.available_model_sizes():
                return False, (
                    f"The speech model '{settings.stt_model}' is not installed. "
                    "Choose another speech model in Settings."
                )
            try:
                resolve_input_device(settings.input_device)
            except VoiceUnavailable as exc:
                return False, f"{exc.message} {exc.remedy}".strip()
            return True, ""

        self._tasks.submit(
            "check voice input",
            probe,
            on_done=lambda result: self._set_available(*result),
            on_error=lambda error: self._set_available(False, str(error)),
        )

    def _set_available(self, available: bool, reason: str) -> None:
        self.available = available
        self.reason = reason
        self.availability.emit(available, reason)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)

    # --- recording ----------------------------------------------------------------

    def press(self) -> None:
        """Starts recording (key or button pressed)."""
        if not self.available or self.state != "idle":
            return
        from voiceassist_desktop.voice.recorder import Recorder

        settings = self._app.user_settings().voice
        self._recorder = Recorder(
            settings.input_device,
            max_seconds=settings.max_recording_seconds,
            on_level=lambda rms, peak: self.level.emit(min(1.0, peak)),
            on_limit=self._limit_reached.emit,
        )
        self._stop_when_started = False
        self._set_state("starting")
        recorder = self._recorder
        self._tasks.submit(
            "start recording",
            recorder.start,
            on_done=lambda _: self._on_started(),
            on_error=self._on_failed,
        )

    def _on_started(self) -> None:
        self._set_state("recording")
        if self._stop_when_started:
            self.release()

    def release(self) -> None:
        """Stops recording and transcribes (key or button released)."""
        if self.state == "starting":
            self._stop_when_started = True
            return
        if self.state != "recording" or self._recorder is None:
            return
        self._set_state("transcribing")
        recorder, self._recorder = self._recorder, None
        app = self._app

        def finish() -> tuple[str, str]:
            from voiceassist_desktop.voice.question import transcribe_question

            recording = recorder.stop()
            settings = app.user_settings().voice
            engine = self._stt(settings.stt_model)
            if self._terms is None and settings.use_library_vocabulary:
                self._terms = library_terms(app.db)
            spoken = transcribe_question(
                recording,
                engine,
                self._terms or [],
                recordings_dir=app.paths.recordings,
                keep=settings.keep_recordings,
            )
            return spoken.text, spoken.audio_url or ""

        self._tasks.submit(
            "transcribe a question",
            finish,
            on_done=self._on_transcribed,
            on_error=self._on_failed,
        )

    def toggle(self) -> None:
        """One press starts, the next one stops (the toggle mode)."""
        if self.state == "idle":
            self.press()
        elif self.state in ("starting", "recording"):
            self.release()

    def cancel(self) -> None:
        """Throws the recording away (Escape)."""
        if self.state not in ("starting", "recording") or self._recorder is None:
            return
        recorder, self._recorder = self._recorder, None
        self._tasks.submit("cancel recording", recorder.cancel)
        self._set_state("idle")
        self.level.emit(0.0)

    def _stt(self, model_size: str):
        with self._engine_lock:
            if self._engine is None or self._engine.model_size != model_size:
                from voiceassist_desktop.voice.stt import WhisperSpeechToText

                self._engine = WhisperSpeechToText(self._app.paths.cache, model_size)
            return self._engine

    def _on_transcribed(self, result: tuple[str, str]) -> None:
        text, audio_url = result
        self._set_state("idle")
        self.level.emit(0.0)
        if not text.strip():
            self.problem.emit("No speech was heard. Hold the key while you speak.")
            return
        self.transcribed.emit(text, audio_url)

    def _on_failed(self, error: BaseException) -> None:
        self._recorder = None
        self._set_state("idle")
        self.level.emit(0.0)
        message = getattr(error, "message", None) or str(error)
        remedy = getattr(error, "remedy", "")
        self.problem.emit(f"{message} {remedy}".strip())

    def forget_terms(self) -> None:
        """The library changed: mine its vocabulary again next time."""
        self._terms = None

    # --- spoken answers -----------------------------------------------------------

    def speak(self, text: str) -> None:
        """Reads an answer aloud (citations are not read out)."""
        app = self._app

        def run() -> None:
            settings = app.user_settings().voice
            if self._speaker is None:
                from voiceassist_desktop.voice.tts import Speaker

                self._speaker = Speaker(length_scale=1.0 / settings.tts_rate)
            self._speaker.length_scale = 1.0 / settings.tts_rate
            self._speaker.speak(text)

        self._tasks.submit("read an answer aloud", run, on_error=self._on_failed)

    def stop_speaking(self) -> None:
        speaker = self._speaker
        if speaker is not None:
            self._tasks.submit("stop reading aloud", speaker.stop)

    def close(self) -> None:
        """Stops any recording and speech (at shutdown)."""
        if self._recorder is not None:
            self._recorder.cancel()
            self._recorder = None
        if self._speaker is not None:
            self._speaker.stop()
