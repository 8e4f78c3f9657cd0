"""The clinical context of a conversation: validation, summary and flags.

A conversation may carry one patient's or case's context (the seed's
ClinicalContext, with weight, height and laboratory values as extra keys).
Values are checked before they are stored, with messages that name the field.
An answer says which parts of the context it used ("Considering: age 78,
creatinine 1.4 mg/dL, allergy: penicillin") and flags a cited passage that
names a drug the patient is allergic to, that concerns renal impairment when
the context shows reduced renal function, or that concerns older patients
when the patient is 65 or over.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voiceassist_desktop.core.errors import ValidationFailed

logger = logging.getLogger(__name__)

# Plausible ranges of vital signs: (low, high, unit, label).
VITAL_RANGES: dict[str, tuple[float, float, str, str]] = {
    "heart_rate": (20, 300, "/min", "heart rate"),
    "bp_systolic": (50, 300, "mmHg", "systolic blood pressure"),
    "bp_diastolic": (20, 200, "mmHg", "diastolic blood pressure"),
    "temperature": (25, 45, "°C", "temperature"),
    "respiratory_rate": (4, 80, "/min", "respiratory rate"),
    "o2_saturation": (50, 100, "%", "oxygen saturation"),
}
INTEGER_VITALS = {
    "heart_rate",
    "bp_systolic",
    "bp_diastolic",
    "respiratory_rate",
    "o2_saturation",
}

# Plausible laboratory values: (low, high, unit, label).
LAB_RANGES: dict[str, tuple[float, float, str, str]] = {
    "serum_creatinine_mg_dl": (0.1, 25.0, "mg/dL", "creatinine"),
    "creatinine_clearance_ml_min": (0.0, 250.0, "mL/min", "CrCl"),
    "egfr_ml_min_1_73m2": (0.0, 200.0, "mL/min/1.73 m²", "eGFR"),
    "potassium_mmol_l": (1.0, 10.0, "mmol/L", "potassium"),
    "sodium_mmol_l": (90.0, 200.0, "mmol/L", "sodium"),
}

SEXES = ("male", "female", "other")
FIELDS = (
    "patient_age",
    "patient_sex",
    "chief_complaint",
    "relevant_history",
    "current_medications",
    "allergies",
    "vital_signs",
    "weight_kg",
    "height_cm",
    "lab_values",
)

# Renal function is taken as reduced from these values on.
RENAL_CREATININE_MG_DL = 1.3
RENAL_CLEARANCE_ML_MIN = 60.0
ELDERLY_AGE = 65

_RENAL_TERMS = re.compile(
    r"\b(?:renal|kidney|creatinine|CrCl|eGFR|dialysis|haemodialysis|"
    r"hemodialysis|ESRD|end[- ]stage renal)\b",
    re.IGNORECASE,
)
_DOSE_TERMS = re.compile(
    r"\b(?:impairment|insufficiency|failure|disease|adjust\w*|reduc\w*|dose|"
    r"dosage|clearance|dialysis)\b",
    re.IGNORECASE,
)
_ELDERLY_TERMS = re.compile(
    r"\b(?:elderly|geriatric|older (?:adults?|patients?|people)|"
    r"aged? (?:≥|>=|over|above|greater than)?\s*(?:6[5-9]|[7-9]\d)|"
    r"(?:≥|>=|>)\s*(?:6[5-9]|[7-9]\d)\s*years)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ContextFlag:
    """A caution about a cited passage, given the patient's context.

    Attributes:
        kind: "allergy", "renal" or "elderly".
        marker: The citation marker [n] of the passage.
        message: A plain sentence for the answer.
    """

    kind: str
    marker: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "marker": self.marker, "message": self.message}


def validate_context(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise the fields of a clinical context.

    Args:
        values: Any subset of `FIELDS`; None clears a field.

    Returns:
        The normalised values (ages and integer vitals as int, lists of
        stripped strings, known vital and laboratory keys only).

    Raises:
        ValidationFailed: Naming the first field that is unknown, of the
            wrong type or out of range.
    """
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise ValidationFailed(key, "is not a field of the clinical context")
        if value is None:
            out[key] = None
        elif key == "patient_age":
            out[key] = _integer(key, value, 0, 150, "age", "years")
        elif key == "patient_sex":
            sex = str(getattr(value, "value", value)).strip().lower()
            if sex not in SEXES:
                raise ValidationFailed(key, "sex must be male, female or other")
            out[key] = sex
        elif key in ("chief_complaint", "relevant_history"):
            out[key] = str(value).strip() or None
        elif key in ("current_medications", "allergies"):
            out[key] = _string_list(key, value)
        elif key == "vital_signs":
            out[key] = _vitals(value)
        elif key == "weight_kg":
            out[key] = _number(key, value, 0.5, 500, "weight", "kg")
        elif key == "height_cm":
            out[key] = _number(key, value, 20, 280, "height", "cm")
        elif key == "lab_values":
            out[key] = _labs(value)
    return out


