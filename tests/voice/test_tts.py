"""Spoken answers: text preparation, Piper, the espeak-ng fallback, playback."""

from __future__ import annotations

import numpy as np
import pytest

from voiceassist_desktop.voice.tts import Speaker, espeak_path, prepare_text


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        (
            "Reduce apixaban to 2.5 mg twice daily [1].",
            "Reduce apixaban to 2.5 milligrams twice daily.",
        ),
        (
            "Avoid if CrCl < 15 mL/min [2,3], e.g. on dialysis [4-6].",
            "Avoid if CrCl less than 15 millilitres per minute, "
            "for example on dialysis.",
        ),
        (
            "Target below 130/80 mmHg [2, 3].",
            "Target below 130/80 millimetres of mercury.",
        ),
        (
            "Give 1 mg/kg, max 80 kg.",
            "Give 1 milligram per kilogram, max 80 kilograms.",
        ),
        (
            "Take 1-2 tablets b.d. with 500 mL water.",
            "Take 1 to 2 tablets twice daily with 500 millilitres water.",
        ),
    ],
)
def test_prepare_text_drops_citations_and_spells_out_units(written, spoken):
    assert prepare_text(written) == spoken


def test_piper_speaks_without_the_citation_markers(speaker, whisper):
    samples, rate = speaker.synthesize(
        "Apixaban is reduced in renal impairment [1] [2,3]."
    )

    assert speaker.last_engine == "piper"
    assert samples.dtype == np.float32 and rate == 22050
    assert 1.0 < len(samples) / rate < 6.0
    assert np.abs(samples).max() > 0.1

    from voiceassist_desktop.voice.audio import resample

    heard = whisper.transcribe(resample(samples, rate)).text.lower()
    assert "apixaban" in heard
    assert not any(word in heard for word in ("one", "two", "three", "[", "1"))


@pytest.mark.skipif(espeak_path() is None, reason="espeak-ng is not installed")
def test_espeak_takes_over_when_piper_fails(tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    (tmp_path / "broken.onnx.json").write_text("{}")
    fallback = Speaker(voice_model=broken)

    samples, rate = fallback.synthesize("Check the serum creatinine [1].")

    assert fallback.last_engine == "espeak-ng"
    assert rate == 22050 and len(samples) / rate > 0.5


def test_speak_plays_through_the_output_device_and_stops(
    tmp_path, speaker, simulated_audio
):
    with simulated_audio(tmp_path / "home", np.zeros(16000, np.int16)) as played:
        speaker.speak("Hold the dose [1].")
        assert speaker.wait(timeout=60)
        assert speaker.take_errors() == []
        sound = np.frombuffer(played.read_bytes(), dtype="<i2")
        assert len(sound) > 8000 and np.abs(sound).max() > 1000

        speaker.speak("A much longer answer that is interrupted. " * 20)
        speaker.stop()
        assert not speaker.speaking


def test_a_disabled_speaker_stays_silent(tmp_path, simulated_audio):
    with simulated_audio(tmp_path / "home", np.zeros(16000, np.int16)) as played:
        Speaker(enabled=False).speak("Nothing to hear.")
        assert not played.exists()
