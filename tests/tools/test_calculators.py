"""Clinical calculators against worked examples, their bounds and their schemas.

Where the defining paper prints no worked example, the expected value was
worked out by hand from the published formula; each comment says which.
"""

from __future__ import annotations

import inspect
import json
import math

import pytest
from jsonschema import Draft7Validator

from voiceassist_desktop.assistant.tools.calculators import (
    CALCULATORS,
    CalculatorInputError,
    CalculatorResult,
    anion_gap,
    bmi,
    bsa,
    cha2ds2_vasc,
    cockcroft_gault,
    corrected_calcium,
    corrected_sodium,
    curb_65,
    egfr_ckd_epi_2021,
    has_bled,
    ideal_body_weight_kg,
    meld_na,
    qtc,
    wells_dvt,
    wells_pe,
)

# One valid call per calculator, used by the schema and result-shape tests.
EXAMPLES = {
    "bmi": {"weight_kg": 70, "height_cm": 175},
    "bsa": {"weight_kg": 70, "height_cm": 170},
    "cockcroft_gault": {
        "age_years": 60,
        "sex": "male",
        "weight_kg": 72,
        "height_cm": 178,
        "creatinine_mg_dl": 1.0,
    },
    "egfr_ckd_epi_2021": {"age_years": 50, "sex": "male", "creatinine_mg_dl": 1.0},
    "cha2ds2_vasc": {"age_years": 76, "sex": "female", "hypertension": True},
    "has_bled": {"age_years": 70, "hypertension": True, "drugs": True},
    "curb_65": {
        "age_years": 70,
        "urea_mmol_l": 8.0,
        "respiratory_rate_per_min": 24,
        "systolic_bp_mmhg": 120,
        "diastolic_bp_mmhg": 70,
    },
    "wells_dvt": {"active_cancer": True, "entire_leg_swollen": True},
    "wells_pe": {"clinical_signs_dvt": True, "heart_rate_over_100": True},
    "meld_na": {
        "creatinine_mg_dl": 1.9,
        "bilirubin_mg_dl": 4.2,
        "inr": 1.6,
        "sodium_mmol_l": 128,
    },
    "qtc": {"qt_ms": 400, "heart_rate_bpm": 90},
    "anion_gap": {
        "sodium_mmol_l": 140,
        "chloride_mmol_l": 104,
        "bicarbonate_mmol_l": 24,
    },
    "corrected_calcium": {"calcium_mg_dl": 8.0, "albumin_g_dl": 2.0},
    "corrected_sodium": {"sodium_mmol_l": 130, "glucose_mg_dl": 600},
}


# --- registry and schemas ----------------------------------------------------


def test_every_calculator_has_an_example():
    assert set(EXAMPLES) == set(CALCULATORS)


@pytest.mark.parametrize("name", sorted(CALCULATORS))
def test_spec_schema_is_valid_draft7_and_matches_the_function(name):
    spec = CALCULATORS[name]
    Draft7Validator.check_schema(spec.schema)
    assert spec.name == name
    assert spec.phi is False
    assert spec.title and spec.description

    parameters = set(inspect.signature(spec.function).parameters)
    assert set(spec.schema["properties"]) == parameters
    for prop in spec.schema["properties"].values():
        assert prop["description"]
        if prop["type"] in ("number", "integer"):
            assert "minimum" in prop and "maximum" in prop


@pytest.mark.parametrize("name", sorted(CALCULATORS))
def test_example_arguments_validate_and_result_is_json_ready(name):
    spec = CALCULATORS[name]
    Draft7Validator(spec.schema).validate(EXAMPLES[name])

    result = spec.run(EXAMPLES[name])
    assert isinstance(result, CalculatorResult)
    assert result.calculator == name
    assert result.unit and result.formula
    for key in ("title", "authors", "journal", "year"):
        assert result.citation[key]
    payload = result.to_dict()
    assert json.loads(json.dumps(payload)) == payload
    assert None not in payload["inputs"].values()


