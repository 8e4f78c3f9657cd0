"""Heart and vessel calculators: CHA₂DS₂-VASc, HAS-BLED, Wells DVT/PE, QTc."""

from __future__ import annotations

import logging
import math

from voiceassist_desktop.assistant.tools.calc_base import (
    CalculatorInputError,
    CalculatorResult,
    Param,
    age_param,
    cite,
    flag_param,
    number_param,
    register,
    sex_param,
)

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# Atrial fibrillation


_CHA2DS2_VASC = cite(
    "Refining clinical risk stratification for predicting stroke and "
    "thromboembolism in atrial fibrillation using a novel risk factor-based "
    "approach: the Euro Heart Survey on atrial fibrillation",
    "Lip GYH, Nieuwlaat R, Pisters R, Lane DA, Crijns HJGM",
    "Chest",
    2010,
    "10.1378/chest.09-1584",
)
_HAS_BLED = cite(
    "A novel user-friendly score (HAS-BLED) to assess 1-year risk of major "
    "bleeding in patients with atrial fibrillation: the Euro Heart Survey",
    "Pisters R, Lane DA, Nieuwlaat R, de Vos CB, Crijns HJGM, Lip GYH",
    "Chest",
    2010,
    "10.1378/chest.10-0134",
)

_ESC_AF_2020 = cite(
    "2020 ESC Guidelines for the diagnosis and management of atrial "
    "fibrillation developed in collaboration with the European Association for "
    "Cardio-Thoracic Surgery (EACTS)",
    "Hindricks G, Potpara T, Dagres N, et al.",
    "European Heart Journal",
    2021,
    "10.1093/eurheartj/ehaa612",
)


@register(
    "cha2ds2_vasc",
    "CHA₂DS₂-VASc score",
    "Stroke risk score in atrial fibrillation (0-9 points).",
    (
        age_param(),
        sex_param(),
        flag_param("congestive_heart_failure", "Heart failure or LV dysfunction"),
        flag_param("hypertension", "Hypertension"),
        flag_param("diabetes", "Diabetes mellitus"),
        flag_param(
            "stroke_tia_thromboembolism", "Prior stroke, TIA or thromboembolism"
        ),
        flag_param(
            "vascular_disease",
            "Vascular disease: prior myocardial infarction, peripheral artery "
            "disease or aortic plaque",
        ),
    ),
)
def cha2ds2_vasc(
    *,
    age_years: int,
    sex: str,
    congestive_heart_failure: bool = False,
    hypertension: bool = False,
    diabetes: bool = False,
    stroke_tia_thromboembolism: bool = False,
    vascular_disease: bool = False,
) -> CalculatorResult:
    """CHA₂DS₂-VASc (Lip et al., 2010).

    C 1, H 1, A₂ (age ≥ 75) 2, D 1, S₂ (stroke/TIA/TE) 2, V 1, A (65-74) 1,
    Sc (female) 1.

    Args:
        age_years: Age in years.
        sex: "female" or "male".
        congestive_heart_failure: Heart failure or LV dysfunction.
        hypertension: Hypertension.
        diabetes: Diabetes mellitus.
        stroke_tia_thromboembolism: Prior stroke, TIA or thromboembolism.
        vascular_disease: Prior MI, peripheral artery disease, aortic plaque.
    """
    age_points = 2 if age_years >= 75 else 1 if age_years >= 65 else 0
    points = {
        "congestive_heart_failure": int(congestive_heart_failure),
        "hypertension": int(hypertension),
        "age": age_points,
        "diabetes": int(diabetes),
        "stroke_tia_thromboembolism": 2 * int(stroke_tia_thromboembolism),
        "vascular_disease": int(vascular_disease),
        "sex_female": int(sex == "female"),
    }
    score = sum(points.values())

    # Female sex is a risk modifier rather than a risk factor (ESC 2020): the
    # decision on anticoagulation reads the score without the female point.
    non_sex = score - points["sex_female"]
    if non_sex == 0:
        category = "low"
        text = "low risk: anticoagulation not indicated"
    elif non_sex == 1:
        category = "intermediate"
        text = "one non-sex risk factor: anticoagulation should be considered"
    else:
        category = "high"
        text = "two or more non-sex risk factors: anticoagulation recommended"
    return CalculatorResult(
        calculator="cha2ds2_vasc",
        value=score,
        unit="points",
        formula="CHF 1 + hypertension 1 + age ≥75 2 + diabetes 1 + "
        "stroke/TIA/TE 2 + vascular disease 1 + age 65-74 1 + female 1",
        inputs={
            "age_years": age_years,
            "sex": sex,
            "congestive_heart_failure": congestive_heart_failure,
            "hypertension": hypertension,
            "diabetes": diabetes,
            "stroke_tia_thromboembolism": stroke_tia_thromboembolism,
            "vascular_disease": vascular_disease,
        },
        citation=_CHA2DS2_VASC,
        category=category,
        interpretation=f"{text} (2020 ESC atrial fibrillation guideline)",
        values={"points_by_item": {"value": points, "unit": "points"}},
        references=(_ESC_AF_2020,),
    )


