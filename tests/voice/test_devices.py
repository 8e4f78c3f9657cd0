"""Device listing and the voice part of `voiceassist doctor`."""

from __future__ import annotations

import numpy as np

from voiceassist_desktop.voice import devices


def test_simulated_microphone_is_listed_and_healthy(
    tmp_path, whisper, model_cache, simulated_audio
):
    with simulated_audio(tmp_path / "home", np.zeros(1600, np.int16)):
        inputs = devices.list_input_devices()
        default = devices.default_input_device()
        outputs = devices.list_output_devices()
        health = {item.name: item for item in devices.voice_health(model_cache)}

    assert default is not None and default.is_default_input
    assert default in inputs and default in outputs
    assert all(item.ok and item.severity == "ok" for item in health.values()), health
    assert health["speech model"].message == "Whisper base is ready"


def test_missing_microphone_is_a_warning_not_an_error(tmp_path, simulated_audio):
    with simulated_audio(tmp_path / "home", None):
        assert devices.list_devices() == []
        assert devices.default_input_device() is None
        health = {item.name: item for item in devices.voice_health(tmp_path / "cache")}

    assert not health["microphone"].ok
    assert health["microphone"].severity == "warning"
    assert "no microphone" in health["microphone"].message
    assert health["speech model"].ok
    assert "assembled on first use" in health["speech model"].message
    assert all(item.severity != "error" for item in health.values())