def test_schema_requires_exactly_one_unit_alternative():
    validator = Draft7Validator(CALCULATORS["egfr_ckd_epi_2021"].schema)
    both = {**EXAMPLES["egfr_ckd_epi_2021"], "creatinine_umol_l": 88.4}
    neither = {"age_years": 50, "sex": "male"}
    assert not validator.is_valid(both)
    assert not validator.is_valid(neither)
    assert not validator.is_valid({**EXAMPLES["egfr_ckd_epi_2021"], "age_years": 200})


def test_ckd_epi_citation_is_the_2021_paper():
    result = egfr_ckd_epi_2021(age_years=50, sex="male", creatinine_mg_dl=1.0)
    assert result.citation["doi"] == "10.1056/NEJMoa2102953"
    assert result.citation["year"] == 2021


# --- body size ---------------------------------------------------------------


def test_bmi_and_who_class():
    # Hand-computed: 70 / 1.75² = 22.86; WHO TRS 894 (2000) class boundaries.
    result = bmi(weight_kg=70, height_cm=175)
    assert result.value == 22.9
    assert result.category == "normal weight"
    assert bmi(weight_kg=92, height_cm=175).category == "obesity class I"  # 30.04
    assert bmi(weight_kg=53, height_cm=170).category == "underweight"  # 18.34


def test_bsa_mosteller_and_du_bois():
    # Hand-computed from the published formulas: Mosteller √(170 × 70 / 3600)
    # = 1.818; Du Bois 0.007184 × 70^0.425 × 170^0.725 = 1.810.
    result = bsa(weight_kg=70, height_cm=170)
    assert result.value == 1.82
    assert result.values["du_bois"]["value"] == 1.81
    du_bois = bsa(weight_kg=80, height_cm=180, method="du_bois")
    # Hand-computed: Mosteller gives exactly 2.00 at 180 cm / 80 kg; Du Bois 1.996.
    assert du_bois.value == 2.0
    assert du_bois.values["mosteller"]["value"] == 2.0
    assert du_bois.citation["year"] == 1916


# --- kidney ------------------------------------------------------------------


def test_cockcroft_gault_man_normal_weight():
    # Hand-computed from Cockcroft & Gault (1976): (140 − 60) × 72 / (72 × 1.0)
    # = 80 mL/min. 72 kg is below the Devine IBW at 178 cm (73.2 kg), so the
    # actual weight is the one suggested.
    result = cockcroft_gault(
        age_years=60, sex="male", weight_kg=72, height_cm=178, creatinine_mg_dl=1.0
    )
    assert result.value == 80.0
    assert result.values["crcl_actual_weight"]["value"] == 80.0
    assert result.values["suggested_weight"]["value"] == "actual"
    assert result.values["ideal_body_weight"]["value"] == 73.2


def test_cockcroft_gault_woman_applies_085():
    # Hand-computed: (140 − 80) × 50 / (72 × 1.2) × 0.85 = 29.5 mL/min.
    result = cockcroft_gault(
        age_years=80, sex="female", weight_kg=50, height_cm=160, creatinine_mg_dl=1.2
    )
    assert result.values["crcl_actual_weight"]["value"] == 29.5
    # Devine IBW for a woman of 160 cm: 45.5 + 2.3 × (62.99 − 60) = 52.4 kg.
    assert result.values["ideal_body_weight"]["value"] == 52.4
    assert result.values["suggested_weight"]["value"] == "actual"


def test_cockcroft_gault_obese_uses_adjusted_weight():
    # Hand-computed: IBW at 180 cm (70.87 in) = 50 + 2.3 × 10.87 = 74.99 kg;
    # adjusted = 74.99 + 0.4 × (120 − 74.99) = 93.0 kg; CrCl = 90 × w / 72.
    result = cockcroft_gault(
        age_years=50, sex="male", weight_kg=120, height_cm=180, creatinine_mg_dl=1.0
    )
    assert result.values["adjusted_body_weight"]["value"] == 93.0
    assert result.values["crcl_actual_weight"]["value"] == 150.0
    assert result.values["crcl_ideal_weight"]["value"] == 93.7
    assert result.values["crcl_adjusted_weight"]["value"] == 116.2
    assert result.values["suggested_weight"]["value"] == "adjusted"
    assert result.value == 116.2