@register(
    "has_bled",
    "HAS-BLED score",
    "One-year major bleeding risk score in atrial fibrillation (0-9 points).",
    (
        flag_param("hypertension", "Uncontrolled hypertension, systolic > 160 mmHg"),
        flag_param(
            "abnormal_renal_function",
            "Dialysis, kidney transplant or creatinine ≥ 200 µmol/L (2.26 mg/dL)",
        ),
        flag_param(
            "abnormal_liver_function",
            "Cirrhosis, or bilirubin > 2× upper limit with AST/ALT/ALP > 3× "
            "upper limit",
        ),
        flag_param("stroke", "Prior stroke"),
        flag_param("bleeding", "Prior major bleeding or predisposition (anaemia)"),
        flag_param("labile_inr", "Labile INR: time in therapeutic range < 60%"),
        age_param(),
        flag_param("drugs", "Antiplatelet agents or NSAIDs"),
        flag_param("alcohol", "Alcohol use ≥ 8 drinks a week"),
    ),
)
def has_bled(
    *,
    age_years: int,
    hypertension: bool = False,
    abnormal_renal_function: bool = False,
    abnormal_liver_function: bool = False,
    stroke: bool = False,
    bleeding: bool = False,
    labile_inr: bool = False,
    drugs: bool = False,
    alcohol: bool = False,
) -> CalculatorResult:
    """HAS-BLED (Pisters et al., 2010): one point per item, elderly = age > 65.

    Args:
        age_years: Age in years (a point when over 65).
        hypertension: Uncontrolled, systolic > 160 mmHg.
        abnormal_renal_function: Dialysis, transplant or creatinine ≥ 200 µmol/L.
        abnormal_liver_function: Cirrhosis or marked liver test derangement.
        stroke: Prior stroke.
        bleeding: Prior major bleeding or predisposition.
        labile_inr: Time in therapeutic range below 60%.
        drugs: Antiplatelet agents or NSAIDs.
        alcohol: ≥ 8 drinks a week.
    """
    items = {
        "hypertension": hypertension,
        "abnormal_renal_function": abnormal_renal_function,
        "abnormal_liver_function": abnormal_liver_function,
        "stroke": stroke,
        "bleeding": bleeding,
        "labile_inr": labile_inr,
        "elderly": age_years > 65,
        "drugs": drugs,
        "alcohol": alcohol,
    }
    score = sum(int(v) for v in items.values())
    if score >= 3:
        category = "high"
        text = (
            "high bleeding risk: caution and regular review; correct the "
            "modifiable factors"
        )
    elif score >= 1:
        category = "moderate"
        text = "moderate bleeding risk"
    else:
        category = "low"
        text = "low bleeding risk"
    return CalculatorResult(
        calculator="has_bled",
        value=score,
        unit="points",
        formula="one point each: Hypertension, Abnormal renal function, Abnormal "
        "liver function, Stroke, Bleeding, Labile INR, Elderly (>65), Drugs, "
        "Alcohol",
        inputs={
            "age_years": age_years,
            **{k: v for k, v in items.items() if k != "elderly"},
        },
        citation=_HAS_BLED,
        category=category,
        interpretation=f"{text}. A high score is not by itself a reason to "
        "withhold anticoagulation",
        values={
            "points_by_item": {
                "value": {k: int(v) for k, v in items.items()},
                "unit": "points",
            }
        },
    )


# ---------------------------------------------------------------------------
# Venous thromboembolism


