"""Recognising a question that plainly asks for a calculation.

A deterministic reader, no model: key words name the calculator ("CrCl",
"CHA2DS2-VASc", "corrected calcium"), and numbers are read beside their units
or their labels ("62 kg", "creatinine 1.4", "BP 90/60"). A question counts as
a calculation request when it names a calculator and either gives at least
one value or asks for it outright ("calculate her CrCl", "what is the
CHA2DS2-VASc?"). A question about a score ("when is CHA2DS2-VASc used?")
gives no value and asks for nothing, so it goes to the library instead.

Values left out are filled from the conversation's clinical context.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

_NUM = r"(\d+(?:\.\d+)?)"
# Between a label and its value: "creatinine 1.4", "creatinine of 1.4",
# "creatinine is 1.4", "creatinine: 1.4", "creatinine = 1.4 mg/dL".
_GAP = r"\s*(?:(?:of|is|was|at|=|:|-)\s*)?"

# Calculator names, most specific first; each name is tried in order.
_TOOL_WORDS: list[tuple[str, re.Pattern[str]]] = [
    (
        "cha2ds2_vasc",
        re.compile(r"cha\s*2?\s*ds\s*2?\s*-?\s*vasc|cha₂ds₂-?vasc|chads-?vasc", re.I),
    ),
    ("has_bled", re.compile(r"\bhas[\s-]?bled\b", re.I)),
    ("curb_65", re.compile(r"\bcurb[\s-]?65\b|\bcrb[\s-]?65\b", re.I)),
    (
        "wells_pe",
        re.compile(r"\bwells\b.{0,40}\b(?:pe|pulmonary embol\w*)\b", re.I),
    ),
    (
        "wells_dvt",
        re.compile(r"\bwells\b.{0,40}\b(?:dvt|deep[\s-]vein\w*|thrombosis)\b", re.I),
    ),
    ("meld_na", re.compile(r"\bmeld(?:[\s-]?na)?\b", re.I)),
    (
        "qtc",
        re.compile(r"\bqtc\w*\b|\bcorrected\s+qt\b|\bbazett\b|\bfridericia\b", re.I),
    ),
    ("anion_gap", re.compile(r"\banion\s+gap\b", re.I)),
    (
        "corrected_calcium",
        re.compile(
            r"\bcorrected\s+(?:serum\s+)?calcium\b|\bcalcium\b.{0,20}\bcorrect",
            re.I,
        ),
    ),
    (
        "corrected_sodium",
        re.compile(
            r"\bcorrected\s+(?:serum\s+)?sodium\b|\bsodium\b.{0,20}\bcorrect",
            re.I,
        ),
    ),
    (
        "egfr_ckd_epi_2021",
        re.compile(r"\be?gfr\b|\bckd[\s-]?epi\b", re.I),
    ),
    (
        "cockcroft_gault",
        re.compile(
            r"\bcrcl\b|\bcreatinine\s+clearance\b|\bcockcroft\b|\bcockroft\b", re.I
        ),
    ),
    ("bsa", re.compile(r"\bbsa\b|\bbody\s+surface\s+area\b|\bmosteller\b", re.I)),
    ("bmi", re.compile(r"\bbmi\b|\bbody\s+mass\s+index\b", re.I)),
]

# "calculate her CrCl", "what is the BMI", "what's his CHA2DS2-VASc score";
# "calculated" (a question about the method) does not count.
_ASKS = re.compile(
    r"\b(?:calculate|compute|work\s+out|estimate)\b"
    r"|^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?"
    r"(?:give\s+me|show\s+me|get|what\s+is|what's|whats|what\s+would\s+be)\b",
    re.I,
)

# A question about a score rather than for one: "what is the normal anion
# gap?", "what does a CHA2DS2-VASc of 2 mean?".
_ABOUT = re.compile(
    r"\b(?:normal|range|cut-?offs?|thresholds?|interpret\w*|mean(?:s|ing)?|"
    r"defin\w*|validat\w*|limitations?|accura\w*|why|when|how)\b",
    re.I,
)

# Words that turn the flag after them off: "no diabetes", "without CHF".
_NEGATION = re.compile(
    r"(?:\bno|\bnot|\bwithout|\bdenies|\bnegative\s+for|\bfree\s+of|\bnon)"
    r"[\s-]+(?:\w+[\s-]+){0,2}$",
    re.I,
)

# Clinical findings that set a calculator's yes/no inputs.
_FLAGS: dict[str, str] = {
    "congestive_heart_failure": r"heart\s+failure|\bchf\b|\bhf\b|lv\s+dysfunction"
    r"|reduced\s+ejection",
    "hypertension": r"hypertensi\w*|\bhtn\b|high\s+blood\s+pressure",
    "diabetes": r"diabet\w*|\bt[12]dm\b|\bdm\b|\biddm\b|\bniddm\b",
    "stroke_tia_thromboembolism": r"stroke|\btia\b|transient\s+ischa?emic"
    r"|thromboembol\w*",
    "stroke": r"stroke|\btia\b|transient\s+ischa?emic",
    "vascular_disease": r"vascular\s+disease|myocardial\s+infarction|\bmi\b"
    r"|\bpad\b|peripheral\s+arter\w*|aortic\s+plaque",
    "abnormal_renal_function": r"dialysis|renal\s+transplant|kidney\s+transplant"
    r"|abnormal\s+renal",
    "abnormal_liver_function": r"cirrhosis|abnormal\s+liver|hepatic\s+impairment",
    "bleeding": r"(?:prior|previous|history\s+of|major)\s+bleed\w*|bleeding\s+history",
    "labile_inr": r"labile\s+inr",
    "drugs": r"antiplatelet|aspirin|clopidogrel|nsaids?\b",
    "alcohol": r"alcohol",
    "confusion": r"confus\w*|disorient\w*",
    "active_cancer": r"active\s+cancer|malignan\w*|chemotherapy",
    "malignancy": r"cancer|malignan\w*",
    "paralysis_or_recent_cast": r"paralys\w*|paresis|plaster|\bcast\b",
    "bedridden_or_recent_surgery": r"bedridden|bed[\s-]?bound|recent\s+surgery",
    "immobilization_or_recent_surgery": r"immobili[sz]\w*|recent\s+surgery",
    "localized_tenderness": r"tenderness",
    "entire_leg_swollen": r"(?:entire|whole)\s+leg\s+swol\w*",
    "calf_swelling_3cm": r"calf\s+swelling",
    "pitting_edema": r"pitting\s+o?edema",
    "collateral_superficial_veins": r"collateral\s+(?:superficial\s+)?veins",
    "previous_dvt": r"previous\s+dvt|prior\s+dvt|history\s+of\s+dvt",
    "previous_dvt_pe": r"(?:previous|prior|history\s+of)\s+(?:dvt|pe|vte)",
    "alternative_diagnosis_as_likely": r"alternative\s+diagnosis",
    "clinical_signs_dvt": r"signs\s+of\s+dvt|clinical\s+signs",
    "pe_most_likely": r"pe\s+(?:is\s+)?(?:the\s+)?most\s+likely",
    "heart_rate_over_100": r"tachycardi\w*",
    "hemoptysis": r"ha?emoptysis",
    "dialysis_twice_past_week": r"dialysis",
}


@dataclass(frozen=True)
class ToolRequest:
    """A calculation asked for in a question.

    Attributes:
        tool: The calculator's name.
        arguments: The values read from the question, in the schema's units.
        asked: Whether the question asked for it outright.
    """

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    asked: bool = False


def which_tool(question: str, names: Iterable[str]) -> str | None:
    """The calculator a question names, or None."""
    known = set(names)
    for name, pattern in _TOOL_WORDS:
        if name in known and pattern.search(question):
            return name
    return None


def parse_request(question: str, names: Iterable[str]) -> ToolRequest | None:
    """Reads a calculation request; None when the question is not one.

    Args:
        question: The clinician's question.
        names: The calculators that exist.
    """
    tool = which_tool(question, names)
    if tool is None:
        return None
    values = read_values(question, tool)
    asked = bool(_ASKS.search(question))
    if not values and (not asked or _ABOUT.search(question)):
        return None
    return ToolRequest(tool, values, asked)


# --- reading values ------------------------------------------------------------------


def _first(pattern: str, text: str) -> re.Match[str] | None:
    return re.search(pattern, text, re.I)


def _number(pattern: str, text: str) -> float | None:
    m = _first(pattern, text)
    return float(m.group(1)) if m else None


def read_values(question: str, tool: str) -> dict[str, Any]:
    """Every value a question gives, named as the calculators name them."""
    text = question.replace("µ", "u").replace("μ", "u")
    # The calculator's own name must not be read as a value ("CURB-65",
    # "CHA2DS2-VASc"); blank it out first.
    for name, pattern in _TOOL_WORDS:
        if name == tool:
            text = pattern.sub(
                lambda m: " " if any(c.isdigit() for c in m.group()) else m.group(),
                text,
            )
    values: dict[str, Any] = {}

    _read_demographics(text, values)
    _read_body(text, values)
    _read_labs(text, values, tool)
    _read_vitals(text, values, tool)
    if tool == "qtc":
        _read_qt(text, values)

    values.update(read_flags(text))
    method = _first(r"\b(bazett|fridericia|mosteller|du\s*bois|hillier|katz)\b", text)
    if method:
        values["method"] = re.sub(r"\s+", "_", method.group(1).lower())
    return values


# "78F", "78 yo M": case matters, since "1.75 m" is a height.
_SHORT_AGE_SEX = re.compile(r"(?<![\d.])(\d{1,3})\s?(?:yo\s?|y/o\s?)?([MF])\b")


def _read_demographics(text: str, values: dict[str, Any]) -> None:
    age = (
        _number(
            r"\b(\d{1,3})\s*-?\s*(?:years?|yrs?|y)\s*-?\s*(?:old|of\s+age)?\b", text
        )
        or _number(r"\b(\d{1,3})\s*y/?o\b", text)
        or _number(r"\baged?" + _GAP + r"(\d{1,3})\b", text)
    )
    short = _SHORT_AGE_SEX.search(text)
    if age is None and short:
        age = float(short.group(1))
    if age is not None:
        values["age_years"] = int(age)

    female = _first(r"\b(?:woman|women|female|lady|girl|she|her|mrs)\b", text)
    male = _first(r"\b(?:man|men|male|gentleman|boy|he|his|him)\b", text)
    if short:
        female = female or short.group(2) == "F"
        male = male or short.group(2) == "M"
    if female and not male:
        values["sex"] = "female"
    elif male and not female:
        values["sex"] = "male"


def _read_body(text: str, values: dict[str, Any]) -> None:
    kg = _number(r"\b" + _NUM + r"\s*(?:kg|kgs|kilos?|kilograms?)\b", text)
    if kg is None:
        kg = _number(r"\b(?:weight|weighs|weighing|wt)" + _GAP + _NUM + r"\b", text)
    if kg is None:
        lb = _number(r"\b" + _NUM + r"\s*(?:lb|lbs|pounds?)\b", text)
        if lb is not None:
            kg = round(lb * 0.45359237, 1)
    if kg is not None:
        values["weight_kg"] = kg

    cm = _number(r"\b" + _NUM + r"\s*(?:cm|centimet(?:er|re)s?)\b", text)
    if cm is None:
        metres = _number(r"\b(\d\.\d{1,2})\s*(?:m|metres?|meters?)\b", text)
        if metres is not None:
            cm = round(metres * 100.0, 1)
    if cm is None:
        feet = _first(
            r"\b(\d)\s*(?:'|’|ft|feet|foot)\s*(\d{1,2})?\s*(?:\"|”|''|in|inch\w*)?",
            text,
        )
        if feet:
            inches = int(feet.group(1)) * 12 + int(feet.group(2) or 0)
            cm = round(inches * 2.54, 1)
    if cm is None:
        cm = _number(r"\b(?:height|tall|ht)" + _GAP + _NUM + r"\b", text)
    if cm is not None:
        values["height_cm"] = cm


def _lab(
    text: str, label: str, units: Mapping[str, str]
) -> tuple[float, str | None] | None:
    """A value after `label`, with its unit's key when one is written."""
    unit_pattern = "|".join(re.escape(u) for u in units)
    m = _first(
        r"(?:" + label + r")" + _GAP + _NUM + r"\s*(" + unit_pattern + r")?(?![\w/])",
        text,
    )
    if not m:
        return None
    unit = m.group(2)
    return float(m.group(1)), (units[unit.lower()] if unit else None)


