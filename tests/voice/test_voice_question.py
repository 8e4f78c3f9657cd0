"""A spoken clinical question, from the microphone to a cited answer, offline.

The microphone is the one thing simulated: the machine has no sound card, so
the question, spoken by Piper, reaches the app's own Recorder through
PortAudio and an ALSA `file` device (see conftest.py), exactly as a microphone
would deliver it. Everything after that is the app's: the recording kept in
the data folder, the recogniser primed with the library's vocabulary, the
assistant answering from a small library imported through the real pipeline,
the retention rules, and `voiceassist doctor` when there is no device at all.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner
from whisper_normalizer.english import EnglishTextNormalizer

from voiceassist_desktop.app import App
from voiceassist_desktop.cli import cli
from voiceassist_desktop.core.ids import utcnow
from voiceassist_desktop.storage.export import validate
from voiceassist_desktop.storage.retention import apply_retention
from voiceassist_desktop.voice.audio import SPEECH_RATE
from voiceassist_desktop.voice.errors import VoiceUnavailable
from voiceassist_desktop.voice.question import transcribe_question
from voiceassist_desktop.voice.recorder import Recorder

normalise = EnglishTextNormalizer()

APIXABAN_LABEL = """\
ELIQUIS (apixaban) prescribing information

2 DOSAGE AND ADMINISTRATION

The recommended dose of ELIQUIS for most patients is 5 mg taken orally twice
daily. The recommended dose of ELIQUIS is 2.5 mg twice daily in patients with
at least two of the following characteristics: age greater than or equal to
80 years, body weight less than or equal to 60 kg, serum creatinine greater
than or equal to 1.5 mg/dL.

8 USE IN SPECIFIC POPULATIONS

Renal impairment. No dose adjustment is recommended for patients with renal
impairment, including those with end-stage renal disease on dialysis.
Patients with ESRD on dialysis were not enrolled in clinical efficacy and
safety studies.
"""

HAND_HYGIENE = """\
Hand hygiene in outpatient care