_WELLS_DVT_2003 = cite(
    "Evaluation of D-dimer in the diagnosis of suspected deep-vein thrombosis",
    "Wells PS, Anderson DR, Rodger M, et al.",
    "New England Journal of Medicine",
    2003,
    "10.1056/NEJMoa023153",
)
_WELLS_DVT_1997 = cite(
    "Value of assessment of pretest probability of deep-vein thrombosis in "
    "clinical management",
    "Wells PS, Anderson DR, Bormanis J, et al.",
    "Lancet",
    1997,
    "10.1016/S0140-6736(97)08140-3",
)
_WELLS_PE_2000 = cite(
    "Derivation of a simple clinical model to categorize patients probability "
    "of pulmonary embolism: increasing the models utility with the SimpliRED "
    "D-dimer",
    "Wells PS, Anderson DR, Rodger M, et al.",
    "Thrombosis and Haemostasis",
    2000,
    "10.1055/s-0037-1613830",
    volume="83",
    pages="416-420",
)


@register(
    "wells_dvt",
    "Wells score for deep-vein thrombosis",
    "Clinical probability of DVT (Wells 2003, with previous DVT), two-tier and "
    "three-tier reading.",
    (
        flag_param(
            "active_cancer", "Active cancer (treatment within 6 months or palliative)"
        ),
        flag_param(
            "paralysis_or_recent_cast",
            "Paralysis, paresis or recent plaster immobilisation of the leg",
        ),
        flag_param(
            "bedridden_or_recent_surgery",
            "Bedridden 3 days or more, or major surgery within 12 weeks",
        ),
        flag_param(
            "localized_tenderness", "Localised tenderness along the deep venous system"
        ),
        flag_param("entire_leg_swollen", "Entire leg swollen"),
        flag_param(
            "calf_swelling_3cm",
            "Calf swelling ≥ 3 cm over the other side "
            "(10 cm below the tibial tuberosity)",
        ),
        flag_param("pitting_edema", "Pitting oedema confined to the symptomatic leg"),
        flag_param(
            "collateral_superficial_veins",
            "Collateral superficial veins (not varicose)",
        ),
        flag_param("previous_dvt", "Previously documented DVT"),
        flag_param(
            "alternative_diagnosis_as_likely",
            "An alternative diagnosis at least as likely as DVT (−2)",
        ),
    ),
)
def wells_dvt(
    *,
    active_cancer: bool = False,
    paralysis_or_recent_cast: bool = False,
    bedridden_or_recent_surgery: bool = False,
    localized_tenderness: bool = False,
    entire_leg_swollen: bool = False,
    calf_swelling_3cm: bool = False,
    pitting_edema: bool = False,
    collateral_superficial_veins: bool = False,
    previous_dvt: bool = False,
    alternative_diagnosis_as_likely: bool = False,
) -> CalculatorResult:
    """Wells DVT score as in Wells et al. (2003): nine items of +1 and −2 for
    an alternative diagnosis at least as likely.

    Two tiers (2003): ≥ 2 DVT likely, < 2 unlikely. Three tiers (1997): ≥ 3
    high, 1-2 moderate, ≤ 0 low.

    Args:
        active_cancer: Active cancer.
        paralysis_or_recent_cast: Paralysis, paresis or recent leg cast.
        bedridden_or_recent_surgery: Bedridden ≥ 3 days or surgery ≤ 12 weeks.
        localized_tenderness: Tenderness along the deep veins.
        entire_leg_swollen: Entire leg swollen.
        calf_swelling_3cm: Calf swelling ≥ 3 cm.
        pitting_edema: Pitting oedema of the symptomatic leg.
        collateral_superficial_veins: Non-varicose collateral veins.
        previous_dvt: Previously documented DVT.
        alternative_diagnosis_as_likely: Alternative diagnosis as likely (−2).
    """
    plus_one = {
        "active_cancer": active_cancer,
        "paralysis_or_recent_cast": paralysis_or_recent_cast,
        "bedridden_or_recent_surgery": bedridden_or_recent_surgery,
        "localized_tenderness": localized_tenderness,
        "entire_leg_swollen": entire_leg_swollen,
        "calf_swelling_3cm": calf_swelling_3cm,
        "pitting_edema": pitting_edema,
        "collateral_superficial_veins": collateral_superficial_veins,
        "previous_dvt": previous_dvt,
    }
    score = sum(int(v) for v in plus_one.values())
    score -= 2 * int(alternative_diagnosis_as_likely)

    two_tier = "DVT likely" if score >= 2 else "DVT unlikely"
    three_tier = "high" if score >= 3 else "moderate" if score >= 1 else "low"
    return CalculatorResult(
        calculator="wells_dvt",
        value=score,
        unit="points",
        formula="+1 each: active cancer, paralysis/cast, bedridden ≥3 d or "
        "surgery ≤12 wk, deep-vein tenderness, entire leg swollen, calf swelling "
        "≥3 cm, pitting oedema, collateral veins, previous DVT; −2 alternative "
        "diagnosis at least as likely",
        inputs={
            **plus_one,
            "alternative_diagnosis_as_likely": alternative_diagnosis_as_likely,
        },
        citation=_WELLS_DVT_2003,
        category=two_tier,
        interpretation=f"{two_tier} (≥ 2 likely; Wells 2003); {three_tier} "
        "probability on the three-tier reading (≥ 3 high, 1-2 moderate, ≤ 0 "
        "low; Wells 1997)",
        values={
            "two_tier": {"value": two_tier, "unit": ""},
            "three_tier": {"value": three_tier, "unit": ""},
        },
        references=(_WELLS_DVT_1997,),
    )