def test_cockcroft_gault_between_ideal_and_120_percent_uses_ideal():
    # IBW at 178 cm is 73.2 kg; 80 kg is 109% of it and BMI 25.2.
    result = cockcroft_gault(
        age_years=60, sex="male", weight_kg=80, height_cm=178, creatinine_mg_dl=1.0
    )
    assert result.values["suggested_weight"]["value"] == "ideal"
    assert result.value == result.values["crcl_ideal_weight"]["value"]


def test_cockcroft_gault_accepts_micromoles():
    # 88.42 µmol/L is 1.0 mg/dL.
    result = cockcroft_gault(
        age_years=60, sex="male", weight_kg=72, height_cm=178, creatinine_umol_l=88.42
    )
    assert result.value == 80.0
    assert result.inputs["creatinine_mg_dl"] == 1.0
    assert any("µmol/L" in note for note in result.notes)


def test_devine_ideal_body_weight_at_five_feet():
    # Devine (1974): 50 kg for a man and 45.5 kg for a woman of 5 ft.
    assert ideal_body_weight_kg(152.4, "male") == pytest.approx(50.0)
    assert ideal_body_weight_kg(152.4, "female") == pytest.approx(45.5)


@pytest.mark.parametrize(
    ("age", "sex", "creatinine", "expected", "stage"),
    [
        # Hand-computed from the equation in Inker et al. (2021), Table 2:
        # 142 × (1.0/0.9)^−1.200 × 0.9938^50 = 91.7.
        (50, "male", 1.0, 92, "G1"),
        # 142 × (0.8/0.7)^−1.200 × 0.9938^60 × 1.012 = 84.3.
        (60, "female", 0.8, 84, "G2"),
        # Below κ the α exponent applies: 142 × (0.5/0.7)^−0.241 × 0.9938^40
        # × 1.012 = 121.5.
        (40, "female", 0.5, 122, "G1"),
        # 142 × (2.0/0.9)^−1.200 × 0.9938^70 = 35.2.
        (70, "male", 2.0, 35, "G3b"),
    ],
)
def test_egfr_ckd_epi_2021(age, sex, creatinine, expected, stage):
    result = egfr_ckd_epi_2021(age_years=age, sex=sex, creatinine_mg_dl=creatinine)
    assert result.value == expected
    assert result.category == stage


def test_egfr_micromoles_equal_milligrams():
    mg = egfr_ckd_epi_2021(age_years=70, sex="male", creatinine_mg_dl=2.0)
    umol = egfr_ckd_epi_2021(age_years=70, sex="male", creatinine_umol_l=176.84)
    assert umol.value == mg.value


# --- atrial fibrillation -----------------------------------------------------


def test_cha2ds2_vasc_points():
    # Points as defined by Lip et al. (2010): woman 76 with hypertension =
    # age ≥75 (2) + hypertension (1) + female (1) = 4.
    result = cha2ds2_vasc(age_years=76, sex="female", hypertension=True)
    assert result.value == 4
    assert result.category == "high"
    # Man 70 with diabetes and prior stroke: 1 + 1 + 2 = 4.
    assert (
        cha2ds2_vasc(
            age_years=70, sex="male", diabetes=True, stroke_tia_thromboembolism=True
        ).value
        == 4
    )
    # Every item: 2 + 1 + 1 + 1 + 2 + 1 + 1 = 9, the maximum.
    full = cha2ds2_vasc(
        age_years=80,
        sex="female",
        congestive_heart_failure=True,
        hypertension=True,
        diabetes=True,
        stroke_tia_thromboembolism=True,
        vascular_disease=True,
    )
    assert full.value == 9


def test_cha2ds2_vasc_female_sex_alone_is_low_risk():
    result = cha2ds2_vasc(age_years=50, sex="female")
    assert result.value == 1
    assert result.category == "low"
    assert cha2ds2_vasc(age_years=66, sex="male").category == "intermediate"


