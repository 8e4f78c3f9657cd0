"""The library search tool: passages of the library as citations."""

from __future__ import annotations

import pytest

from voiceassist_desktop.app import App
from voiceassist_desktop.storage.export import export_record, validate
from voiceassist_desktop.storage.models import ToolCallStatus

LEAFLET = """Apixaban dosing

In atrial fibrillation the recommended dose of apixaban is 5 mg twice daily.
Reduce to 2.5 mg twice daily with two of: age 80 years or more, weight 60 kg
or less, serum creatinine 1.5 mg/dL or more.

Warfarin monitoring

Warfarin doses are adjusted to keep the INR between 2.0 and 3.0.
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("library")
    leaflet = root.parent / "anticoagulants.txt"
    leaflet.write_text(LEAFLET, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOICEASSIST_DATA_DIR", str(root))
        patch.delenv("VOICEASSIST_DATABASE_URL", raising=False)
        with App(root) as app:
            app.library.import_paths([leaflet]).wait(300)
            yield app


def test_library_search_returns_valid_citations(app):
    call = app.tools.run("library_search", {"query": "apixaban dose", "k": 2})

    assert call.status == ToolCallStatus.SUCCESS, call.error_message
    record = export_record(call)
    citations = record["result"]["citations"]
    assert 1 <= len(citations) <= 2
    for citation in citations:
        validate("Citation", citation)
        assert citation["title"]
    assert "apixaban" in citations[0]["snippet"].lower()
    passages = record["result"]["result"]["passages"]
    assert [p["rank"] for p in passages] == list(range(1, len(citations) + 1))
    assert call.phi_involved is False

    text, shown = app.tools.format_tool_answer(call)
    assert text.startswith("Passages in the library for “apixaban dose”")
    assert "[1]" in text
    assert shown == citations


def test_a_query_naming_a_patient_marks_phi(app):
    call = app.tools.run(
        "library_search", {"query": "apixaban for patient John Smith MRN 12345678"}
    )
    assert call.status == ToolCallStatus.SUCCESS
    assert call.phi_involved is True


def test_library_search_checks_its_arguments(app):
    call = app.tools.run("library_search", {"query": "warfarin", "k": 500})
    assert call.status == ToolCallStatus.ERROR
    assert call.error_message.startswith("k:")
    empty = app.tools.run("library_search", {"query": ""})
    assert empty.error_message.startswith("query:")
