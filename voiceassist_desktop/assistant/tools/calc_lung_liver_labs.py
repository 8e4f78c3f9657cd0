"""Pneumonia, liver and electrolyte calculators.

CURB-65, MELD-Na, anion gap, corrected calcium and corrected sodium.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from voiceassist_desktop.assistant.tools.calc_base import (
    ALBUMIN_PARAMS,
    BILIRUBIN_UMOL_PER_MG_DL,
    CALCIUM_MG_DL_PER_MMOL,
    CREATININE_PARAMS,
    GLUCOSE_MG_DL_PER_MMOL,
    SODIUM_PARAM,
    CalculatorInputError,
    CalculatorResult,
    Param,
    age_param,
    albumin_to_g_dl,
    cite,
    creatinine_to_mg_dl,
    flag_param,
    integer_param,
    number_param,
    register,
)

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# Pneumonia


_CURB_65 = cite(
    "Defining community acquired pneumonia severity on presentation to "
    "hospital: an international derivation and validation study",
    "Lim WS, van der Eerden MM, Laing R, et al.",
    "Thorax",
    2003,
    "10.1136/thorax.58.5.377",
)


@register(
    "curb_65",
    "CURB-65 score",
    "Community-acquired pneumonia severity (0-5 points) with its risk group.",
    (
        flag_param("confusion", "New mental confusion"),
        number_param("urea_mmol_l", "Serum urea in mmol/L", 0.5, 150.0),
        number_param("bun_mg_dl", "Blood urea nitrogen in mg/dL", 1.0, 420.0),
        integer_param(
            "respiratory_rate_per_min", "Respiratory rate, breaths/min", 1, 80
        ),
        integer_param("systolic_bp_mmhg", "Systolic blood pressure in mmHg", 30, 300),
        integer_param("diastolic_bp_mmhg", "Diastolic blood pressure in mmHg", 10, 200),
        age_param(),
    ),
    one_of=(("urea_mmol_l", "bun_mg_dl"),),
)
def curb_65(
    *,
    age_years: int,
    respiratory_rate_per_min: int,
    systolic_bp_mmhg: int,
    diastolic_bp_mmhg: int,
    confusion: bool = False,
    urea_mmol_l: float | None = None,
    bun_mg_dl: float | None = None,
) -> CalculatorResult:
    """CURB-65 (Lim et al., 2003).

    One point each: confusion; urea > 7 mmol/L (BUN > 19 mg/dL); respiratory
    rate ≥ 30/min; systolic BP < 90 or diastolic ≤ 60 mmHg; age ≥ 65.

    Args:
        age_years: Age in years.
        respiratory_rate_per_min: Respiratory rate.
        systolic_bp_mmhg: Systolic blood pressure.
        diastolic_bp_mmhg: Diastolic blood pressure.
        confusion: New mental confusion.
        urea_mmol_l: Serum urea in mmol/L, or
        bun_mg_dl: blood urea nitrogen in mg/dL.
    """
    if diastolic_bp_mmhg >= systolic_bp_mmhg:
        raise CalculatorInputError(
            "diastolic_bp_mmhg",
            "diastolic_bp_mmhg must be lower than systolic_bp_mmhg",
        )
    notes: list[str] = []
    if urea_mmol_l is not None:
        urea_point = urea_mmol_l > 7.0
        urea_input: dict[str, float] = {"urea_mmol_l": urea_mmol_l}
    else:
        assert bun_mg_dl is not None
        # The usual US form of the cut-off; 7 mmol/L of urea is 19.6 mg/dL BUN.
        urea_point = bun_mg_dl > 19.0
        urea_input = {"bun_mg_dl": bun_mg_dl}
        notes.append("BUN > 19 mg/dL used as the urea criterion (7 mmol/L)")

    items = {
        "confusion": confusion,
        "urea": urea_point,
        "respiratory_rate": respiratory_rate_per_min >= 30,
        "blood_pressure": systolic_bp_mmhg < 90 or diastolic_bp_mmhg <= 60,
        "age_65": age_years >= 65,
    }
    score = sum(int(v) for v in items.values())
    if score <= 1:
        category = "low"
        text = (
            "group 1, low risk (30-day mortality 1.5% in the derivation "
            "study): consider treatment at home"
        )
    elif score == 2:
        category = "intermediate"
        text = (
            "group 2, intermediate risk (mortality 9.2%): consider a short "
            "admission or closely supervised outpatient treatment"
        )
    else:
        category = "high"
        text = (
            "group 3, high risk (mortality 22%): manage in hospital as "
            "severe pneumonia; consider intensive care when 4 or 5"
        )
    return CalculatorResult(
        calculator="curb_65",
        value=score,
        unit="points",
        formula="one point each: Confusion, Urea > 7 mmol/L, Respiratory rate ≥ "
        "30, Blood pressure (SBP < 90 or DBP ≤ 60), age ≥ 65",
        inputs={
            "age_years": age_years,
            "confusion": confusion,
            **urea_input,
            "respiratory_rate_per_min": respiratory_rate_per_min,
            "systolic_bp_mmhg": systolic_bp_mmhg,
            "diastolic_bp_mmhg": diastolic_bp_mmhg,
        },
        citation=_CURB_65,
        category=category,
        interpretation=text,
        values={
            "points_by_item": {
                "value": {k: int(v) for k, v in items.items()},
                "unit": "points",
            }
        },
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------
# Liver


_MELD_NA = cite(
    "Hyponatremia and mortality among patients on the liver-transplant waiting list",
    "Kim WR, Biggins SW, Kremers WK, et al.",
    "New England Journal of Medicine",
    2008,
    "10.1056/NEJMoa0801209",
)
_MELD = cite(
    "A model to predict survival in patients with end-stage liver disease",
    "Kamath PS, Wiesner RH, Malinchoc M, et al.",
    "Hepatology",
    2001,
    "10.1053/jhep.2001.22172",
)
_OPTN_MELD_2016 = cite(
    "OPTN Policy 9.1: MELD score (serum sodium added, implemented 11 January 2016)",
    "Organ Procurement and Transplantation Network / UNOS",
    "OPTN Policies",
    2016,
)


# TODO(calculators): MELD 3.0 (Kim et al., Gastroenterology 2021), which OPTN
# has used for allocation since July 2023; MELD-Na stays for the literature.
@register(
    "meld_na",
    "MELD-Na score",
    "MELD-Na as calculated by OPTN/UNOS from January 2016 (bounds included).",
    (
        *CREATININE_PARAMS,
        number_param("bilirubin_mg_dl", "Total bilirubin in mg/dL", 0.1, 80.0),
        number_param("bilirubin_umol_l", "Total bilirubin in µmol/L", 1.0, 1370.0),
        number_param("inr", "International normalised ratio", 0.5, 20.0),
        number_param("sodium_mmol_l", "Serum sodium in mmol/L (= mEq/L)", 90.0, 180.0),
        flag_param(
            "dialysis_twice_past_week",
            "Dialysis at least twice, or CVVHD for 24 hours, in the past week",
        ),
    ),
    one_of=(
        ("creatinine_mg_dl", "creatinine_umol_l"),
        ("bilirubin_mg_dl", "bilirubin_umol_l"),
    ),
)
def meld_na(
    *,
    inr: float,
    sodium_mmol_l: float,
    creatinine_mg_dl: float | None = None,
    creatinine_umol_l: float | None = None,
    bilirubin_mg_dl: float | None = None,
    bilirubin_umol_l: float | None = None,
    dialysis_twice_past_week: bool = False,
) -> CalculatorResult:
    """MELD-Na by the 2016 OPTN/UNOS rule.

    Creatinine, bilirubin and INR below 1.0 are set to 1.0; creatinine above
    4.0, or any creatinine with dialysis twice in the past week, is set to
    4.0; sodium is bounded to 125-137. MELD(i) = 0.957 ln(Cr) + 0.378
    ln(bili) + 1.120 ln(INR) + 0.643, rounded to the tenth and multiplied by
    10. When MELD(i) > 11, MELD = MELD(i) + 1.32 × (137 − Na) − 0.033 ×
    MELD(i) × (137 − Na). The result is rounded to a whole number and capped at
    40.

    Args:
        inr: INR.
        sodium_mmol_l: Serum sodium in mmol/L.
        creatinine_mg_dl: Serum creatinine in mg/dL, or
        creatinine_umol_l: serum creatinine in µmol/L.
        bilirubin_mg_dl: Total bilirubin in mg/dL, or
        bilirubin_umol_l: total bilirubin in µmol/L.
        dialysis_twice_past_week: Dialysis ≥ 2 times (or CVVHD 24 h) in 7 days.
    """
    creatinine, notes = creatinine_to_mg_dl(creatinine_mg_dl, creatinine_umol_l)
    if bilirubin_mg_dl is not None:
        bilirubin = bilirubin_mg_dl
    else:
        assert bilirubin_umol_l is not None
        bilirubin = bilirubin_umol_l / BILIRUBIN_UMOL_PER_MG_DL
        notes.append(
            f"bilirubin {bilirubin_umol_l:g} µmol/L = {bilirubin:.2f} mg/dL "
            f"(÷ {BILIRUBIN_UMOL_PER_MG_DL})"
        )

    if dialysis_twice_past_week:
        cr_used = 4.0
        notes.append("creatinine set to 4.0 mg/dL for dialysis in the past week")
    else:
        cr_used = min(max(creatinine, 1.0), 4.0)
    bili_used = max(bilirubin, 1.0)
    inr_used = max(inr, 1.0)
    na_used = min(max(sodium_mmol_l, 125.0), 137.0)
    for label, given, used in (
        ("creatinine", creatinine, cr_used),
        ("bilirubin", bilirubin, bili_used),
        ("INR", inr, inr_used),
        ("sodium", sodium_mmol_l, na_used),
    ):
        if not dialysis_twice_past_week or label != "creatinine":
            if abs(given - used) > 1e-12:
                notes.append(f"{label} {given:.3g} bounded to {used:g}")

    raw = (
        0.957 * math.log(cr_used)
        + 0.378 * math.log(bili_used)
        + 1.120 * math.log(inr_used)
        + 0.643
    )
    # UNOS rounds MELD(i) to the tenth, then multiplies by 10. The small offset
    # keeps binary floating point from rounding x.x5 down.
    meld_i = math.floor(raw * 10 + 0.5 + 1e-9)
    if meld_i > 11:
        score = meld_i + 1.32 * (137 - na_used) - 0.033 * meld_i * (137 - na_used)
    else:
        score = float(meld_i)
    value = min(math.floor(score + 0.5 + 1e-9), 40)
    return CalculatorResult(
        calculator="meld_na",
        value=value,
        unit="points",
        formula="MELD(i) = round1(0.957 ln Cr + 0.378 ln bilirubin + 1.120 ln INR "
        "+ 0.643) × 10; if MELD(i) > 11: MELD = MELD(i) + 1.32 × (137 − Na) − "
        "0.033 × MELD(i) × (137 − Na); bounds Cr/bili/INR ≥ 1, Cr ≤ 4 (4 on "
        "dialysis), Na 125-137, MELD ≤ 40",
        inputs={
            "creatinine_mg_dl": round(cr_used, 3),
            "bilirubin_mg_dl": round(bili_used, 3),
            "inr": inr_used,
            "sodium_mmol_l": na_used,
            "dialysis_twice_past_week": dialysis_twice_past_week,
        },
        citation=_MELD_NA,
        interpretation="higher scores mean higher 90-day waiting-list mortality "
        "(range 6-40). OPTN has allocated by MELD 3.0 since July 2023",
        values={"meld_i": {"value": meld_i, "unit": "points"}},
        notes=tuple(notes),
        references=(_OPTN_MELD_2016, _MELD),
    )


# ---------------------------------------------------------------------------
# Electrolytes


_EMMETT_1977 = cite(
    "Clinical use of the anion gap",
    "Emmett M, Narins RG",
    "Medicine (Baltimore)",
    1977,
    "10.1097/00005792-197701000-00002",
)
_FIGGE_1998 = cite(
    "Anion gap and hypoalbuminemia",
    "Figge J, Jabor A, Kazda A, Fencl V",
    "Critical Care Medicine",
    1998,
    "10.1097/00003246-199811000-00019",
)


@register(
    "anion_gap",
    "Anion gap",
    "Serum anion gap with and without potassium, and corrected for albumin.",
    (
        SODIUM_PARAM,
        number_param("chloride_mmol_l", "Serum chloride in mmol/L", 50.0, 160.0),
        number_param("bicarbonate_mmol_l", "Serum bicarbonate in mmol/L", 1.0, 60.0),
        number_param(
            "potassium_mmol_l", "Serum potassium in mmol/L (optional)", 1.0, 10.0
        ),
        *ALBUMIN_PARAMS,
    ),
    optional=("potassium_mmol_l", "albumin_g_dl", "albumin_g_l"),
)
def anion_gap(
    *,
    sodium_mmol_l: float,
    chloride_mmol_l: float,
    bicarbonate_mmol_l: float,
    potassium_mmol_l: float | None = None,
    albumin_g_dl: float | None = None,
    albumin_g_l: float | None = None,
) -> CalculatorResult:
    """Anion gap: Na − (Cl + HCO₃); with K: Na + K − (Cl + HCO₃).

    With albumin, the Figge correction adds 2.5 mmol/L per g/dL of albumin
    below 4.0 g/dL.

    Args:
        sodium_mmol_l: Sodium.
        chloride_mmol_l: Chloride.
        bicarbonate_mmol_l: Bicarbonate (total CO₂).
        potassium_mmol_l: Potassium, optional.
        albumin_g_dl: Albumin in g/dL, or
        albumin_g_l: albumin in g/L, optional.
    """
    if albumin_g_dl is not None and albumin_g_l is not None:
        raise CalculatorInputError(
            "albumin_g_dl", "give only one of albumin_g_dl, albumin_g_l"
        )
    gap = sodium_mmol_l - (chloride_mmol_l + bicarbonate_mmol_l)
    values: dict[str, dict[str, Any]] = {}
    inputs: dict[str, Any] = {
        "sodium_mmol_l": sodium_mmol_l,
        "chloride_mmol_l": chloride_mmol_l,
        "bicarbonate_mmol_l": bicarbonate_mmol_l,
    }
    notes: list[str] = []
    references: list[dict[str, Any]] = []
    if potassium_mmol_l is not None:
        inputs["potassium_mmol_l"] = potassium_mmol_l
        values["anion_gap_with_potassium"] = {
            "value": round(gap + potassium_mmol_l, 1),
            "unit": "mmol/L",
        }
    corrected = None
    if albumin_g_dl is not None or albumin_g_l is not None:
        albumin, notes = albumin_to_g_dl(albumin_g_dl, albumin_g_l)
        inputs["albumin_g_dl"] = albumin
        corrected = gap + 2.5 * (4.0 - albumin)
        values["albumin_corrected_anion_gap"] = {
            "value": round(corrected, 1),
            "unit": "mmol/L",
        }
        references.append(_FIGGE_1998)

    # Reference ranges depend on the analyser; 3-12 mmol/L (without K) is the
    # common range with ion-selective electrodes.
    judged = corrected if corrected is not None else gap
    if judged > 12:
        category = "high"
    elif judged < 3:
        category = "low"
    else:
        category = "normal"
    which = "albumin-corrected gap" if corrected is not None else "gap"
    return CalculatorResult(
        calculator="anion_gap",
        value=round(gap, 1),
        unit="mmol/L",
        formula="AG = Na − (Cl + HCO₃); AG_K = Na + K − (Cl + HCO₃); corrected AG "
        "= AG + 2.5 × (4.0 − albumin g/dL)",
        inputs=inputs,
        citation=_EMMETT_1977,
        category=category,
        interpretation=f"{which} {round(judged, 1):g} mmol/L is {category} "
        "against a usual range of about 3-12 mmol/L without potassium; use the "
        "laboratory's own range",
        values=values,
        notes=tuple(notes),
        references=tuple(references),
    )


_PAYNE_1973 = cite(
    "Interpretation of serum calcium in patients with abnormal serum proteins",
    "Payne RB, Little AJ, Williams RB, Milner JR",
    "British Medical Journal",
    1973,
    "10.1136/bmj.4.5893.643",
)


@register(
    "corrected_calcium",
    "Albumin-corrected calcium",
    "Total calcium corrected for albumin by Payne: Ca + 0.8 × (4.0 − albumin).",
    (
        number_param("calcium_mg_dl", "Total serum calcium in mg/dL", 2.0, 25.0),
        number_param("calcium_mmol_l", "Total serum calcium in mmol/L", 0.5, 6.25),
        *ALBUMIN_PARAMS,
    ),
    one_of=(("calcium_mg_dl", "calcium_mmol_l"), ("albumin_g_dl", "albumin_g_l")),
)
def corrected_calcium(
    *,
    calcium_mg_dl: float | None = None,
    calcium_mmol_l: float | None = None,
    albumin_g_dl: float | None = None,
    albumin_g_l: float | None = None,
) -> CalculatorResult:
    """Corrected calcium (mg/dL) = Ca + 0.8 × (4.0 − albumin g/dL).

    Args:
        calcium_mg_dl: Total calcium in mg/dL, or
        calcium_mmol_l: total calcium in mmol/L.
        albumin_g_dl: Albumin in g/dL, or
        albumin_g_l: albumin in g/L.
    """
    albumin, notes = albumin_to_g_dl(albumin_g_dl, albumin_g_l)
    if calcium_mg_dl is not None:
        calcium = calcium_mg_dl
    else:
        assert calcium_mmol_l is not None
        calcium = calcium_mmol_l * CALCIUM_MG_DL_PER_MMOL
        notes.append(
            f"calcium {calcium_mmol_l:g} mmol/L = {calcium:.2f} mg/dL "
            f"(× {CALCIUM_MG_DL_PER_MMOL})"
        )
    corrected = calcium + 0.8 * (4.0 - albumin)
    if corrected > 10.5:
        category = "high"
    elif corrected < 8.5:
        category = "low"
    else:
        category = "normal"
    return CalculatorResult(
        calculator="corrected_calcium",
        value=round(corrected, 2),
        unit="mg/dL",
        formula="corrected Ca (mg/dL) = Ca + 0.8 × (4.0 − albumin g/dL)",
        inputs={"calcium_mg_dl": round(calcium, 3), "albumin_g_dl": albumin},
        citation=_PAYNE_1973,
        category=category,
        interpretation=f"{category} against a usual range of 8.5-10.5 mg/dL; "
        "ionised calcium is preferred when albumin is very low or in critical "
        "illness",
        values={
            "corrected_calcium_mmol_l": {
                "value": round(corrected / CALCIUM_MG_DL_PER_MMOL, 2),
                "unit": "mmol/L",
            }
        },
        notes=tuple(notes),
    )


_KATZ_1973 = cite(
    "Hyperglycemia-induced hyponatremia: calculation of expected serum sodium "
    "depression",
    "Katz MA",
    "New England Journal of Medicine",
    1973,
    "10.1056/NEJM197310182891607",
)
_HILLIER_1999 = cite(
    "Hyponatremia: evaluating the correction factor for hyperglycemia",
    "Hillier TA, Abbott RD, Barrett EJ",
    "American Journal of Medicine",
    1999,
    "10.1016/S0002-9343(99)00055-8",
)


@register(
    "corrected_sodium",
    "Sodium corrected for hyperglycaemia",
    "Serum sodium corrected for glucose by Katz (1.6) and Hillier (2.4 mmol/L "
    "per 100 mg/dL above 100).",
    (
        SODIUM_PARAM,
        number_param("glucose_mg_dl", "Serum glucose in mg/dL", 10.0, 3000.0),
        number_param("glucose_mmol_l", "Serum glucose in mmol/L", 0.5, 167.0),
        Param(
            "method",
            "enum",
            "Which factor gives the main value: 'hillier' (2.4, default) or "
            "'katz' (1.6)",
            choices=("hillier", "katz"),
            default="hillier",
        ),
    ),
    one_of=(("glucose_mg_dl", "glucose_mmol_l"),),
)
def corrected_sodium(
    *,
    sodium_mmol_l: float,
    glucose_mg_dl: float | None = None,
    glucose_mmol_l: float | None = None,
    method: str = "hillier",
) -> CalculatorResult:
    """Corrected Na = Na + factor × (glucose − 100) / 100, factor 1.6 or 2.4.

    No correction is applied at a glucose of 100 mg/dL or less.

    Args:
        sodium_mmol_l: Measured sodium.
        glucose_mg_dl: Glucose in mg/dL, or
        glucose_mmol_l: glucose in mmol/L.
        method: "hillier" (2.4) or "katz" (1.6) for the main value.
    """
    notes: list[str] = []
    if glucose_mg_dl is not None:
        glucose = glucose_mg_dl
    else:
        assert glucose_mmol_l is not None
        glucose = glucose_mmol_l * GLUCOSE_MG_DL_PER_MMOL
        notes.append(
            f"glucose {glucose_mmol_l:g} mmol/L = {glucose:.1f} mg/dL "
            f"(× {GLUCOSE_MG_DL_PER_MMOL})"
        )
    excess = max(glucose - 100.0, 0.0) / 100.0
    katz = sodium_mmol_l + 1.6 * excess
    hillier = sodium_mmol_l + 2.4 * excess
    value = hillier if method == "hillier" else katz
    return CalculatorResult(
        calculator="corrected_sodium",
        value=round(value, 1),
        unit="mmol/L",
        formula="corrected Na = Na + k × (glucose mg/dL − 100) / 100; k = 1.6 "
        "(Katz) or 2.4 (Hillier)",
        inputs={
            "sodium_mmol_l": sodium_mmol_l,
            "glucose_mg_dl": round(glucose, 1),
            "method": method,
        },
        citation=_HILLIER_1999 if method == "hillier" else _KATZ_1973,
        values={
            "katz": {"value": round(katz, 1), "unit": "mmol/L"},
            "hillier": {"value": round(hillier, 1), "unit": "mmol/L"},
        },
        notes=tuple(notes),
        references=(_KATZ_1973 if method == "hillier" else _HILLIER_1999,),
    )