def test_has_bled():
    # Pisters et al. (2010): one point per letter; ≥ 3 is high risk.
    result = has_bled(age_years=70, hypertension=True, drugs=True)
    assert result.value == 3
    assert result.category == "high"
    assert has_bled(age_years=65).value == 0  # elderly means over 65
    assert has_bled(age_years=66).value == 1
    full = has_bled(
        age_years=80,
        hypertension=True,
        abnormal_renal_function=True,
        abnormal_liver_function=True,
        stroke=True,
        bleeding=True,
        labile_inr=True,
        drugs=True,
        alcohol=True,
    )
    assert full.value == 9


# --- pneumonia ---------------------------------------------------------------


def test_curb_65_groups():
    # Lim et al. (2003): 0-1 group 1, 2 group 2, 3-5 group 3.
    assert curb_65(**EXAMPLES["curb_65"]).value == 2  # urea 8 > 7, age 70
    assert curb_65(**EXAMPLES["curb_65"]).category == "intermediate"
    worst = curb_65(
        age_years=70,
        confusion=True,
        urea_mmol_l=8.0,
        respiratory_rate_per_min=32,
        systolic_bp_mmhg=85,
        diastolic_bp_mmhg=50,
    )
    assert worst.value == 5
    assert worst.category == "high"
    low = curb_65(
        age_years=40,
        urea_mmol_l=7.0,  # not above 7
        respiratory_rate_per_min=29,
        systolic_bp_mmhg=90,
        diastolic_bp_mmhg=61,
    )
    assert low.value == 0
    assert low.category == "low"


def test_curb_65_diastolic_60_counts_and_bun_alternative():
    result = curb_65(
        age_years=40,
        bun_mg_dl=20,  # > 19 mg/dL
        respiratory_rate_per_min=18,
        systolic_bp_mmhg=110,
        diastolic_bp_mmhg=60,
    )
    assert result.value == 2
    assert result.values["points_by_item"]["value"]["blood_pressure"] == 1


# --- venous thromboembolism --------------------------------------------------


def test_wells_dvt_2003():
    # Wells et al. (2003), Table 1: nine items of +1, −2 for an alternative
    # diagnosis at least as likely; ≥ 2 likely.
    result = wells_dvt(active_cancer=True, entire_leg_swollen=True)
    assert result.value == 2
    assert result.category == "DVT likely"
    assert result.values["three_tier"]["value"] == "moderate"

    with_alternative = wells_dvt(
        active_cancer=True,
        entire_leg_swollen=True,
        alternative_diagnosis_as_likely=True,
    )
    assert with_alternative.value == 0
    assert with_alternative.category == "DVT unlikely"
    assert with_alternative.values["three_tier"]["value"] == "low"

    assert wells_dvt(alternative_diagnosis_as_likely=True).value == -2
    every = {
        name: True
        for name in inspect.signature(wells_dvt).parameters
        if name != "alternative_diagnosis_as_likely"
    }
    assert wells_dvt(**every).value == 9
    assert wells_dvt(**every).values["three_tier"]["value"] == "high"


def test_wells_pe_tiers():
    # Wells et al. (2000): < 2 low, 2-6 moderate, > 6 high; > 4 PE likely.
    result = wells_pe(clinical_signs_dvt=True, heart_rate_over_100=True)
    assert result.value == 4.5
    assert result.category == "PE likely"
    assert result.values["three_tier"]["value"] == "moderate"

    borderline = wells_pe(pe_most_likely=True, hemoptysis=True)
    assert borderline.value == 4.0
    assert borderline.category == "PE unlikely"

    high = wells_pe(
        clinical_signs_dvt=True, pe_most_likely=True, heart_rate_over_100=True
    )
    assert high.value == 7.5
    assert high.values["three_tier"]["value"] == "high"
    assert wells_pe(hemoptysis=True).values["three_tier"]["value"] == "low"
    assert wells_pe().value == 0


# --- liver -------------------------------------------------------------------


