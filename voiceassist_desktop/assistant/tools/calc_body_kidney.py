"""Body size and kidney calculators: BMI, BSA, Cockcroft-Gault, CKD-EPI 2021."""

from __future__ import annotations

import logging
import math

from voiceassist_desktop.assistant.tools.calc_base import (
    CM_PER_INCH,
    CREATININE_PARAMS,
    HEIGHT_PARAM,
    WEIGHT_PARAM,
    CalculatorInputError,
    CalculatorResult,
    Param,
    age_param,
    cite,
    creatinine_to_mg_dl,
    number_param,
    register,
    sex_param,
)

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# Body size


_KEYS_1972 = cite(
    "Indices of relative weight and obesity",
    "Keys A, Fidanza F, Karvonen MJ, Kimura N, Taylor HL",
    "Journal of Chronic Diseases",
    1972,
    "10.1016/0021-9681(72)90027-6",
)
_WHO_2000 = cite(
    "Obesity: preventing and managing the global epidemic. Report of a WHO "
    "consultation",
    "World Health Organization",
    "WHO Technical Report Series 894",
    2000,
)
_MOSTELLER = cite(
    "Simplified calculation of body-surface area",
    "Mosteller RD",
    "New England Journal of Medicine",
    1987,
    "10.1056/NEJM198710223171717",
)
_DU_BOIS = cite(
    "A formula to estimate the approximate surface area if height and weight be known",
    "Du Bois D, Du Bois EF",
    "Archives of Internal Medicine",
    1916,
    "10.1001/archinte.1916.00080130010002",
)


def _bmi_class(bmi: float) -> str:
    # WHO 2000 classification for adults.
    if bmi < 18.5:
        return "underweight"
    if bmi < 25:
        return "normal weight"
    if bmi < 30:
        return "overweight"
    if bmi < 35:
        return "obesity class I"
    if bmi < 40:
        return "obesity class II"
    return "obesity class III"


@register(
    "bmi",
    "Body mass index",
    "Body mass index from weight and height, with the WHO adult class.",
    (WEIGHT_PARAM, HEIGHT_PARAM),
)
def bmi(*, weight_kg: float, height_cm: float) -> CalculatorResult:
    """Body mass index (Quetelet index), kg/m².

    Args:
        weight_kg: Body weight in kg.
        height_cm: Height in cm.
    """
    value = weight_kg / (height_cm / 100.0) ** 2
    category = _bmi_class(value)
    return CalculatorResult(
        calculator="bmi",
        value=round(value, 1),
        unit="kg/m²",
        formula="BMI = weight_kg / (height_m)²",
        inputs={"weight_kg": weight_kg, "height_cm": height_cm},
        citation=_KEYS_1972,
        category=category,
        interpretation=f"{category} by the WHO adult classification "
        "(not valid for children, for whom BMI-for-age centiles apply)",
        references=(_WHO_2000,),
    )


@register(
    "bsa",
    "Body surface area",
    "Body surface area by Mosteller, or by Du Bois and Du Bois.",
    (
        WEIGHT_PARAM,
        HEIGHT_PARAM,
        Param(
            "method",
            "enum",
            "Formula: 'mosteller' (default) or 'du_bois'",
            choices=("mosteller", "du_bois"),
            default="mosteller",
        ),
    ),
)
def bsa(
    *, weight_kg: float, height_cm: float, method: str = "mosteller"
) -> CalculatorResult:
    """Body surface area in m², Mosteller or Du Bois; both are always computed.

    Args:
        weight_kg: Body weight in kg.
        height_cm: Height in cm.
        method: Which formula gives the main value.
    """
    mosteller = math.sqrt(height_cm * weight_kg / 3600.0)
    du_bois = 0.007184 * weight_kg**0.425 * height_cm**0.725
    if method == "du_bois":
        value, formula, citation = (
            du_bois,
            "BSA = 0.007184 × weight_kg^0.425 × height_cm^0.725",
            _DU_BOIS,
        )
    else:
        value, formula, citation = (
            mosteller,
            "BSA = √(height_cm × weight_kg / 3600)",
            _MOSTELLER,
        )
    return CalculatorResult(
        calculator="bsa",
        value=round(value, 2),
        unit="m²",
        formula=formula,
        inputs={"weight_kg": weight_kg, "height_cm": height_cm, "method": method},
        citation=citation,
        values={
            "mosteller": {"value": round(mosteller, 2), "unit": "m²"},
            "du_bois": {"value": round(du_bois, 2), "unit": "m²"},
        },
        references=(_DU_BOIS if citation is _MOSTELLER else _MOSTELLER,),
    )


# ---------------------------------------------------------------------------
# Kidney