_CREATININE_LABEL = (
    r"\b(?:serum\s+)?(?:creatinine|creat|s?cr)\b(?!\s*(?:cl\b|clearance))"
)
_MG_UMOL = {"mg/dl": "mg_dl", "umol/l": "umol_l", "micromol/l": "umol_l"}


def _read_labs(text: str, values: dict[str, Any], tool: str) -> None:
    creatinine = _lab(text, _CREATININE_LABEL, _MG_UMOL)
    if creatinine:
        value, unit = creatinine
        # Without a unit, a value above 30 can only be µmol/L.
        unit = unit or ("umol_l" if value > 30 else "mg_dl")
        values[f"creatinine_{unit}"] = value

    albumin = _lab(text, r"\balb(?:umin)?\b", {"g/dl": "g_dl", "g/l": "g_l"})
    if albumin:
        value, unit = albumin
        unit = unit or ("g_l" if value > 10 else "g_dl")
        values[f"albumin_{unit}"] = value

    calcium = _lab(
        text,
        r"\b(?:(?:corrected|total|serum)\s+)?(?:calcium|ca)\b",
        {"mg/dl": "mg_dl", "mmol/l": "mmol_l"},
    )
    if calcium:
        value, unit = calcium
        unit = unit or ("mmol_l" if value < 5 else "mg_dl")
        values[f"calcium_{unit}"] = value

    glucose = _lab(
        text,
        r"\b(?:glucose|blood\s+sugar|bg|bgl|glu)\b",
        {"mg/dl": "mg_dl", "mmol/l": "mmol_l"},
    )
    if glucose:
        value, unit = glucose
        unit = unit or ("mg_dl" if value > 50 else "mmol_l")
        values[f"glucose_{unit}"] = value

    bilirubin = _lab(text, r"\b(?:bilirubin|bili|tbili)\b", _MG_UMOL)
    if bilirubin:
        value, unit = bilirubin
        unit = unit or ("umol_l" if value > 40 else "mg_dl")
        values[f"bilirubin_{unit}"] = value

    for name, label in (
        ("sodium_mmol_l", r"\b(?:(?:measured|serum)\s+)?(?:sodium|na\+?)"),
        ("chloride_mmol_l", r"\b(?:chloride|cl-?)"),
        ("bicarbonate_mmol_l", r"\b(?:bicarbonate|bicarb|hco3-?|tco2|co2)"),
        ("potassium_mmol_l", r"\b(?:potassium|k\+?)"),
    ):
        found = _lab(text, label + r"(?!\w)", {"mmol/l": "", "meq/l": ""})
        if found:
            values[name] = found[0]

    inr = _number(r"\binr" + _GAP + _NUM, text)
    if inr is not None:
        values["inr"] = inr

    urea = _lab(text, r"\burea\b", {"mmol/l": "mmol_l", "mg/dl": "mg_dl"})
    if urea:
        value, unit = urea
        values["urea_mmol_l" if unit != "mg_dl" else "bun_mg_dl"] = value
    bun = _number(r"\bbun" + _GAP + _NUM, text)
    if bun is not None:
        values["bun_mg_dl"] = bun