def test_meld_na_worked_example():
    # Hand-computed by the OPTN 2016 rule: 0.957 ln 1.9 + 0.378 ln 4.2 +
    # 1.120 ln 1.6 + 0.643 = 2.326 → 2.3 → MELD(i) 23; MELD-Na = 23 + 1.32 × 9
    # − 0.033 × 23 × 9 = 28.05 → 28.
    result = meld_na(**EXAMPLES["meld_na"])
    assert result.values["meld_i"]["value"] == 23
    assert result.value == 28


def test_meld_na_rounds_meld_i_to_the_tenth_first():
    # Hand-computed: 0.378 ln 5 + 0.643 = 1.2514 → 1.3 → MELD(i) 13; MELD-Na =
    # 13 + 1.32 × 12 − 0.033 × 13 × 12 = 23.69 → 24. Without the UNOS rounding
    # of MELD(i) the result would be 23.
    result = meld_na(
        creatinine_mg_dl=1.0, bilirubin_mg_dl=5.0, inr=1.0, sodium_mmol_l=120
    )
    assert result.values["meld_i"]["value"] == 13
    assert result.inputs["sodium_mmol_l"] == 125
    assert result.value == 24


def test_meld_na_sodium_only_above_11():
    # Hand-computed: 0.378 ln 2 + 1.120 ln 1.2 + 0.643 = 1.109 → MELD(i) 11,
    # which is not above 11, so sodium is not added.
    result = meld_na(
        creatinine_mg_dl=1.0, bilirubin_mg_dl=2.0, inr=1.2, sodium_mmol_l=130
    )
    assert result.value == 11


def test_meld_na_bounds():
    # Values below 1.0 are set to 1.0: MELD(i) = 6.43 → 6.
    floor = meld_na(
        creatinine_mg_dl=0.5, bilirubin_mg_dl=0.3, inr=0.9, sodium_mmol_l=140
    )
    assert floor.value == 6
    assert floor.inputs == {
        "creatinine_mg_dl": 1.0,
        "bilirubin_mg_dl": 1.0,
        "inr": 1.0,
        "sodium_mmol_l": 137.0,
        "dialysis_twice_past_week": False,
    }

    dialysis = meld_na(
        creatinine_mg_dl=1.5,
        bilirubin_mg_dl=1.0,
        inr=1.0,
        sodium_mmol_l=137,
        dialysis_twice_past_week=True,
    )
    capped = meld_na(
        creatinine_mg_dl=6.0, bilirubin_mg_dl=1.0, inr=1.0, sodium_mmol_l=137
    )
    # Creatinine 4.0: 0.957 ln 4 + 0.643 = 1.970 → 20.
    assert dialysis.inputs["creatinine_mg_dl"] == 4.0
    assert dialysis.value == capped.value == 20

    # 0.957 ln 4 + 0.378 ln 30 + 1.120 ln 5 + 0.643 = 5.06 → 51, then sodium:
    # 46.6, capped at 40.
    worst = meld_na(
        creatinine_mg_dl=4.0, bilirubin_mg_dl=30, inr=5.0, sodium_mmol_l=120
    )
    assert worst.value == 40


def test_meld_na_bilirubin_micromoles():
    mg = meld_na(**EXAMPLES["meld_na"])
    umol = meld_na(
        creatinine_mg_dl=1.9, bilirubin_umol_l=4.2 * 17.1, inr=1.6, sodium_mmol_l=128
    )
    assert umol.value == mg.value


# --- ECG ---------------------------------------------------------------------


def test_qtc_bazett_and_fridericia():
    # Hand-computed: at 90/min RR = 0.667 s; Bazett 400/√0.667 = 489.9,
    # Fridericia 400/∛0.667 = 457.9.
    result = qtc(qt_ms=400, heart_rate_bpm=90)
    assert result.values["bazett"]["value"] == 490
    assert result.values["fridericia"]["value"] == 458
    assert result.value == 458
    assert qtc(qt_ms=400, heart_rate_bpm=90, method="bazett").value == 490

    # At 60/min RR is 1 s, so no correction.
    assert qtc(qt_ms=400, heart_rate_bpm=60).values["bazett"]["value"] == 400

    # From RR: 800 ms gives Bazett 447.2 and Fridericia 430.9.
    from_rr = qtc(qt_ms=400, rr_ms=800)
    assert from_rr.values["bazett"]["value"] == 447
    assert from_rr.values["fridericia"]["value"] == 431


