"""Screenshots of the window under Xvfb, with the real X11 platform plugin."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHOTS = (
    "01_first_run.png",
    "02_library_importing.png",
    "03_conversation_answer.png",
    "04_source_viewer.png",
)


@pytest.mark.gui
@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("xvfb-run") is None, reason="Xvfb is absent (apt-get install xvfb)"
)
def test_screenshots_under_xvfb(tmp_path):
    folder = Path(os.environ.get("VOICEASSIST_SCREENSHOTS") or tmp_path / "shots")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}

    result = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1920x1200x24",
            sys.executable,
            str(REPO / "bench" / "gui.py"),
            "--no-stall",
            "--screenshots",
            str(folder),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-4000:]
    assert "platform: xcb" in result.stdout
    for name in SHOTS:
        # A blank grab is a few kilobytes; a drawn window is far larger.
        assert (folder / name).stat().st_size > 20_000, name
    assert "highlighted=True" in result.stdout
    print(f"\nscreenshots in {folder}")
