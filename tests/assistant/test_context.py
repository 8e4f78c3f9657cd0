"""Clinical context: validation with plain messages, storage, flags."""

from __future__ import annotations

import pytest

from voiceassist_desktop.assistant.context import (
    ContextView,
    passage_flags,
    used_parts,
    validate_context,
)
from voiceassist_desktop.assistant.conversations import Conversations
from voiceassist_desktop.core.errors import ValidationFailed
from voiceassist_desktop.storage.export import validate
from voiceassist_desktop.storage.models import Session as ChatSession


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"patient_age": 151}, "patient_age", "age 151 years is outside 0–150"),
        ({"patient_age": -1}, "patient_age", "outside 0–150"),
        ({"patient_age": 40.5}, "patient_age", "whole number"),
        ({"patient_sex": "unknown"}, "patient_sex", "male, female or other"),
        ({"vital_signs": {"heart_rate": 350}}, "vital_signs.heart_rate", "heart rate"),
        ({"vital_signs": {"bp_systolic": 40}}, "vital_signs.bp_systolic", "systolic"),
        ({"vital_signs": {"bp_diastolic": 210}}, "vital_signs.bp_diastolic", "20–200"),
        ({"vital_signs": {"temperature": 47}}, "vital_signs.temperature", "25–45 °C"),
        (
            {"vital_signs": {"respiratory_rate": 2}},
            "vital_signs.respiratory_rate",
            "4–80",
        ),
        (
            {"vital_signs": {"o2_saturation": 101}},
            "vital_signs.o2_saturation",
            "50–100",
        ),
        (
            {"vital_signs": {"pulse_pressure": 40}},
            "vital_signs.pulse_pressure",
            "known",
        ),
        ({"vital_signs": {"heart_rate": "fast"}}, "vital_signs.heart_rate", "number"),
        (
            {"lab_values": {"serum_creatinine_mg_dl": 40}},
            "lab_values.serum_creatinine_mg_dl",
            "creatinine",
        ),
        ({"weight_kg": 0}, "weight_kg", "weight"),
        ({"shoe_size": 42}, "shoe_size", "not a field"),
    ],
)
def test_implausible_values_are_refused_naming_the_field(values, field, words):
    with pytest.raises(ValidationFailed) as caught:
        validate_context(values)
    assert caught.value.field == field
    assert words in caught.value.reason


def test_plausible_values_are_normalised():
    clean = validate_context(
        {
            "patient_age": "78",
            "patient_sex": "Female",
            "allergies": "penicillin; sulfa ",
            "current_medications": ["apixaban 5 mg", "apixaban 5 mg", " metformin "],
            "vital_signs": {
                "heart_rate": 88.0,
                "temperature": 37.2,
                "o2_saturation": 95,
            },
            "lab_values": {"serum_creatinine_mg_dl": 1.4, "hba1c_percent": 7.1},
            "weight_kg": 62,
        }
    )
    assert clean["patient_age"] == 78
    assert clean["patient_sex"] == "female"
    assert clean["allergies"] == ["penicillin", "sulfa"]
    assert clean["current_medications"] == ["apixaban 5 mg", "metformin"]
    assert clean["vital_signs"] == {
        "heart_rate": 88,
        "temperature": 37.2,
        "o2_saturation": 95,
    }
    assert clean["lab_values"]["serum_creatinine_mg_dl"] == 1.4


def test_context_is_stored_with_the_session_and_exports_valid(app):
    conversations = Conversations(app.db, app.audit, app.events, app.user_id)
    info = conversations.create("case_workspace")

    record = conversations.set_context(
        info.id,
        patient_age=78,
        patient_sex="female",
        allergies=["penicillin"],
        vital_signs={"heart_rate": 88, "bp_systolic": 135, "bp_diastolic": 80},
        lab_values={"serum_creatinine_mg_dl": 1.4},
        weight_kg=62,
    )
    validate("ClinicalContext", record)
    assert record["session_id"] == info.id
    assert conversations.get(info.id).clinical_context_id == record["id"]

    updated = conversations.set_context(info.id, patient_age=79)
    assert updated["id"] == record["id"]
    assert updated["patient_age"] == 79 and updated["allergies"] == ["penicillin"]

    with pytest.raises(ValidationFailed):
        conversations.set_context(info.id, vital_signs={"o2_saturation": 30})
    assert conversations.context(info.id)["patient_age"] == 79

    conversations.clear_context(info.id)
    assert conversations.context(info.id) is None
    with app.db.session() as session:
        assert session.get(ChatSession, info.id).clinical_context_id is None


def test_flags_for_allergy_renal_function_and_age():
    view = ContextView.of(
        {
            "patient_age": 78,
            "allergies": ["penicillin"],
            "lab_values": {"serum_creatinine_mg_dl": 1.4},
        }
    )
    passages = [
        (1, "Amoxicillin is contraindicated after hypersensitivity to penicillins."),
        (2, "No dose adjustment is recommended for patients with renal impairment."),
        (3, "Geriatric Use: elderly patients had more bleeding events."),
        (4, "Hand hygiene is the most important measure against infection."),
    ]

    flags = passage_flags(view, passages)

    assert {(f.kind, f.marker) for f in flags} == {
        ("allergy", 1),
        ("renal", 2),
        ("elderly", 3),
    }
    assert "penicillin" in flags[0].message
    assert "creatinine 1.4 mg/dL" in next(f for f in flags if f.kind == "renal").message
    assert used_parts(view) == ["age 78", "creatinine 1.4 mg/dL", "allergy: penicillin"]


def test_no_flags_without_the_data_they_depend_on():
    young = ContextView.of({"patient_age": 40, "allergies": ["sulfa"]})
    passages = [
        (1, "No dose adjustment is recommended for patients with renal impairment."),
        (2, "Geriatric Use: elderly patients had more bleeding events."),
    ]
    assert passage_flags(young, passages) == []
    assert passage_flags(None, passages) == []


def test_reduced_renal_function_from_clearance_or_creatinine():
    assert ContextView.of({"lab_values": {"serum_creatinine_mg_dl": 1.6}}).renal_reduced
    assert ContextView.of(
        {"lab_values": {"creatinine_clearance_ml_min": 25}}
    ).renal_reduced
    assert not ContextView.of(
        {"lab_values": {"serum_creatinine_mg_dl": 0.9}}
    ).renal_reduced
