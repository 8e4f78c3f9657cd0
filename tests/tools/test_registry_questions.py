"""Questions that plainly ask for a calculation, and the answer they get."""

from __future__ import annotations

import pytest

from voiceassist_desktop.app import App
from voiceassist_desktop.assistant.tools.calculators import CALCULATORS
from voiceassist_desktop.assistant.tools.parse import parse_request
from voiceassist_desktop.storage.export import export_record, validate
from voiceassist_desktop.storage.models import ToolCallStatus


@pytest.mark.parametrize(
    ("question", "tool", "arguments"),
    [
        (
            "CrCl for a 78 year old woman, 62 kg, creatinine 1.4",
            "cockcroft_gault",
            {
                "age_years": 78,
                "sex": "female",
                "weight_kg": 62.0,
                "creatinine_mg_dl": 1.4,
            },
        ),
        (
            "78F, 62 kg, 160 cm, Cr 120 umol/L: creatinine clearance?",
            "cockcroft_gault",
            {
                "age_years": 78,
                "sex": "female",
                "weight_kg": 62.0,
                "height_cm": 160.0,
                "creatinine_umol_l": 120.0,
            },
        ),
        (
            "what is the CHA2DS2-VASc for a 70 year old man with hypertension "
            "and diabetes, no heart failure",
            "cha2ds2_vasc",
            {
                "age_years": 70,
                "sex": "male",
                "hypertension": True,
                "diabetes": True,
                "congestive_heart_failure": False,
            },
        ),
        ("BMI 80 kg 175 cm", "bmi", {"weight_kg": 80.0, "height_cm": 175.0}),
        ("BSA 70 kg 1.75 m", "bsa", {"weight_kg": 70.0, "height_cm": 175.0}),
        (
            "corrected calcium 8.0 albumin 2.5",
            "corrected_calcium",
            {"calcium_mg_dl": 8.0, "albumin_g_dl": 2.5},
        ),
        (
            "corrected calcium 2.1 mmol/L, albumin 25 g/L",
            "corrected_calcium",
            {"calcium_mmol_l": 2.1, "albumin_g_l": 25.0},
        ),
        (
            "CURB-65 for a 70 yo confused man, urea 8, RR 32, BP 85/50",
            "curb_65",
            {
                "age_years": 70,
                "confusion": True,
                "urea_mmol_l": 8.0,
                "respiratory_rate_per_min": 32,
                "systolic_bp_mmhg": 85,
                "diastolic_bp_mmhg": 50,
            },
        ),
        (
            "QTc with QT 400 ms and heart rate 90 bpm, Fridericia",
            "qtc",
            {"qt_ms": 400.0, "heart_rate_bpm": 90.0, "method": "fridericia"},
        ),
        (
            "anion gap Na 140 Cl 100 HCO3 24",
            "anion_gap",
            {
                "sodium_mmol_l": 140.0,
                "chloride_mmol_l": 100.0,
                "bicarbonate_mmol_l": 24.0,
            },
        ),
        (
            "corrected sodium 130 glucose 600",
            "corrected_sodium",
            {"sodium_mmol_l": 130.0, "glucose_mg_dl": 600.0},
        ),
        (
            "eGFR for a 60 year old woman, creatinine 1.1 mg/dL",
            "egfr_ckd_epi_2021",
            {"age_years": 60, "sex": "female", "creatinine_mg_dl": 1.1},
        ),
        (
            "MELD-Na bilirubin 2 INR 1.5 creatinine 1.2 sodium 130",
            "meld_na",
            {
                "bilirubin_mg_dl": 2.0,
                "inr": 1.5,
                "creatinine_mg_dl": 1.2,
                "sodium_mmol_l": 130.0,
            },
        ),
        (
            "Wells score for DVT: active cancer, calf swelling, previous DVT",
            "wells_dvt",
            {"active_cancer": True, "calf_swelling_3cm": True, "previous_dvt": True},
        ),
    ],
)
def test_a_plain_calculation_request_is_read(question, tool, arguments):
    request = parse_request(question, CALCULATORS)
    assert request is not None
    assert request.tool == tool
    for name, value in arguments.items():
        assert request.arguments[name] == value, name


@pytest.mark.parametrize(
    "question",
    [
        "When is CHA2DS2-VASc used?",
        "What dose of apixaban should she take?",
        "What dose of apixaban for CrCl below 30?",
        "Why is CrCl calculated with ideal body weight?",
        "Is a CHA2DS2-VASc of 2 an indication for anticoagulation?",
        "How does the CKD-EPI 2021 equation differ from MDRD?",
        "What is the normal anion gap?",
        "What does a high MELD score mean?",
        "",
    ],
)
def test_a_question_that_is_not_a_calculation_is_left_alone(question):
    assert parse_request(question, CALCULATORS) is None


