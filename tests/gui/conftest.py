"""Fixtures for the window tests: one App and a small library per module."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from voiceassist_desktop.app import App
from voiceassist_desktop.gui.theme import apply_theme

# The offscreen platform's default screen is 800x600, smaller than the window;
# a laptop-sized screen keeps saved geometry from being clamped.
_SCREEN = Path(tempfile.gettempdir()) / "voiceassist-offscreen-screen.json"
_SCREEN.write_text(
    json.dumps(
        {
            "screens": [
                {
                    "name": "laptop",
                    "x": 0,
                    "y": 0,
                    "width": 1920,
                    "height": 1200,
                    "logicalDpi": 96,
                }
            ]
        }
    )
)
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "resources" / "sample_library"
MEASLES_TXT = SAMPLES / "Measles Prevention - ACIP Recommendations (MMWR 1989).txt"
HIV_TXT = SAMPLES / (
    "Prevention of HIV Transmission in Health-Care Settings (MMWR 1987).txt"
)
OUTPATIENT_PDF = SAMPLES / "cdc_outpatient_infection_prevention_guide_2016.pdf"


def pdf_pages(source: Path, target: Path, first: int, last: int) -> Path:
    """Writes pages first..last (1-based) of a PDF to a new file."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(source)
    writer = PdfWriter()
    for number in range(first, last + 1):
        writer.add_page(reader.pages[number - 1])
    with target.open("wb") as handle:
        writer.write(handle)
    return target


@pytest.fixture(scope="session")
def samples() -> dict[str, Path]:
    """The shipped sample documents (public domain)."""
    return {"measles": MEASLES_TXT, "hiv": HIV_TXT, "outpatient": OUTPATIENT_PDF}


@pytest.fixture(scope="session")
def cut_pdf():
    """Writes some pages of a PDF to a new file: cut_pdf(source, target, a, b)."""
    return pdf_pages


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, Path]:
    """A TXT and a three-page PDF (the hand-hygiene pages of a CDC guide)."""
    folder = tmp_path_factory.mktemp("documents")
    txt = folder / MEASLES_TXT.name
    shutil.copy(MEASLES_TXT, txt)
    pdf = pdf_pages(OUTPATIENT_PDF, folder / "outpatient_guide_p8-10.pdf", 8, 10)
    return {"txt": txt, "pdf": pdf, "folder": folder}


@pytest.fixture(scope="module")
def gui_app(tmp_path_factory, documents):
    """A started App whose library holds `documents`, closed after the module."""
    data = tmp_path_factory.mktemp("voiceassist-data")
    app = App(data).start()
    batch = app.library.import_paths([documents["txt"], documents["pdf"]])
    report = batch.wait(600)
    assert report.ok, report.files
    yield app
    app.close()


@pytest.fixture
def make_window(qtbot, qapp, tmp_path):
    """Builds MainWindows over an App; shuts each down after the test."""
    from voiceassist_desktop.gui.window import MainWindow

    apply_theme(qapp)
    windows = []
    bugs: list[str] = []

    def make(app, settings_file: Path | None = None, start: bool = True):
        window = MainWindow(app, settings_file=settings_file or tmp_path / "window.ini")
        qtbot.addWidget(window)
        # A bug in a worker must fail the test, not only reach the log.
        window.reporter.shown.connect(
            lambda title, text: bugs.append(text) if title == "Error" else None
        )
        window.show()
        if start:
            with qtbot.waitSignal(window.ready, timeout=120_000):
                window.start()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()
    assert not bugs, bugs[0]
