"""The window's responsiveness: time to a visible window, GUI stalls on import.

Usage (a display is needed; under a headless machine use Xvfb):

    xvfb-run -a python bench/gui.py [--pdf PATH] [--screenshots DIR] [--no-stall]

Prints the time from the start of the process to a visible window, then the
longest stall of the GUI thread (a 10 ms timer on it) while a 91-page PDF is
imported through the window. With --screenshots (or VOICEASSIST_SCREENSHOTS)
it saves PNGs of the first-run window, the library during an import, the
conversation with an answer and its citations, and the source viewer at a
cited page. Everything runs in a temporary data folder.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402 - the clock starts before the imports
import os  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PDF = (
    REPO.parent / "shared/corpus/docs/pdf/who_ipc_core_components_guidelines_2016.pdf"
)
QUESTION = "When should health-care workers perform hand hygiene?"


def wait_for(qt_app, predicate, timeout_s: float) -> bool:
    """Runs the event loop until `predicate()` or the timeout."""
    deadline = time.perf_counter() + timeout_s
    while not predicate():
        if time.perf_counter() > deadline:
            return False
        qt_app.processEvents()
        time.sleep(0.005)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", type=Path, default=DEFAULT_PDF)
    parser.add_argument(
        "--screenshots", type=Path, default=os.environ.get("VOICEASSIST_SCREENSHOTS")
    )
    parser.add_argument(
        "--no-stall", action="store_true", help="skip the 91-page import"
    )
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="voiceassist-bench-gui-"))
    shots = args.screenshots
    if shots:
        shots.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import Qt

    from voiceassist_desktop.app import App
    from voiceassist_desktop.gui.main import make_qt_app
    from voiceassist_desktop.gui.stall import StallMeter
    from voiceassist_desktop.gui.theme import apply_theme
    from voiceassist_desktop.gui.window import MainWindow, sample_library_files

    qt_app = make_qt_app()
    app = App(data_dir).start()
    settings = app.user_settings()
    apply_theme(qt_app, settings.general.theme, settings.display.font_size)
    window = MainWindow(app)
    window.resize(1440, 900)
    window.show()
    wait_for(
        qt_app, lambda: window.windowHandle() and window.windowHandle().isExposed(), 30
    )
    qt_app.processEvents()
    visible_s = time.perf_counter() - STARTED
    window.start()

    def grab(widget, name: str) -> None:
        if shots:
            qt_app.processEvents()
            path = shots / name
            widget.grab().save(str(path))
            print(f"screenshot: {path}")

    lines = [
        f"date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"command: {shlex.join([sys.executable, *sys.argv])}",
        f"platform: {qt_app.platformName()}",
        f"start to visible window: {visible_s:.2f} s",
    ]
    print(lines[-1], flush=True)
    ready = wait_for(qt_app, lambda: window.sample_banner.isVisible(), 120)
    grab(window, "01_first_run.png")

    library = window.library_view
    summaries: list[str] = []
    library.summarised.connect(summaries.append)

    # The sample library: what a new user loads first; the library view is
    # photographed while its jobs run.
    if ready and sample_library_files():
        window.load_sample_library()
        wait_for(
            qt_app,
            lambda: any(row.bar.maximum() > 1 for row in library.job_rows.values()),
            300,
        )
        grab(window, "02_library_importing.png")
        wait_for(qt_app, lambda: summaries, 1800)
        print(f"sample library: {summaries[-1] if summaries else 'timed out'}")

    if not args.no_stall and args.pdf.is_file():
        meter = StallMeter(10)
        count = len(summaries)
        meter.start()
        began = time.perf_counter()
        window.import_paths([args.pdf])
        wait_for(qt_app, lambda: len(summaries) > count, 3600)
        meter.stop()
        took = time.perf_counter() - began
        found = summaries[-1] if len(summaries) > count else "timed out"
        lines += [
            f"import of {args.pdf.name}: {took:.1f} s ({found})",
            f"longest GUI-thread stall during the import: {meter.longest_ms:.0f} ms "
            f"(p99 {meter.percentile(0.99):.0f} ms, {meter.over(100)} gaps over "
            f"100 ms, {len(meter.gaps_ms)} ticks of 10 ms)",
        ]
        print("\n".join(lines[-2:]), flush=True)

    # A question, its answer with citations, and the first cited PDF page.
    window.show_page(0)
    answers: list = []
    window.chat.answered.connect(answers.append)
    window.chat.question.setPlainText(QUESTION)
    asked = time.perf_counter()
    window.chat.send()
    wait_for(qt_app, lambda: answers, 300)
    if answers:
        lines.append(f"question to answer: {time.perf_counter() - asked:.2f} s")
        print(lines[-1])
        wait_for(qt_app, lambda: window.conversations.list.count() > 1, 30)
        grab(window, "03_conversation_answer.png")
        citations = answers[0].assistant_message.citations
        cited = next((c for c in citations if c.get("page_number")), None)
        if cited is not None:
            viewer = window.open_citation(cited)
            viewer.resize(980, 1000)
            pages: list[int] = []
            viewer.shown_page.connect(pages.append)
            wait_for(qt_app, lambda: pages, 120)
            grab(viewer, "04_source_viewer.png")
            print(
                f"source viewer: page {pages[0] if pages else '?'}, "
                f"highlighted={viewer.highlighted}"
            )
        text_cited = next((c for c in citations if not c.get("page_number")), None)
        if text_cited is not None:
            viewer = window.open_citation(text_cited)
            viewer.resize(900, 800)
            done: list[int] = []
            viewer.shown_page.connect(done.append)
            wait_for(qt_app, lambda: done, 120)
            grab(viewer, "05_source_viewer_text.png")
        window.side.setCurrentWidget(window.context_form)
        grab(window, "06_clinical_context.png")
        window.show_page(1)
        grab(window, "07_library.png")
        window.show_page(0)
        apply_theme(qt_app, "dark", settings.display.font_size)
        grab(window, "08_dark_theme.png")

    print("\n".join(["", *lines]))
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    window.shutdown()
    window.close()
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
