"""The window's voice controller: push-to-talk to a kept, transcribed question,
and an answer being read aloud stopped when the window shuts down.

The sound card is the one thing simulated (the machine has none): ALSA's
`file` device plays a recorded question as the microphone and takes the
playback into a file we can watch, through the real PortAudio path.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import numpy as np
import pytest
import soundfile as sf
from whisper_normalizer.english import EnglishTextNormalizer

from voiceassist_desktop.app import App
from voiceassist_desktop.voice.audio import SPEECH_RATE

normalise = EnglishTextNormalizer()

pytestmark = pytest.mark.gui


def test_push_to_talk_keeps_the_recording_and_hands_over_the_transcript(
    qtbot, tmp_path, data_dir, whisper, spoken_question, simulated_audio
):
    from voiceassist_desktop.gui.tasks import TaskRunner
    from voiceassist_desktop.gui.voice import VoiceController

    # The question, then quiet until the recording's limit stops it: the
    # simulated device delivers faster than real time, so the limit, not a
    # timed release, ends the recording at a known length.
    limit = 5
    quiet = np.zeros(limit * SPEECH_RATE, np.int16)
    with (
        App(data_dir, log_to_file=False) as app,
        simulated_audio(tmp_path / "home", np.concatenate([spoken_question, quiet])),
    ):
        settings = app.user_settings()
        settings.voice.max_recording_seconds = limit
        app.update_user_settings(settings)
        tasks = TaskRunner()
        voice = VoiceController(app, tasks)
        # The session's Whisper base is the model the settings name; handing
        # it over spares loading a second copy.
        voice._engine = whisper
        with qtbot.waitSignal(voice.availability, timeout=30_000) as checked:
            voice.check()
        assert checked.args == [True, ""]

        with qtbot.waitSignal(voice.transcribed, timeout=60_000) as heard:
            voice.press()
        voice.close()
        tasks.close()

    text, audio_url = heard.args
    # Drug names are the end-to-end test's concern (they need the library's
    # vocabulary); here the words show the recording reached the recogniser.
    assert {"renal", "dose", "adjustment"} <= set(normalise(text).split()), text
    kept = Path(url2pathname(urlparse(audio_url).path))
    assert kept.parent == app.paths.recordings.resolve() and kept.is_file()
    samples = sf.read(kept, dtype="int16")[0]
    assert len(samples) == limit * SPEECH_RATE
    np.testing.assert_array_equal(samples[: len(spoken_question)], spoken_question)
    assert voice.state == "idle"


LONG_ANSWER = (
    "Apixaban needs no dose adjustment for renal impairment alone [1]. " * 30
).strip()


def test_closing_the_voice_controller_stops_the_spoken_answer(
    qtbot, tmp_path, data_dir, simulated_audio
):
    from voiceassist_desktop.gui.tasks import TaskRunner
    from voiceassist_desktop.gui.voice import VoiceController

    with (
        App(data_dir, log_to_file=False) as app,
        simulated_audio(tmp_path / "home", np.zeros(1600, np.int16)) as played,
    ):
        tasks = TaskRunner()
        voice = VoiceController(app, tasks)
        voice.speak(LONG_ANSWER)
        qtbot.waitUntil(
            lambda: played.exists() and played.stat().st_size > 0, timeout=60_000
        )
        speaker = voice._speaker
        assert speaker is not None and speaker.speaking

        voice.close()

        assert not speaker.speaking
        assert speaker.take_errors() == []
        heard = played.stat().st_size
        tasks.close()
        time.sleep(1.0)
        assert played.stat().st_size == heard
        # Thirty sentences were asked for; far fewer were played.
        seconds = heard / 2 / SPEECH_RATE
        assert seconds < 60, seconds
