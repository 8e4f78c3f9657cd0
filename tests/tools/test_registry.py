"""The tool registry: schema checks, confirmation, time limits, storage, audit."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from voiceassist_desktop.app import App
from voiceassist_desktop.assistant.tools.calculators import CALCULATORS
from voiceassist_desktop.assistant.tools.registry import Tool, ToolOutput
from voiceassist_desktop.core import phi
from voiceassist_desktop.core.errors import NotFound
from voiceassist_desktop.storage.export import export_record, validate
from voiceassist_desktop.storage.models import (
    AuditLogEntry,
    Session,
    ToolCall,
    ToolCallStatus,
)


@pytest.fixture
def app(data_dir):
    with App(data_dir) as app:
        yield app


def _entries(app, action):
    with app.db.session() as session:
        return list(
            session.scalars(
                select(AuditLogEntry)
                .where(AuditLogEntry.action == action)
                .order_by(AuditLogEntry.sequence)
            )
        )


def test_every_calculator_and_the_library_search_are_tools(app):
    names = {tool.name for tool in app.tools.tools()}
    assert set(CALCULATORS) | {"library_search"} == names
    for tool in app.tools.tools():
        assert tool.requires_confirmation is False
        assert tool.schema["type"] == "object"
        assert tool.describe()["arguments"] is tool.schema


def test_a_calculator_call_is_stored_with_its_result_and_citation(app):
    call = app.tools.run("bmi", {"weight_kg": 80, "height_cm": 175})

    assert call.status == ToolCallStatus.SUCCESS
    record = export_record(call)
    assert record["result"]["success"] is True
    assert record["result"]["result"]["value"] == pytest.approx(26.1)
    assert record["confirmation_required"] is False
    assert record["phi_involved"] is False
    assert len(record["trace_id"]) == 32
    assert record["execution_time_ms"] >= 0
    (citation,) = record["result"]["citations"]
    validate("Citation", citation)
    assert citation["source_type"] == "journal"
    assert citation["doi"] == "10.1016/0021-9681(72)90027-6"
    assert citation["publication_year"] == 1972
    assert "Keys A" in citation["authors"]

    with app.db.session() as session:
        stored = session.get(ToolCall, call.id)
        assert stored.status == ToolCallStatus.SUCCESS
        conversation = session.get(Session, call.session_id)
        assert conversation is not None
        assert conversation.title == "Body mass index"


# Ordinary inputs for each calculator (the values themselves are checked
# against published examples in test_calculators.py).
EXAMPLES = {
    "bmi": {"weight_kg": 70, "height_cm": 170},
    "bsa": {"weight_kg": 70, "height_cm": 170},
    "cockcroft_gault": {
        "age_years": 60,
        "sex": "male",
        "weight_kg": 70,
        "height_cm": 175,
        "creatinine_mg_dl": 1.0,
    },
    "egfr_ckd_epi_2021": {"age_years": 60, "sex": "male", "creatinine_mg_dl": 1.0},
    "cha2ds2_vasc": {"age_years": 70, "sex": "female", "hypertension": True},
    "has_bled": {"age_years": 70, "hypertension": True},
    "curb_65": {
        "urea_mmol_l": 8.0,
        "respiratory_rate_per_min": 20,
        "systolic_bp_mmhg": 120,
        "diastolic_bp_mmhg": 70,
        "age_years": 70,
    },
    "wells_dvt": {"active_cancer": True},
    "wells_pe": {"heart_rate_over_100": True},
    "meld_na": {
        "creatinine_mg_dl": 1.2,
        "bilirubin_mg_dl": 2.0,
        "inr": 1.5,
        "sodium_mmol_l": 132,
    },
    "qtc": {"qt_ms": 400, "heart_rate_bpm": 75},
    "anion_gap": {
        "sodium_mmol_l": 140,
        "chloride_mmol_l": 100,
        "bicarbonate_mmol_l": 24,
    },
    "corrected_calcium": {"calcium_mg_dl": 8.0, "albumin_g_dl": 2.5},
    "corrected_sodium": {"sodium_mmol_l": 130, "glucose_mg_dl": 600},
}


def test_every_calculator_has_an_example():
    assert set(EXAMPLES) == set(CALCULATORS)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_calculator_cites_its_paper_as_a_valid_citation(name):
    from voiceassist_desktop.assistant.tools.registry import paper_citation

    result = CALCULATORS[name].run(EXAMPLES[name])
    citation = paper_citation(result.citation, result.formula)
    validate("Citation", citation)
    assert citation["title"] == result.citation["title"]
    assert citation["source_type"] == "journal"
    assert citation["publication_year"] == result.citation["year"]


def test_invalid_arguments_are_refused_naming_the_field(app):
    call = app.tools.run("bmi", {"weight_kg": 80, "height_cm": 9000})
    assert call.status == ToolCallStatus.ERROR
    assert call.error_message.startswith("height_cm:")
    assert call.result["success"] is False
    export_record(call)

    missing = app.tools.run("cockcroft_gault", {"weight_kg": 80})
    assert missing.status == ToolCallStatus.ERROR
    assert missing.error_message == "age_years: age_years is required"

    extra = app.tools.run("bmi", {"weight_kg": 80, "height_cm": 175, "x": 1})
    assert extra.error_message.startswith("x: x is not an argument")

    both = app.tools.run(
        "corrected_calcium",
        {"calcium_mg_dl": 8.0, "albumin_g_dl": 2.5, "albumin_g_l": 25},
    )
    assert both.error_message.startswith("albumin_g_dl: give exactly one of")

    wrong_type = app.tools.run("bmi", {"weight_kg": "heavy", "height_cm": 175})
    assert wrong_type.error_message.startswith("weight_kg:")

    audit = _entries(app, "tool.call")
    assert [e.status.value for e in audit] == ["failure"] * 5


def test_an_impossible_value_within_the_schema_is_refused_by_the_calculator(app):
    # Within the schema's bounds, yet outside the formula's domain.
    call = app.tools.run(
        "cockcroft_gault",
        {
            "age_years": 40,
            "sex": "female",
            "weight_kg": 60,
            "height_cm": 120,
            "creatinine_mg_dl": 1.0,
        },
    )
    assert call.status in (ToolCallStatus.SUCCESS, ToolCallStatus.ERROR)
    if call.status == ToolCallStatus.ERROR:
        assert call.error_message.startswith("height_cm:")


def test_unknown_tool_and_unknown_conversation_are_refused(app):
    with pytest.raises(NotFound, match="no tool named"):
        app.tools.run("nope", {})
    with pytest.raises(NotFound, match="no conversation"):
        app.tools.run(
            "bmi",
            {"weight_kg": 80, "height_cm": 175},
            session_id="00000000-0000-4000-8000-000000000000",
        )


def _changing_tool(ran: list) -> Tool:
    def run(arguments):
        ran.append(arguments)
        return ToolOutput({"changed": arguments["what"]})

    return Tool(
        name="change_something",
        title="Change something",
        description="A tool that would change data.",
        schema={
            "type": "object",
            "properties": {"what": {"type": "string"}},
            "required": ["what"],
            "additionalProperties": False,
        },
        function=run,
        requires_confirmation=True,
    )


def test_a_tool_that_changes_data_asks_and_a_refusal_is_denied(app):
    ran: list = []
    app.tools.register(_changing_tool(ran))
    asked = []

    def refuse(tool, arguments):
        asked.append((tool.name, arguments))
        return False

    call = app.tools.run("change_something", {"what": "x"}, confirm=refuse)
    assert asked == [("change_something", {"what": "x"})]
    assert call.status == ToolCallStatus.DENIED
    assert call.confirmation_required is True
    assert call.user_confirmed is False
    assert ran == []
    export_record(call)

    without_callback = app.tools.run("change_something", {"what": "y"})
    assert without_callback.status == ToolCallStatus.DENIED

    accepted = app.tools.run(
        "change_something", {"what": "z"}, confirm=lambda tool, args: True
    )
    assert accepted.status == ToolCallStatus.SUCCESS
    assert accepted.user_confirmed is True
    assert ran == [{"what": "z"}]

    statuses = [e.status.value for e in _entries(app, "tool.call")]
    assert statuses == ["denied", "denied", "success"]


def test_a_slow_tool_times_out(app):
    release = threading.Event()

    def slow(arguments):
        release.wait(5)
        return ToolOutput({"late": True})

    app.tools.register(
        Tool(
            name="slow",
            title="Slow tool",
            description="Waits.",
            schema={"type": "object", "properties": {}},
            function=slow,
        )
    )
    try:
        call = app.tools.run("slow", {}, timeout_s=0.2)
    finally:
        release.set()
    assert call.status == ToolCallStatus.TIMEOUT
    assert "did not finish within 0.2 s" in call.error_message
    assert call.result["success"] is False
    export_record(call)


def test_a_failing_tool_is_an_error_not_a_crash(app):
    def broken(arguments):
        raise RuntimeError("boom")

    app.tools.register(
        Tool(
            name="broken",
            title="Broken",
            description="Fails.",
            schema={"type": "object", "properties": {}},
            function=broken,
        )
    )
    call = app.tools.run("broken", {})
    assert call.status == ToolCallStatus.ERROR
    assert "boom" in call.error_message


def test_the_audit_entry_names_the_tool_and_holds_no_phi(app):
    conversation = app.conversations.create(mode="case_workspace")
    app.conversations.set_context(
        conversation.id,
        patient_age=78,
        patient_sex="female",
        weight_kg=62,
        height_cm=160,
        lab_values={"serum_creatinine_mg_dl": 1.4},
    )
    seen = []
    app.events.subscribe("tool.called", seen.append)

    call = app.tools.run_from_question("CrCl please, calculate it", conversation.id)

    assert call is not None and call.status == ToolCallStatus.SUCCESS
    assert call.phi_involved is True
    assert call.session_id == conversation.id
    (entry,) = _entries(app, "tool.call")
    assert entry.session_id == conversation.id
    assert entry.phi_accessed is True
    assert entry.ip_address == "127.0.0.1"
    assert entry.resource_id == call.id
    assert entry.details["tool"] == "cockcroft_gault"
    assert entry.details["status"] == "success"
    assert "duration_ms" in entry.details
    # Names and counts only: no argument value reaches the audit trail.
    assert set(entry.details) == {
        "tool",
        "status",
        "duration_ms",
        "trace_id",
        "arguments_from_context",
    }
    assert "weight_kg" in entry.details["arguments_from_context"]
    assert not phi.contains_phi(str(entry.details))
    assert seen and seen[0].data["tool_call_id"] == call.id


def test_a_free_text_argument_with_an_identifier_marks_phi(app):
    seen = []

    def echo(arguments):
        seen.append(arguments)
        return ToolOutput({})

    app.tools.register(
        Tool(
            name="echo",
            title="Echo",
            description="Echoes.",
            schema={"type": "object", "properties": {"text": {"type": "string"}}},
            function=echo,
            phi=True,
        )
    )
    plain = app.tools.run("echo", {"text": "apixaban dose in renal impairment"})
    named = app.tools.run("echo", {"text": "dose for patient John Smith MRN 12345678"})
    assert plain.phi_involved is False
    assert named.phi_involved is True
    entries = _entries(app, "tool.call")
    assert [e.phi_accessed for e in entries] == [False, True]
    assert "John Smith" not in str([e.details for e in entries])