def _number(field: str, value: Any, low: float, high: float, label: str, unit: str):
    if isinstance(value, bool):
        raise ValidationFailed(field, f"{label} must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(field, f"{label} must be a number") from None
    if not low <= number <= high:
        raise ValidationFailed(
            field, f"{label} {value:g} {unit} is outside {low:g}–{high:g} {unit}"
        )
    return number


def _integer(field: str, value: Any, low: int, high: int, label: str, unit: str):
    number = _number(field, value, low, high, label, unit)
    if number != int(number):
        raise ValidationFailed(field, f"{label} must be a whole number of {unit}")
    return int(number)


def _string_list(field: str, value: Any) -> list[str] | None:
    if isinstance(value, str):
        value = [part for part in re.split(r"[;,\n]", value)]
    if not isinstance(value, Sequence):
        raise ValidationFailed(field, "must be a list of names")
    items = [str(item).strip() for item in value if str(item).strip()]
    return list(dict.fromkeys(items)) or None


def _vitals(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        raise ValidationFailed("vital_signs", "must be a set of named values")
    out: dict[str, Any] = {}
    for key, raw in value.items():
        if raw is None:
            continue
        if key not in VITAL_RANGES:
            raise ValidationFailed(f"vital_signs.{key}", "is not a known vital sign")
        low, high, unit, label = VITAL_RANGES[key]
        field = f"vital_signs.{key}"
        if key in INTEGER_VITALS:
            out[key] = _integer(field, raw, int(low), int(high), label, unit)
        else:
            out[key] = _number(field, raw, low, high, label, unit)
    return out or None


def _labs(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        raise ValidationFailed("lab_values", "must be a set of named values")
    out: dict[str, Any] = {}
    for key, raw in value.items():
        if raw is None:
            continue
        field = f"lab_values.{key}"
        if key in LAB_RANGES:
            low, high, unit, label = LAB_RANGES[key]
            out[key] = _number(field, raw, low, high, label, unit)
        elif isinstance(raw, (int, float, str)) and not isinstance(raw, bool):
            # Other results are kept as given; only known ones have ranges.
            out[key] = raw
        else:
            raise ValidationFailed(field, "must be a number or a short text")
    return out or None


@dataclass(frozen=True)
class ContextView:
    """The parts of a stored context the answer composer reads."""

    age: int | None = None
    sex: str | None = None
    allergies: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    creatinine_mg_dl: float | None = None
    clearance_ml_min: float | None = None
    egfr: float | None = None
    weight_kg: float | None = None
    chief_complaint: str | None = None

    @classmethod
    def of(cls, context: Any) -> ContextView | None:
        """From a `ClinicalContext` row or a mapping of its fields."""
        if context is None:
            return None
        get = (
            context.get
            if isinstance(context, Mapping)
            else lambda k: getattr(context, k, None)
        )
        labs = get("lab_values") or {}
        sex = get("patient_sex")
        return cls(
            age=get("patient_age"),
            sex=str(getattr(sex, "value", sex)) if sex else None,
            allergies=tuple(get("allergies") or ()),
            medications=tuple(get("current_medications") or ()),
            creatinine_mg_dl=labs.get("serum_creatinine_mg_dl"),
            clearance_ml_min=labs.get("creatinine_clearance_ml_min"),
            egfr=labs.get("egfr_ml_min_1_73m2"),
            weight_kg=get("weight_kg"),
            chief_complaint=get("chief_complaint"),
        )

    @property
    def renal_reduced(self) -> bool:
        """Whether the context shows reduced renal function."""
        if self.creatinine_mg_dl is not None:
            if self.creatinine_mg_dl >= RENAL_CREATININE_MG_DL:
                return True
        for value in (self.clearance_ml_min, self.egfr):
            if value is not None and value < RENAL_CLEARANCE_ML_MIN:
                return True
        return False

    @property
    def has_renal_data(self) -> bool:
        return any(
            v is not None
            for v in (self.creatinine_mg_dl, self.clearance_ml_min, self.egfr)
        )

    @property
    def elderly(self) -> bool:
        return self.age is not None and self.age >= ELDERLY_AGE

    @property
    def empty(self) -> bool:
        return not (
            self.age is not None
            or self.sex
            or self.allergies
            or self.medications
            or self.has_renal_data
            or self.weight_kg
        )

    def parts(self) -> list[str]:
        """Every part of the context an answer can take into account."""
        parts = []
        if self.age is not None:
            parts.append(f"age {self.age}")
        if self.sex:
            parts.append(f"sex {self.sex}")
        if self.weight_kg is not None:
            parts.append(f"weight {self.weight_kg:g} kg")
        if self.creatinine_mg_dl is not None:
            parts.append(f"creatinine {self.creatinine_mg_dl:g} mg/dL")
        if self.clearance_ml_min is not None:
            parts.append(f"CrCl {self.clearance_ml_min:g} mL/min")
        if self.egfr is not None:
            parts.append(f"eGFR {self.egfr:g}")
        for allergy in self.allergies:
            parts.append(f"allergy: {allergy}")
        if self.medications:
            parts.append("medications: " + ", ".join(self.medications))
        return parts


def passage_flags(
    view: ContextView | None, passages: Sequence[tuple[int, str]]
) -> list[ContextFlag]:
    """Cautions about cited passages, given the patient's context.

    Args:
        view: The conversation's context, or None.
        passages: (marker, passage text) of every cited passage.

    Returns:
        Flags in marker order: a passage naming a drug the patient is
        allergic to; a passage about renal impairment or dose adjustment when
        the context has renal data; a passage about elderly or geriatric use
        when the patient is 65 or over.
    """
    if view is None or view.empty:
        return []
    flags: list[ContextFlag] = []
    for marker, text in passages:
        for allergy in view.allergies:
            if _names(text, allergy):
                flags.append(
                    ContextFlag(
                        "allergy",
                        marker,
                        f"Caution: [{marker}] names {allergy}, to which the "
                        "patient is allergic.",
                    )
                )
        if (
            view.has_renal_data
            and _RENAL_TERMS.search(text)
            and _DOSE_TERMS.search(text)
        ):
            state = "reduced" if view.renal_reduced else "recorded"
            flags.append(
                ContextFlag(
                    "renal",
                    marker,
                    f"Renal function: [{marker}] concerns renal impairment or dose "
                    f"adjustment, and the patient's renal function is {state} "
                    f"({_renal_summary(view)}).",
                )
            )
        if view.elderly and _ELDERLY_TERMS.search(text):
            flags.append(
                ContextFlag(
                    "elderly",
                    marker,
                    f"Age: [{marker}] concerns older patients, and the patient is "
                    f"{view.age}.",
                )
            )
    return flags


def used_parts(view: ContextView | None) -> list[str]:
    """The parts of the context that the answer took into account.

    Allergies, age and renal values are checked against every cited passage,
    so each is used whenever it is present; the rest only informs the reader.
    """
    if view is None:
        return []
    parts = [f"age {view.age}"] if view.age is not None else []
    parts += _renal_parts(view)
    parts += [f"allergy: {allergy}" for allergy in view.allergies]
    return parts


def _names(text: str, drug: str) -> bool:
    drug = drug.strip()
    if len(drug) < 3:
        return False
    # Allergy to a class ("penicillins") also matches its singular.
    stem = re.escape(drug.rstrip("s"))
    return re.search(rf"\b{stem}s?\b", text, re.IGNORECASE) is not None


def _renal_parts(view: ContextView) -> list[str]:
    parts = []
    if view.creatinine_mg_dl is not None:
        parts.append(f"creatinine {view.creatinine_mg_dl:g} mg/dL")
    if view.clearance_ml_min is not None:
        parts.append(f"CrCl {view.clearance_ml_min:g} mL/min")
    if view.egfr is not None:
        parts.append(f"eGFR {view.egfr:g}")
    return parts


def _renal_summary(view: ContextView) -> str:
    return ", ".join(_renal_parts(view))
