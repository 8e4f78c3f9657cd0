"""The GUI thread keeps running while a long PDF is imported."""

from __future__ import annotations

import pytest

from voiceassist_desktop.app import App
from voiceassist_desktop.gui.stall import StallMeter

WHO_PDF = "docs/pdf/who_ipc_core_components_guidelines_2016.pdf"


@pytest.mark.gui
@pytest.mark.corpus
@pytest.mark.slow
def test_longest_gui_stall_during_a_91_page_import(
    qtbot, make_window, tmp_path, corpus_dir
):
    app = App(tmp_path / "data").start()
    window = make_window(app)
    meter = StallMeter(10, window)
    try:
        meter.start()
        with qtbot.waitSignal(window.library_view.summarised, timeout=1_800_000):
            window.import_paths([corpus_dir / WHO_PDF])
        meter.stop()
        print(
            f"\nlongest GUI-thread stall during the 91-page import: "
            f"{meter.longest_ms:.0f} ms (p99 {meter.percentile(0.99):.0f} ms, "
            f"{meter.over(100)} gaps over 100 ms in {len(meter.gaps_ms)} ticks)"
        )
        assert window.library_view.last_summary == "1 imported"
        # The timer really ticked through the import, which took many seconds.
        assert len(meter.gaps_ms) > 100
    finally:
        meter.stop()
        window.shutdown()
        app.close()