Hand hygiene is the single most important measure to prevent the spread of
infection in health care. Use an alcohol-based hand rub before and after
touching a patient, and wash with soap and water when hands are visibly soiled.
"""


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """An app over a two-document library, in a data folder whose path has a
    space (as the platform folders often do), so recording URIs are escaped."""
    root = tmp_path_factory.mktemp("voice-question")
    sources = root / "sources"
    sources.mkdir()
    (sources / "apixaban label.txt").write_text(APIXABAN_LABEL, encoding="utf-8")
    (sources / "hand hygiene.txt").write_text(HAND_HYGIENE, encoding="utf-8")

    with App(root / "Voice Assist data", log_to_file=False) as app:
        report = app.library.import_paths([sources]).wait(300)
        assert report.ok, report.files
        yield app


@pytest.fixture(scope="module")
def recording(tmp_path_factory, clinic, spoken_question, simulated_audio):
    """The spoken question as the app's Recorder captures it.

    The recording stops at the question's length, where a clinician would
    release the push-to-talk key.
    """
    settings = clinic.user_settings().voice
    home = tmp_path_factory.mktemp("voice-question-home")
    with simulated_audio(home, spoken_question):
        recorder = Recorder(
            settings.input_device, max_seconds=len(spoken_question) / SPEECH_RATE
        )
        recorder.start()
        assert recorder.wait_for_limit(timeout=30)
        captured = recorder.stop()
    np.testing.assert_array_equal(captured.samples * 32768, spoken_question)
    return captured


def _file(audio_url: str) -> Path:
    return Path(url2pathname(urlparse(audio_url).path))


def _ask_by_voice(app: App, recording, whisper):
    """What the window does once the key is released, without the window."""
    settings = app.user_settings().voice
    # The session's recogniser is the one the voice settings choose.
    assert whisper.model_size == settings.stt_model
    spoken = transcribe_question(
        recording,
        whisper,
        app.vocabulary_terms(),
        recordings_dir=app.paths.recordings,
        keep=settings.keep_recordings,
    )
    result = app.assistant.ask(spoken.text, mode="voice", audio_url=spoken.audio_url)
    return spoken, result


def test_spoken_question_is_answered_with_citations(
    clinic, recording, whisper, spoken_question, network_blocked
):
    assert "apixaban" in {term.lower() for term in clinic.vocabulary_terms()}

    with network_blocked():
        spoken, result = _ask_by_voice(clinic, recording, whisper)

    words = set(normalise(spoken.text).split())
    assert {"renal", "dose", "adjustment", "apixaban"} <= words, spoken.text

    url = result.user_message.audio_url
    assert url == spoken.audio_url and url.startswith("file:///")
    kept = _file(url)
    assert kept.parent == clinic.paths.recordings.resolve()
    assert kept.suffix == ".wav" and kept.is_file()
    np.testing.assert_array_equal(sf.read(kept, dtype="int16")[0], spoken_question)

    assert result.session.mode == "voice"
    assert clinic.conversations.get(result.session.id).mode == "voice"
    assert result.user_message.content == spoken.text

    meta = result.assistant_message.metadata
    assert meta["covered"] is True
    assert result.citations
    for citation in result.citations:
        validate("Citation", citation)
    assert "apixaban" in result.citations[0]["title"].lower()
    assert "dialysis" in result.assistant_message.content

    records = clinic.conversations.export_records(result.session.id)
    validate("Session", records["session"])
    for record in records["messages"]:
        validate("ChatMessage", record)
    assert [r.get("audio_url") for r in records["messages"]] == [url, None]


def test_retention_deletes_old_recordings_and_keeps_the_question(
    clinic, recording, whisper
):
    _, result = _ask_by_voice(clinic, recording, whisper)
    kept = _file(result.user_message.audio_url)
    assert kept.is_file()
    settings = clinic.system_settings()
    settings.data_retention.conversation_retention_days = 0
    settings.data_retention.recording_retention_days = 7
    clinic.update_system_settings(settings)

    report = apply_retention(
        clinic.db,
        clinic.audit,
        clinic.paths,
        clinic.system_settings(),
        now=utcnow() + timedelta(days=8),
    )

    assert report.recordings_deleted >= 1
    assert not kept.exists()
    (question, answer) = clinic.conversations.messages(result.session.id)
    assert question.content == result.user_message.content
    assert question.audio_url is None
    assert answer.citations == result.citations


def test_deleting_an_old_voice_conversation_deletes_its_recording(
    clinic, recording, whisper
):
    _, result = _ask_by_voice(clinic, recording, whisper)
    kept = _file(result.user_message.audio_url)
    settings = clinic.system_settings()
    settings.data_retention.conversation_retention_days = 30
    # Recordings kept for ever: only the conversation's deletion removes it.
    settings.data_retention.recording_retention_days = 0
    clinic.update_system_settings(settings)

    report = apply_retention(
        clinic.db,
        clinic.audit,
        clinic.paths,
        clinic.system_settings(),
        now=utcnow() + timedelta(days=31),
    )

    assert report.conversations_deleted >= 1
    assert not kept.exists()
    assert result.session.id not in {
        c.id for c in clinic.conversations.list(archived=None)
    }


def test_without_an_audio_device_voice_is_off_and_the_app_works(
    tmp_path, monkeypatch, clinic, simulated_audio
):
    monkeypatch.setenv("VOICEASSIST_DATA_DIR", str(tmp_path / "doctor-data"))

    with simulated_audio(tmp_path / "home", None):
        with pytest.raises(VoiceUnavailable) as refused:
            Recorder(clinic.user_settings().voice.input_device).start()
        doctor = CliRunner().invoke(cli, ["doctor", "--json"])
        typed = clinic.assistant.ask("What is the renal dose adjustment for apixaban?")

    assert refused.value.message == "No microphone was found."
    assert "Plug in a microphone" in refused.value.remedy

    assert doctor.exit_code == 0, doctor.output
    items = {
        item["name"]: item
        for item in map(json.loads, doctor.stdout.splitlines())
        if item.get("name")
    }
    assert items["microphone"]["status"] == "warning"
    assert items["microphone"]["message"] == (
        "no microphone found: voice questions are off until one is plugged in"
    )
    assert items["database"]["status"] == "ok"
    assert all(item["status"] != "error" for item in items.values()), items

    assert typed.session.mode == "text"
    assert typed.assistant_message.metadata["covered"] is True
    assert typed.citations