_COCKCROFT_GAULT = cite(
    "Prediction of creatinine clearance from serum creatinine",
    "Cockcroft DW, Gault MH",
    "Nephron",
    1976,
    "10.1159/000180580",
)
_DEVINE = cite(
    "Gentamicin therapy",
    "Devine BJ",
    "Drug Intelligence and Clinical Pharmacy",
    1974,
    volume="8",
    pages="650-655",
)
_WINTER_2012 = cite(
    "Impact of various body weights and serum creatinine concentrations on the "
    "bias and accuracy of the Cockcroft-Gault equation",
    "Winter MA, Guhr KN, Berg GM",
    "Pharmacotherapy",
    2012,
    "10.1002/j.1875-9114.2012.01098.x",
    volume="32",
    pages="604-612",
)


def ideal_body_weight_kg(height_cm: float, sex: str) -> float:
    """Ideal body weight by Devine (1974): 50 kg (men) or 45.5 kg (women) + 2.3
    kg per inch over 5 feet.

    Args:
        height_cm: Height in cm.
        sex: "female" or "male".
    """
    inches_over_five_feet = height_cm / CM_PER_INCH - 60.0
    base = 50.0 if sex == "male" else 45.5
    return base + 2.3 * inches_over_five_feet


@register(
    "cockcroft_gault",
    "Cockcroft-Gault creatinine clearance",
    "Creatinine clearance (mL/min) by Cockcroft-Gault with actual, ideal "
    "(Devine) and adjusted body weight, and which weight to use.",
    (
        age_param(),
        sex_param(),
        number_param("weight_kg", "Actual body weight in kg", 20.0, 400.0),
        number_param("height_cm", "Height in cm", 120.0, 250.0),
        *CREATININE_PARAMS,
    ),
    one_of=(("creatinine_mg_dl", "creatinine_umol_l"),),
)
def cockcroft_gault(
    *,
    age_years: int,
    sex: str,
    weight_kg: float,
    height_cm: float,
    creatinine_mg_dl: float | None = None,
    creatinine_umol_l: float | None = None,
) -> CalculatorResult:
    """Creatinine clearance by Cockcroft-Gault with three body weights.

    CrCl = (140 − age) × weight / (72 × SCr), × 0.85 for women. It is computed
    with the actual weight, the Devine ideal body weight (IBW) and the adjusted
    body weight (IBW + 0.4 × (actual − IBW)). The suggested weight follows the
    rule used in drug-dosing practice and supported by Winter et al. (2012):
    the actual weight when it is below the IBW; the adjusted weight when the
    BMI is 30 or more or the actual weight is above 120% of the IBW; otherwise
    the IBW.

    Args:
        age_years: Age, 18 to 120.
        sex: "female" or "male".
        weight_kg: Actual body weight in kg.
        height_cm: Height in cm (for the ideal body weight).
        creatinine_mg_dl: Serum creatinine in mg/dL, or
        creatinine_umol_l: serum creatinine in µmol/L.
    """
    scr, notes = creatinine_to_mg_dl(creatinine_mg_dl, creatinine_umol_l)
    ibw = ideal_body_weight_kg(height_cm, sex)
    if ibw <= 0:
        raise CalculatorInputError(
            "height_cm", "height_cm is too low for the Devine ideal body weight"
        )
    adjusted = ibw + 0.4 * (weight_kg - ibw)
    body_mass_index = weight_kg / (height_cm / 100.0) ** 2
    if height_cm < 60 * CM_PER_INCH:
        notes.append(
            "Devine ideal body weight is defined for heights of 5 ft "
            "(152.4 cm) or more; below that it is extrapolated"
        )

    factor = 0.85 if sex == "female" else 1.0

    def clearance(weight: float) -> float:
        return (140 - age_years) * weight / (72.0 * scr) * factor

    by_weight = {
        "actual": clearance(weight_kg),
        "ideal": clearance(ibw),
        "adjusted": clearance(adjusted),
    }
    if weight_kg < ibw:
        suggested, why = "actual", "actual weight is below the ideal body weight"
    elif body_mass_index >= 30 or weight_kg > 1.2 * ibw:
        suggested, why = (
            "adjusted",
            "BMI is 30 or more or actual weight is above 120% of ideal",
        )
    else:
        suggested, why = "ideal", "actual weight is within 120% of ideal"

    value = round(by_weight[suggested], 1)
    return CalculatorResult(
        calculator="cockcroft_gault",
        value=value,
        unit="mL/min",
        formula="CrCl = (140 − age) × weight_kg / (72 × SCr mg/dL) × 0.85 if "
        "female; IBW (Devine) = 50 (male) or 45.5 (female) + 2.3 × (height_in − "
        "60); adjusted weight = IBW + 0.4 × (actual − IBW)",
        inputs={
            "age_years": age_years,
            "sex": sex,
            "weight_kg": weight_kg,
            "height_cm": height_cm,
            "creatinine_mg_dl": round(scr, 3),
        },
        citation=_COCKCROFT_GAULT,
        category=f"{suggested} body weight",
        interpretation=f"{value:g} mL/min using {suggested} body weight ({why}). "
        "Drug labels state their own renal dosing weight; follow the label "
        "where it says",
        values={
            "crcl_actual_weight": {
                "value": round(by_weight["actual"], 1),
                "unit": "mL/min",
            },
            "crcl_ideal_weight": {
                "value": round(by_weight["ideal"], 1),
                "unit": "mL/min",
            },
            "crcl_adjusted_weight": {
                "value": round(by_weight["adjusted"], 1),
                "unit": "mL/min",
            },
            "ideal_body_weight": {"value": round(ibw, 1), "unit": "kg"},
            "adjusted_body_weight": {"value": round(adjusted, 1), "unit": "kg"},
            "bmi": {"value": round(body_mass_index, 1), "unit": "kg/m²"},
            "suggested_weight": {"value": suggested, "unit": ""},
        },
        notes=tuple(notes),
        references=(_DEVINE, _WINTER_2012),
    )