@register(
    "wells_pe",
    "Wells score for pulmonary embolism",
    "Clinical probability of PE (Wells 2000), three-tier and two-tier reading.",
    (
        flag_param("clinical_signs_dvt", "Clinical signs and symptoms of DVT (3)"),
        flag_param("pe_most_likely", "PE is the most likely diagnosis (3)"),
        flag_param("heart_rate_over_100", "Heart rate > 100/min (1.5)"),
        flag_param(
            "immobilization_or_recent_surgery",
            "Immobilisation ≥ 3 days or surgery in the previous 4 weeks (1.5)",
        ),
        flag_param("previous_dvt_pe", "Previous DVT or PE (1.5)"),
        flag_param("hemoptysis", "Haemoptysis (1)"),
        flag_param(
            "malignancy", "Malignancy, treated within 6 months or palliative (1)"
        ),
    ),
)
def wells_pe(
    *,
    clinical_signs_dvt: bool = False,
    pe_most_likely: bool = False,
    heart_rate_over_100: bool = False,
    immobilization_or_recent_surgery: bool = False,
    previous_dvt_pe: bool = False,
    hemoptysis: bool = False,
    malignancy: bool = False,
) -> CalculatorResult:
    """Wells PE score (Wells et al., 2000).

    Three tiers: < 2 low, 2-6 moderate, > 6 high. Two tiers: ≤ 4 PE unlikely,
    > 4 PE likely.

    Args:
        clinical_signs_dvt: Signs and symptoms of DVT (3 points).
        pe_most_likely: PE as or more likely than an alternative (3).
        heart_rate_over_100: Heart rate above 100/min (1.5).
        immobilization_or_recent_surgery: Immobilisation or surgery (1.5).
        previous_dvt_pe: Previous DVT or PE (1.5).
        hemoptysis: Haemoptysis (1).
        malignancy: Malignancy (1).
    """
    weights = {
        "clinical_signs_dvt": (clinical_signs_dvt, 3.0),
        "pe_most_likely": (pe_most_likely, 3.0),
        "heart_rate_over_100": (heart_rate_over_100, 1.5),
        "immobilization_or_recent_surgery": (immobilization_or_recent_surgery, 1.5),
        "previous_dvt_pe": (previous_dvt_pe, 1.5),
        "hemoptysis": (hemoptysis, 1.0),
        "malignancy": (malignancy, 1.0),
    }
    score = sum(w for present, w in weights.values() if present)
    three_tier = "high" if score > 6 else "moderate" if score >= 2 else "low"
    two_tier = "PE likely" if score > 4 else "PE unlikely"
    return CalculatorResult(
        calculator="wells_pe",
        value=score,
        unit="points",
        formula="DVT signs 3 + PE most likely 3 + HR > 100 1.5 + immobilisation "
        "or surgery 1.5 + previous DVT/PE 1.5 + haemoptysis 1 + malignancy 1",
        inputs={k: present for k, (present, _) in weights.items()},
        citation=_WELLS_PE_2000,
        category=two_tier,
        interpretation=f"{two_tier} (> 4 likely); {three_tier} probability on "
        "the three-tier reading (< 2 low, 2-6 moderate, > 6 high)",
        values={
            "two_tier": {"value": two_tier, "unit": ""},
            "three_tier": {"value": three_tier, "unit": ""},
        },
    )


