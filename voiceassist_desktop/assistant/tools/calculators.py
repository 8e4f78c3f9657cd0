"""Clinical calculators: scores and formulas with units, ranges and sources.

Each calculator is a function with keyword-only inputs whose names carry their
unit (``weight_kg``, ``creatinine_mg_dl``). Inputs are checked against the
ranges declared for the calculator before the formula runs; an impossible value
raises :class:`CalculatorInputError` naming the field. Every calculator returns
a :class:`CalculatorResult` with the value, its unit, an interpretation where
the score has one, the formula as text, the inputs used and the paper that
defines it.

``CALCULATORS`` maps each name to a :class:`CalculatorSpec` (name, title,
description, draft-07 JSON Schema of the arguments, ``phi`` false, function).
Importing this module registers every calculator.
"""

from __future__ import annotations

from voiceassist_desktop.assistant.tools.calc_base import (
    CALCULATORS,
    CalculatorInputError,
    CalculatorResult,
    CalculatorSpec,
)
from voiceassist_desktop.assistant.tools.calc_body_kidney import (
    bmi,
    bsa,
    cockcroft_gault,
    egfr_ckd_epi_2021,
    ideal_body_weight_kg,
)
from voiceassist_desktop.assistant.tools.calc_heart_vessels import (
    cha2ds2_vasc,
    has_bled,
    qtc,
    wells_dvt,
    wells_pe,
)
from voiceassist_desktop.assistant.tools.calc_lung_liver_labs import (
    anion_gap,
    corrected_calcium,
    corrected_sodium,
    curb_65,
    meld_na,
)

__all__ = [
    "CALCULATORS",
    "CalculatorInputError",
    "CalculatorResult",
    "CalculatorSpec",
    "anion_gap",
    "bmi",
    "bsa",
    "cha2ds2_vasc",
    "cockcroft_gault",
    "corrected_calcium",
    "corrected_sodium",
    "curb_65",
    "egfr_ckd_epi_2021",
    "has_bled",
    "ideal_body_weight_kg",
    "meld_na",
    "qtc",
    "wells_dvt",
    "wells_pe",
]