def test_qtc_cutoffs_by_sex():
    # AHA/ACCF/HRS 2009: prolonged at ≥ 450 ms in men, ≥ 460 ms in women.
    assert qtc(qt_ms=455, heart_rate_bpm=60, sex="male").category == "prolonged"
    assert qtc(qt_ms=455, heart_rate_bpm=60, sex="female").category == "normal"
    assert qtc(qt_ms=520, heart_rate_bpm=60).category == "markedly prolonged"


# --- electrolytes ------------------------------------------------------------


def test_anion_gap_plain_potassium_and_albumin():
    # Hand-computed: 140 − (104 + 24) = 12; with K 4: 16; Figge (1998)
    # albumin correction 12 + 2.5 × (4.0 − 2.0) = 17.
    result = anion_gap(
        sodium_mmol_l=140,
        chloride_mmol_l=104,
        bicarbonate_mmol_l=24,
        potassium_mmol_l=4.0,
        albumin_g_dl=2.0,
    )
    assert result.value == 12
    assert result.values["anion_gap_with_potassium"]["value"] == 16
    assert result.values["albumin_corrected_anion_gap"]["value"] == 17
    assert result.category == "high"

    in_g_per_l = anion_gap(
        sodium_mmol_l=140, chloride_mmol_l=104, bicarbonate_mmol_l=24, albumin_g_l=20
    )
    assert in_g_per_l.values["albumin_corrected_anion_gap"]["value"] == 17
    assert anion_gap(**EXAMPLES["anion_gap"]).category == "normal"


def test_corrected_calcium_payne():
    # Hand-computed from Payne et al. (1973): 8.0 + 0.8 × (4.0 − 2.0) = 9.6.
    result = corrected_calcium(calcium_mg_dl=8.0, albumin_g_dl=2.0)
    assert result.value == 9.6
    assert result.category == "normal"
    # 2.0 mmol/L × 4.008 = 8.016 mg/dL; 20 g/L = 2.0 g/dL → 9.616 mg/dL.
    si = corrected_calcium(calcium_mmol_l=2.0, albumin_g_l=20)
    assert si.value == 9.62
    assert si.values["corrected_calcium_mmol_l"]["value"] == 2.4


def test_corrected_sodium_katz_and_hillier():
    # Hand-computed: glucose 600 is 5 × 100 above 100; Katz (1973) 130 + 1.6 ×
    # 5 = 138; Hillier et al. (1999) 130 + 2.4 × 5 = 142.
    result = corrected_sodium(sodium_mmol_l=130, glucose_mg_dl=600)
    assert result.values["katz"]["value"] == 138
    assert result.values["hillier"]["value"] == 142
    assert result.value == 142
    assert (
        corrected_sodium(sodium_mmol_l=130, glucose_mg_dl=600, method="katz").value
        == 138
    )
    # No correction at or below 100 mg/dL.
    assert corrected_sodium(sodium_mmol_l=140, glucose_mg_dl=90).value == 140


def test_corrected_sodium_glucose_in_mmol():
    # 33.3 mmol/L × 18.016 = 599.9 mg/dL.
    result = corrected_sodium(sodium_mmol_l=130, glucose_mmol_l=33.3)
    assert result.inputs["glucose_mg_dl"] == 599.9
    assert result.value == pytest.approx(142.0, abs=0.05)