# ---------------------------------------------------------------------------
# ECG


_BAZETT = cite(
    "An analysis of the time-relations of electrocardiograms",
    "Bazett HC",
    "Heart",
    1920,
    volume="7",
    pages="353-370",
)
_FRIDERICIA = cite(
    "Die Systolendauer im Elektrokardiogramm bei normalen Menschen und bei Herzkranken",
    "Fridericia LS",
    "Acta Medica Scandinavica",
    1920,
    volume="53",
    pages="469-486",
)
_AHA_QT_2009 = cite(
    "AHA/ACCF/HRS recommendations for the standardization and interpretation "
    "of the electrocardiogram: part IV: the ST segment, T and U waves, and the "
    "QT interval",
    "Rautaharju PM, Surawicz B, Gettes LS",
    "Circulation",
    2009,
    "10.1161/CIRCULATIONAHA.108.191096",
)


@register(
    "qtc",
    "Corrected QT interval",
    "QTc by Bazett and by Fridericia from the QT interval and the heart rate "
    "or RR interval.",
    (
        number_param("qt_ms", "Measured QT interval in ms", 150.0, 800.0),
        number_param("heart_rate_bpm", "Heart rate in beats/min", 20.0, 300.0),
        number_param("rr_ms", "RR interval in ms", 200.0, 3000.0),
        sex_param(),
        Param(
            "method",
            "enum",
            "Which correction gives the main value: 'bazett' or 'fridericia' (default)",
            choices=("bazett", "fridericia"),
            default="fridericia",
        ),
    ),
    one_of=(("heart_rate_bpm", "rr_ms"),),
    optional=("sex",),
)
def qtc(
    *,
    qt_ms: float,
    heart_rate_bpm: float | None = None,
    rr_ms: float | None = None,
    sex: str | None = None,
    method: str = "fridericia",
) -> CalculatorResult:
    """Corrected QT: Bazett QT/√RR and Fridericia QT/∛RR, RR in seconds.

    Fridericia is the default main value, since Bazett over-corrects at fast
    heart rates; both are returned.

    Args:
        qt_ms: Measured QT in ms.
        heart_rate_bpm: Heart rate, or
        rr_ms: RR interval in ms.
        sex: "female" or "male", for the prolongation cut-off (optional).
        method: Which correction gives the main value.
    """
    rr_s = 60.0 / heart_rate_bpm if heart_rate_bpm is not None else rr_ms / 1000.0
    if qt_ms >= rr_s * 1000.0:
        raise CalculatorInputError(
            "qt_ms", "qt_ms must be shorter than the RR interval"
        )
    bazett = qt_ms / math.sqrt(rr_s)
    fridericia = qt_ms / rr_s ** (1.0 / 3.0)
    value = round(bazett if method == "bazett" else fridericia)

    # AHA/ACCF/HRS 2009: prolonged at 450 ms or more in men, 460 ms in women.
    limit = {"male": 450, "female": 460}.get(sex or "", 460)
    if value >= 500:
        category = "markedly prolonged"
    elif value >= limit:
        category = "prolonged"
    elif value <= 390:
        category = "short"
    else:
        category = "normal"
    return CalculatorResult(
        calculator="qtc",
        value=value,
        unit="ms",
        formula="RR_s = 60 / HR; Bazett QTc = QT / √RR_s; Fridericia QTc = QT / ∛RR_s",
        inputs={
            "qt_ms": qt_ms,
            "rr_s": round(rr_s, 4),
            "method": method,
            **({"sex": sex} if sex else {}),
        },
        citation=_FRIDERICIA if method == "fridericia" else _BAZETT,
        category=category,
        interpretation=f"{category}: prolonged at ≥ {limit} ms"
        + ("" if sex else " (sex not given; the female cut-off is used)")
        + ", ≥ 500 ms carries a high risk of torsades de pointes",
        values={
            "bazett": {"value": round(bazett), "unit": "ms"},
            "fridericia": {"value": round(fridericia), "unit": "ms"},
            "rr_interval": {"value": round(rr_s * 1000.0), "unit": "ms"},
        },
        references=(_BAZETT if method == "fridericia" else _FRIDERICIA, _AHA_QT_2009),
    )