def _read_vitals(text: str, values: dict[str, Any], tool: str) -> None:
    bp = _first(r"\b(\d{2,3})\s*/\s*(\d{2,3})\b(?:\s*mm\s*hg)?", text)
    if bp:
        values["systolic_bp_mmhg"] = int(bp.group(1))
        values["diastolic_bp_mmhg"] = int(bp.group(2))
    rate = _number(
        r"\b(?:respiratory\s+rate|resp(?:iratory)?\s*rate|resp|rr)"
        + _GAP
        + r"(\d{1,2})"
        r"(?!\d)(?!\s*ms)",
        text,
    ) or _number(r"\b(\d{1,2})\s*(?:breaths|/min\s+resp)", text)
    if rate is not None and tool != "qtc":
        values["respiratory_rate_per_min"] = int(rate)
    heart = _number(
        r"\b(?:heart\s+rate|hr|pulse)" + _GAP + _NUM + r"\b", text
    ) or _number(r"\b" + _NUM + r"\s*(?:bpm|beats)", text)
    if heart is not None:
        values["heart_rate_bpm"] = heart
        if heart > 100:
            values["heart_rate_over_100"] = True


def _read_qt(text: str, values: dict[str, Any]) -> None:
    qt = _number(r"\bqt(?:\s+interval)?" + _GAP + _NUM, text)
    if qt is None:
        qt = _number(r"\b(\d{3})\s*ms\b", text)
    if qt is not None:
        values["qt_ms"] = qt
    rr = _number(r"\brr(?:\s+interval)?" + _GAP + r"(\d{3,4})\s*(?:ms)?\b", text)
    if rr is not None:
        values["rr_ms"] = rr
        values.pop("heart_rate_bpm", None)
        values.pop("heart_rate_over_100", None)


