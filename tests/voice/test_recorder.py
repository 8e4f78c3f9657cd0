"""The recorder through the real PortAudio path, with a simulated microphone."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from voiceassist_desktop.voice.audio import SPEECH_RATE, resample
from voiceassist_desktop.voice.errors import VoiceUnavailable
from voiceassist_desktop.voice.recorder import Recorder


def test_no_input_device_is_a_plain_voice_unavailable(tmp_path, simulated_audio):
    with simulated_audio(tmp_path / "home", None):
        recorder = Recorder()
        with pytest.raises(VoiceUnavailable, match="No microphone was found"):
            recorder.start()
        assert not recorder.is_recording


def test_unknown_device_name_is_reported_by_name(
    tmp_path, spoken_question, simulated_audio
):
    with simulated_audio(tmp_path / "home", spoken_question):
        with pytest.raises(VoiceUnavailable, match="'Studio Mic 9000' was not found"):
            Recorder(device="Studio Mic 9000").start()


def test_recording_is_the_microphone_signal_bit_for_bit(
    tmp_path, spoken_question, simulated_audio
):
    levels: list[tuple[float, float]] = []
    limits: list[bool] = []
    seconds = len(spoken_question) / SPEECH_RATE

    with simulated_audio(tmp_path / "home", spoken_question):
        recorder = Recorder(
            max_seconds=seconds,
            on_level=lambda rms, peak: levels.append((rms, peak)),
            on_limit=lambda: limits.append(True),
        )
        recorder.start()
        assert recorder.is_recording
        assert recorder.wait_for_limit(timeout=30)
        recording = recorder.stop()

    assert not recorder.is_recording
    assert recording.reached_limit and limits == [True]
    assert recording.sample_rate == SPEECH_RATE
    assert recording.device_rate == SPEECH_RATE
    assert len(recording.samples) == len(spoken_question)
    np.testing.assert_array_equal(recording.samples * 32768, spoken_question)

    assert levels and all(0 <= rms <= peak <= 1 for rms, peak in levels)
    assert max(peak for _rms, peak in levels) > 0.3

    saved = recording.save_wav(tmp_path / "question.wav")
    info = sf.info(str(saved))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    np.testing.assert_array_equal(
        sf.read(str(saved), dtype="int16")[0], spoken_question
    )


def test_cancel_discards_and_the_recorder_can_start_again(
    tmp_path, spoken_question, simulated_audio
):
    with simulated_audio(tmp_path / "home", spoken_question):
        recorder = Recorder(max_seconds=0.5)
        recorder.start()
        recorder.cancel()
        assert not recorder.is_recording
        with pytest.raises(RuntimeError):
            recorder.stop()

        recorder.start()
        recorder.wait_for_limit(timeout=30)
        assert recorder.stop().duration_s == pytest.approx(0.5)


def test_resampling_keeps_pitch_and_level():
    rate = 48_000
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)

    out = resample(tone, rate, SPEECH_RATE)

    assert out.dtype == np.float32 and len(out) == SPEECH_RATE
    spectrum = np.abs(np.fft.rfft(out))
    assert np.argmax(spectrum) == 440
    assert np.sqrt(np.mean(out[1000:-1000] ** 2)) == pytest.approx(
        0.5 / np.sqrt(2), rel=0.01
    )


def test_stream_ending_by_itself_is_a_recording_error(
    tmp_path, spoken_question, simulated_audio
):
    from voiceassist_desktop.voice.errors import RecordingError

    with simulated_audio(tmp_path / "home", spoken_question):
        recorder = Recorder(max_seconds=60)
        recorder.start()
        # PortAudio ends the stream on its own when the device goes away; an
        # abort from outside the recorder is the same event as seen from it.
        recorder._stream.abort()
        with pytest.raises(RecordingError, match="stopped during the recording"):
            recorder.stop()
        assert not recorder.is_recording