_CKD_EPI_2021 = cite(
    "New creatinine- and cystatin C-based equations to estimate GFR without race",
    "Inker LA, Eneanya ND, Coresh J, et al.",
    "New England Journal of Medicine",
    2021,
    "10.1056/NEJMoa2102953",
)
_KDIGO_2012 = cite(
    "KDIGO 2012 clinical practice guideline for the evaluation and management "
    "of chronic kidney disease",
    "Kidney Disease: Improving Global Outcomes (KDIGO) CKD Work Group",
    "Kidney International Supplements",
    2013,
    "10.1038/kisup.2012.73",
)


def _gfr_category(egfr: float) -> tuple[str, str]:
    # KDIGO 2012 GFR categories.
    if egfr >= 90:
        return "G1", "normal or high"
    if egfr >= 60:
        return "G2", "mildly decreased"
    if egfr >= 45:
        return "G3a", "mildly to moderately decreased"
    if egfr >= 30:
        return "G3b", "moderately to severely decreased"
    if egfr >= 15:
        return "G4", "severely decreased"
    return "G5", "kidney failure"


@register(
    "egfr_ckd_epi_2021",
    "eGFR, CKD-EPI 2021 creatinine equation",
    "Estimated GFR (mL/min/1.73 m²) by the race-free CKD-EPI 2021 creatinine "
    "equation, with the KDIGO GFR category.",
    (age_param(), sex_param(), *CREATININE_PARAMS),
    one_of=(("creatinine_mg_dl", "creatinine_umol_l"),),
)
def egfr_ckd_epi_2021(
    *,
    age_years: int,
    sex: str,
    creatinine_mg_dl: float | None = None,
    creatinine_umol_l: float | None = None,
) -> CalculatorResult:
    """eGFR by the CKD-EPI 2021 creatinine equation (Inker et al., 2021).

    eGFR = 142 × min(SCr/κ, 1)^α × max(SCr/κ, 1)^−1.200 × 0.9938^age
    × 1.012 if female; κ = 0.7 (female) or 0.9 (male); α = −0.241 (female)
    or −0.302 (male).

    Args:
        age_years: Age, 18 to 120.
        sex: "female" or "male".
        creatinine_mg_dl: Serum creatinine in mg/dL, or
        creatinine_umol_l: serum creatinine in µmol/L.
    """
    scr, notes = creatinine_to_mg_dl(creatinine_mg_dl, creatinine_umol_l)
    female = sex == "female"
    kappa = 0.7 if female else 0.9
    alpha = -0.241 if female else -0.302
    ratio = scr / kappa

    egfr = (
        142.0
        * min(ratio, 1.0) ** alpha
        * max(ratio, 1.0) ** -1.200
        * 0.9938**age_years
        * (1.012 if female else 1.0)
    )
    stage, label = _gfr_category(egfr)
    value = round(egfr)
    return CalculatorResult(
        calculator="egfr_ckd_epi_2021",
        value=value,
        unit="mL/min/1.73 m²",
        formula="eGFR = 142 × min(SCr/κ, 1)^α × max(SCr/κ, 1)^−1.200 × "
        "0.9938^age × 1.012 [female]; κ = 0.7 F / 0.9 M; α = −0.241 F / −0.302 M",
        inputs={
            "age_years": age_years,
            "sex": sex,
            "creatinine_mg_dl": round(scr, 3),
        },
        citation=_CKD_EPI_2021,
        category=stage,
        interpretation=f"GFR category {stage} ({label}) by KDIGO 2012; a CKD "
        "diagnosis also needs duration over 3 months or kidney damage markers",
        values={"egfr_unrounded": {"value": round(egfr, 2), "unit": "mL/min/1.73 m²"}},
        notes=tuple(notes),
        references=(_KDIGO_2012,),
    )
