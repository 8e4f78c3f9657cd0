"""Fixtures for the assistant: an app over a small library written row by row.

The helpers live in `assistant_helpers`, which tests import by that name: a
test that imports `conftest` gets whichever conftest module was loaded last.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from assistant_helpers import (
    AMOXICILLIN,
    APIXABAN_DOSE,
    APIXABAN_GERIATRIC,
    APIXABAN_RENAL,
    APIXABAN_SURGERY,
    HAND_HYGIENE,
    WARFARIN_DOSE,
    Passage,
    build_assistant,
    write_document,
)

from voiceassist_desktop.app import App
from voiceassist_desktop.assistant.service import Assistant


@pytest.fixture
def app(data_dir):
    """An empty app over a private data folder."""
    with App(data_dir, log_to_file=False) as running:
        yield running


@dataclass
class SmallLibrary:
    app: App
    assistant: Assistant
    label_id: str
    warfarin_id: str
    hygiene_id: str
    antibiotic_id: str


@pytest.fixture(scope="module")
def small_library(tmp_path_factory) -> SmallLibrary:
    """One app per module over a few documents with known pages and years."""
    folder = tmp_path_factory.mktemp("small-library")
    with App(folder, log_to_file=False) as running:
        label_id = write_document(
            running,
            "ELIQUIS (apixaban) prescribing information",
            [
                Passage(APIXABAN_DOSE, 4, "4", "2 DOSAGE AND ADMINISTRATION", "2.1"),
                Passage(APIXABAN_SURGERY, 5, "5", "2 DOSAGE AND ADMINISTRATION", "2.3"),
                Passage(APIXABAN_RENAL, 20, "20", "8 USE IN SPECIFIC POPULATIONS"),
                Passage(APIXABAN_GERIATRIC, 19, "19", "8 USE IN SPECIFIC POPULATIONS"),
            ],
            document_type="other",
            year=2021,
        )
        warfarin_id = write_document(
            running,
            "Warfarin dosing handbook",
            [Passage(WARFARIN_DOSE, 12, "xii", "Dosing")],
            document_type="textbook",
            year=2019,
        )
        hygiene_id = write_document(
            running,
            "Hand hygiene in outpatient care",
            [Passage(HAND_HYGIENE, None, None, "Hand hygiene", "Key recommendations")],
            document_type="guideline",
            year=2007,
            file_format="txt",
        )
        antibiotic_id = write_document(
            running,
            "Antibiotics in primary care",
            [Passage(AMOXICILLIN, 3, "3", "Otitis media")],
            document_type="guideline",
            year=2022,
        )
        yield SmallLibrary(
            running,
            build_assistant(running),
            label_id,
            warfarin_id,
            hygiene_id,
            antibiotic_id,
        )