def test_numbers_in_a_score_name_are_not_read_as_values():
    request = parse_request("what is the CURB-65 score", CALCULATORS)
    assert request is not None and "age_years" not in request.arguments
    request = parse_request("calculate CHA2DS2-VASc", CALCULATORS)
    assert request is not None and request.arguments == {}


def test_a_metre_height_is_not_an_age_or_a_sex():
    request = parse_request("BMI 80 kg 1.75 m", CALCULATORS)
    assert request.arguments == {"weight_kg": 80.0, "height_cm": 175.0}


@pytest.fixture
def app_with_patient(data_dir):
    with App(data_dir) as app:
        conversation = app.conversations.create(mode="case_workspace")
        app.conversations.set_context(
            conversation.id,
            patient_age=78,
            patient_sex="female",
            relevant_history="Hypertension, type 2 diabetes",
            weight_kg=62,
            height_cm=160,
            lab_values={"serum_creatinine_mg_dl": 1.4},
        )
        yield app, conversation.id


def test_missing_values_come_from_the_clinical_context(app_with_patient):
    app, session_id = app_with_patient

    call = app.tools.run_from_question("calculate the CrCl", session_id)

    assert call.status == ToolCallStatus.SUCCESS
    assert call.arguments == {
        "age_years": 78,
        "sex": "female",
        "weight_kg": 62.0,
        "height_cm": 160.0,
        "creatinine_mg_dl": 1.4,
    }
    assert call.phi_involved is True
    # Cockcroft-Gault by hand: IBW 45.5 + 2.3 x (160 / 2.54 - 60) = 52.4 kg,
    # (140 - 78) x 52.4 / (72 x 1.4) x 0.85 = 27.4 mL/min.
    assert call.result["result"]["value"] == pytest.approx(27.4, abs=0.05)
    assert call.result["from_context"] == [
        "age_years",
        "creatinine_mg_dl",
        "height_cm",
        "sex",
        "weight_kg",
    ]
    export_record(call)


def test_the_question_wins_over_the_context(app_with_patient):
    app, session_id = app_with_patient

    call = app.tools.run_from_question(
        "CrCl with creatinine 120 umol/L and weight 70 kg", session_id
    )

    assert call.arguments["creatinine_umol_l"] == 120.0
    assert "creatinine_mg_dl" not in call.arguments
    assert call.arguments["weight_kg"] == 70.0
    assert "weight_kg" not in call.result["from_context"]


def test_history_in_the_context_fills_the_score(app_with_patient):
    app, session_id = app_with_patient

    call = app.tools.run_from_question("what is her CHA2DS2-VASc?", session_id)

    # Age 78 (2) + female (1) + hypertension (1) + diabetes (1).
    assert call.result["result"]["value"] == 5
    text, citations = app.tools.format_tool_answer(call)
    assert text.startswith("**CHA₂DS₂-VASc score: 5 points")
    assert "[1]" in text
    assert "clinical context" in text
    (citation,) = citations
    validate("Citation", citation)
    assert citation["publication_year"] == 2010


def test_a_question_that_is_not_a_calculation_runs_nothing(app_with_patient):
    app, session_id = app_with_patient
    assert app.tools.run_from_question("What is apixaban?", session_id) is None
    assert app.tools.run_from_question("What dose of apixaban?", session_id) is None
    # Asked outright, but the context lacks the values: nothing is run.
    assert app.tools.run_from_question("calculate the anion gap", session_id) is None


def test_asking_without_values_or_context_runs_nothing(data_dir):
    with App(data_dir) as app:
        conversation = app.conversations.create()
        assert app.tools.run_from_question("what is the BMI?", conversation.id) is None


def test_a_request_missing_a_value_answers_with_the_reason(data_dir):
    with App(data_dir) as app:
        conversation = app.conversations.create()
        call = app.tools.run_from_question(
            "CrCl for a 78 year old woman, 62 kg, creatinine 1.4", conversation.id
        )
        text, citations = app.tools.format_tool_answer(call)
    assert call.status == ToolCallStatus.ERROR
    assert call.phi_involved is False
    assert "height_cm" in text and "required" in text
    assert citations == []


def test_prefill_gives_the_calculator_panel_the_context(app_with_patient):
    app, session_id = app_with_patient
    assert app.tools.prefill("bmi", session_id) == {
        "weight_kg": 62.0,
        "height_cm": 160.0,
    }
    assert app.tools.prefill("bmi", None) == {}