def read_flags(text: str) -> dict[str, bool]:
    """Yes/no findings named in a text; a negated finding reads as False."""
    flags: dict[str, bool] = {}
    for name, pattern in _FLAGS.items():
        for m in re.finditer(pattern, text, re.I):
            negated = bool(_NEGATION.search(text[max(0, m.start() - 30) : m.start()]))
            flags[name] = not negated
            if not negated:
                break
    return flags


# --- the clinical context -------------------------------------------------------


# Clinical-context fields, as the calculators name them.
_VITALS = {
    "heart_rate": "heart_rate_bpm",
    "bp_systolic": "systolic_bp_mmhg",
    "bp_diastolic": "diastolic_bp_mmhg",
    "respiratory_rate": "respiratory_rate_per_min",
}


def context_values(context: Any) -> dict[str, Any]:
    """What a ClinicalContext row knows, named as the calculators name it."""
    if context is None:
        return {}
    values: dict[str, Any] = {}
    if context.patient_age is not None:
        values["age_years"] = int(context.patient_age)
    sex = getattr(context.patient_sex, "value", context.patient_sex)
    if sex in ("female", "male"):
        values["sex"] = sex
    if context.weight_kg is not None:
        values["weight_kg"] = float(context.weight_kg)
    if context.height_cm is not None:
        values["height_cm"] = float(context.height_cm)
    for key, value in (context.lab_values or {}).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        name = key.removeprefix("serum_").removeprefix("plasma_")
        values[name] = value
    for key, value in (context.vital_signs or {}).items():
        if key in _VITALS and isinstance(value, int | float):
            values[_VITALS[key]] = value
    history = " ".join(
        t for t in (context.relevant_history, context.chief_complaint) if t
    )
    medications = " ".join(context.current_medications or [])
    for name, flag in read_flags(f"{history} {medications}").items():
        values.setdefault(name, flag)
    if values.get("heart_rate_bpm", 0) > 100:
        values.setdefault("heart_rate_over_100", True)
    return values