# --- impossible input ----------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "kwargs", "field", "words"),
    [
        (bmi, {"weight_kg": -70, "height_cm": 175}, "weight_kg", "between"),
        (
            cockcroft_gault,
            {
                "age_years": 200,
                "sex": "male",
                "weight_kg": 70,
                "height_cm": 175,
                "creatinine_mg_dl": 1.0,
            },
            "age_years",
            "age_years must be between 18 and 120 for Cockcroft-Gault",
        ),
        (
            egfr_ckd_epi_2021,
            {"age_years": 12, "sex": "male", "creatinine_mg_dl": 1.0},
            "age_years",
            "between 18 and 120",
        ),
        (qtc, {"qt_ms": 400, "heart_rate_bpm": 0}, "heart_rate_bpm", "between"),
        (
            corrected_sodium,
            {"sodium_mmol_l": 300, "glucose_mg_dl": 200},
            "sodium_mmol_l",
            "between",
        ),
        (
            anion_gap,
            {"sodium_mmol_l": 140, "chloride_mmol_l": -1, "bicarbonate_mmol_l": 24},
            "chloride_mmol_l",
            "between",
        ),
        (
            egfr_ckd_epi_2021,
            {"age_years": 50, "sex": "unknown", "creatinine_mg_dl": 1.0},
            "sex",
            "'female' or 'male'",
        ),
        (
            egfr_ckd_epi_2021,
            {"age_years": 50, "sex": "male"},
            "creatinine_mg_dl",
            "exactly one of creatinine_mg_dl, creatinine_umol_l",
        ),
        (
            egfr_ckd_epi_2021,
            {
                "age_years": 50,
                "sex": "male",
                "creatinine_mg_dl": 1.0,
                "creatinine_umol_l": 88.4,
            },
            "creatinine_mg_dl",
            "exactly one",
        ),
        (bmi, {"weight_kg": True, "height_cm": 175}, "weight_kg", "a number"),
        (bmi, {"weight_kg": "70", "height_cm": 175}, "weight_kg", "a number"),
        (bmi, {"weight_kg": math.nan, "height_cm": 175}, "weight_kg", "finite"),
        (bmi, {"weight_kg": 70, "height_cm": 175, "age": 3}, "age", "not an input"),
        (bmi, {"weight_kg": 70}, "height_cm", "required"),
        (
            cha2ds2_vasc,
            {"age_years": 70, "sex": "male", "hypertension": "yes"},
            "hypertension",
            "true or false",
        ),
        (
            cha2ds2_vasc,
            {"age_years": 70.5, "sex": "male"},
            "age_years",
            "whole number",
        ),
        (
            curb_65,
            {
                "age_years": 70,
                "urea_mmol_l": 5,
                "respiratory_rate_per_min": 20,
                "systolic_bp_mmhg": 80,
                "diastolic_bp_mmhg": 90,
            },
            "diastolic_bp_mmhg",
            "lower than systolic",
        ),
        (qtc, {"qt_ms": 700, "heart_rate_bpm": 120}, "qt_ms", "shorter than the RR"),
        (
            meld_na,
            {
                "creatinine_mg_dl": 1.0,
                "bilirubin_mg_dl": 1.0,
                "inr": 25,
                "sodium_mmol_l": 135,
            },
            "inr",
            "between",
        ),
    ],
)
def test_impossible_input_is_refused_naming_the_field(func, kwargs, field, words):
    with pytest.raises(CalculatorInputError) as caught:
        func(**kwargs)
    assert caught.value.field == field
    assert field in str(caught.value)
    assert words in str(caught.value)


def test_value_in_the_other_unit_is_named():
    # 106 is a creatinine in µmol/L, not mg/dL.
    with pytest.raises(CalculatorInputError) as caught:
        egfr_ckd_epi_2021(age_years=50, sex="male", creatinine_mg_dl=106)
    assert caught.value.field == "creatinine_mg_dl"
    assert "106 fits creatinine_umol_l" in caught.value.reason

    # An albumin of 35 is in g/L.
    with pytest.raises(CalculatorInputError, match="fits albumin_g_l"):
        corrected_calcium(calcium_mg_dl=8.0, albumin_g_dl=35)


def test_positional_arguments_are_refused():
    with pytest.raises(TypeError):
        bmi(70, 175)