def one_of_groups(schema: Mapping[str, Any]) -> list[list[str]]:
    """The schema's groups of unit alternatives, of which one is given."""
    groups = []
    for part in schema.get("allOf", []):
        names = [req for one in part.get("oneOf", []) for req in one.get("required")]
        if names:
            groups.append(names)
    return groups


def fill_from_context(
    schema: Mapping[str, Any],
    arguments: Mapping[str, Any],
    context: Any,
) -> tuple[dict[str, Any], list[str]]:
    """Adds the context's values for the arguments the question left out.

    Only arguments the schema knows are kept; of a pair of unit alternatives
    ("creatinine_mg_dl" or "creatinine_umol_l") one is given at most; whole
    numbers are made integers where the schema asks for an integer.

    Returns:
        The arguments, and the names of those taken from the context.
    """
    properties = schema.get("properties", {})
    groups = [set(g) for g in one_of_groups(schema)]
    filled = {k: v for k, v in arguments.items() if k in properties}
    from_context: list[str] = []
    for name, value in context_values(context).items():
        if name not in properties or name in filled:
            continue
        if any(name in g and g & set(filled) for g in groups):
            continue
        filled[name] = value
        from_context.append(name)
    for name, value in list(filled.items()):
        kind = properties[name].get("type")
        if kind == "integer" and isinstance(value, float) and value.is_integer():
            filled[name] = int(value)
        elif (
            kind == "number" and isinstance(value, int) and not isinstance(value, bool)
        ):
            filled[name] = float(value)
        elif kind == "boolean" and not isinstance(value, bool):
            filled.pop(name)
        if kind == "string" and "enum" in properties[name]:
            if value not in properties[name]["enum"]:
                filled.pop(name)
    return filled, from_context
