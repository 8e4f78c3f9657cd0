"""Shared machinery of the clinical calculators: results, errors, registry.

Calculators are declared with :func:`register`, which checks every argument
against its :class:`Param` declaration before the formula runs and builds the
draft-07 JSON Schema from the same declarations, so the schema and the checks
cannot drift apart. Import :mod:`.calculators` to get every calculator
registered in ``CALCULATORS``.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

# Conversion factors to the units the formulas are written in.
CREATININE_UMOL_PER_MG_DL = 88.42
BILIRUBIN_UMOL_PER_MG_DL = 17.1
GLUCOSE_MG_DL_PER_MMOL = 18.016
CALCIUM_MG_DL_PER_MMOL = 4.008
CM_PER_INCH = 2.54


class CalculatorInputError(ValueError):
    """An argument that is missing, of the wrong type or out of range.

    Attributes:
        field: The name of the offending argument.
        reason: A plain sentence naming the field and what is wrong.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class CalculatorResult:
    """What a calculator returns.

    Attributes:
        calculator: The calculator's name in ``CALCULATORS``.
        value: The main result.
        unit: Unit of ``value`` ("points" for scores).
        formula: The formula as text.
        inputs: The inputs used, in the units of the formula (after conversion).
        citation: The paper that defines the calculator.
        category: Short risk group or class, where the score has one.
        interpretation: A sentence on what the value means.
        values: Further named results, each ``{"value": ..., "unit": ...}``.
        notes: Conversions, bounds applied and caveats.
        references: Further sources (interpretation cut-offs, policies).
    """

    calculator: str
    value: float
    unit: str
    formula: str
    inputs: dict[str, Any]
    citation: dict[str, Any]
    category: str | None = None
    interpretation: str | None = None
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    references: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, omitting empty fields (schemas here allow no null)."""
        out: dict[str, Any] = {
            "calculator": self.calculator,
            "value": self.value,
            "unit": self.unit,
            "formula": self.formula,
            "inputs": dict(self.inputs),
            "citation": dict(self.citation),
        }
        if self.category is not None:
            out["category"] = self.category
        if self.interpretation is not None:
            out["interpretation"] = self.interpretation
        if self.values:
            out["values"] = {k: dict(v) for k, v in self.values.items()}
        if self.notes:
            out["notes"] = list(self.notes)
        if self.references:
            out["references"] = [dict(r) for r in self.references]
        return out


@dataclass(frozen=True)
class CalculatorSpec:
    """A calculator as the tool registry sees it.

    Attributes:
        name: Tool name.
        title: Human title.
        description: What it computes and from what.
        schema: Draft-07 JSON Schema of the arguments.
        function: The calculator; call it with the arguments as keywords.
        phi: Whether the tool handles patient identifiers (never, here).
    """

    name: str
    title: str
    description: str
    schema: dict[str, Any]
    function: Callable[..., CalculatorResult]
    phi: bool = False

    def run(self, arguments: Mapping[str, Any]) -> CalculatorResult:
        """Run the calculator with a mapping of arguments."""
        return self.function(**arguments)


CALCULATORS: dict[str, CalculatorSpec] = {}


# ---------------------------------------------------------------------------
# Parameter declarations: one source for the checks and the JSON Schema.


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "number", "integer", "boolean" or "enum"
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    default: Any = None

    def schema(self) -> dict[str, Any]:
        if self.kind == "enum":
            prop: dict[str, Any] = {"type": "string", "enum": list(self.choices)}
        else:
            prop = {"type": self.kind}
        prop["description"] = self.description
        if self.minimum is not None:
            prop["minimum"] = self.minimum
        if self.maximum is not None:
            prop["maximum"] = self.maximum
        if self.default is not None:
            prop["default"] = self.default
        return prop


def number_param(name: str, description: str, lo: float, hi: float) -> Param:
    return Param(name, "number", description, lo, hi)


def integer_param(name: str, description: str, lo: int, hi: int) -> Param:
    return Param(name, "integer", description, lo, hi)


def flag_param(name: str, description: str) -> Param:
    return Param(name, "boolean", description, default=False)


def sex_param(default: str | None = None) -> Param:
    return Param(
        "sex",
        "enum",
        "Sex assigned at birth",
        choices=("female", "male"),
        default=default,
    )


def age_param(lo: int = 18) -> Param:
    return integer_param("age_years", "Age in years", lo, 120)


CREATININE_PARAMS = (
    number_param("creatinine_mg_dl", "Serum creatinine in mg/dL", 0.1, 30.0),
    number_param("creatinine_umol_l", "Serum creatinine in µmol/L", 9.0, 2650.0),
)
WEIGHT_PARAM = number_param("weight_kg", "Body weight in kg", 1.0, 500.0)
HEIGHT_PARAM = number_param("height_cm", "Height in cm", 30.0, 272.0)
SODIUM_PARAM = number_param(
    "sodium_mmol_l", "Serum sodium in mmol/L (= mEq/L)", 90.0, 200.0
)
ALBUMIN_PARAMS = (
    number_param("albumin_g_dl", "Serum albumin in g/dL", 0.5, 7.0),
    number_param("albumin_g_l", "Serum albumin in g/L", 5.0, 70.0),
)


def _check(title: str, param: Param, value: Any) -> Any:
    """Check one argument's type and range; returns it unchanged."""
    name = param.name
    if param.kind == "boolean":
        if not isinstance(value, bool):
            raise CalculatorInputError(name, f"{name} must be true or false")
        return value
    if param.kind == "enum":
        if value not in param.choices:
            allowed = " or ".join(repr(c) for c in param.choices)
            raise CalculatorInputError(name, f"{name} must be {allowed}")
        return value

    # bool is an int in Python; a flag given for a number is a caller's mistake.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CalculatorInputError(name, f"{name} must be a number")
    if not math.isfinite(value):
        raise CalculatorInputError(name, f"{name} must be a finite number")
    if param.kind == "integer" and value != int(value):
        raise CalculatorInputError(name, f"{name} must be a whole number")
    if not param.minimum <= value <= param.maximum:
        raise CalculatorInputError(
            name,
            f"{name} must be between {param.minimum:g} and {param.maximum:g} "
            f"for {title} (got {value:g})",
        )
    return value


def _with_unit_hint(
    error: CalculatorInputError,
    params: Mapping[str, Param],
    one_of: tuple[tuple[str, ...], ...],
    value: Any,
) -> CalculatorInputError:
    """Name the unit alternative a rejected value would fit, if there is one.

    A creatinine of 106 given as mg/dL is almost surely 106 µmol/L.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return error
    for group in one_of:
        if error.field not in group:
            continue
        for other in group:
            alternative = params[other]
            if other != error.field and alternative.minimum <= value <= (
                alternative.maximum
            ):
                return CalculatorInputError(
                    error.field,
                    f"{error.reason}; {value:g} fits {other}: was it given in "
                    "that unit?",
                )
    return error


def register(
    name: str,
    title: str,
    description: str,
    params: tuple[Param, ...],
    one_of: tuple[tuple[str, ...], ...] = (),
    optional: tuple[str, ...] = (),
) -> Callable[[Callable[..., CalculatorResult]], Callable[..., CalculatorResult]]:
    """Register a calculator whose arguments are checked against ``params``.

    Args:
        name: Tool name.
        title: Human title, also used in error messages.
        description: For the tool list.
        params: Every argument the function takes.
        one_of: Groups of unit alternatives: exactly one of each group is given.
        optional: Arguments that may be left out (flags are always optional).
    """
    by_name = {p.name: p for p in params}
    grouped = {n for group in one_of for n in group}
    required = [
        p.name
        for p in params
        if p.kind != "boolean"
        and p.default is None
        and p.name not in grouped
        and p.name not in optional
    ]

    schema: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": title,
        "type": "object",
        "properties": {p.name: p.schema() for p in params},
        "required": required,
        "additionalProperties": False,
    }
    if one_of:
        schema["allOf"] = [
            {"oneOf": [{"required": [n]} for n in group]} for group in one_of
        ]

    def decorate(func: Callable[..., CalculatorResult]) -> Callable[..., Any]:
        signature = set(inspect.signature(func).parameters)
        if signature != set(by_name):
            raise TypeError(f"{name}: parameters and declarations differ")

        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> CalculatorResult:
            for key in kwargs:
                if key not in by_name:
                    raise CalculatorInputError(key, f"{key} is not an input of {title}")
            args = {k: v for k, v in kwargs.items() if v is not None}
            for key in required:
                if key not in args:
                    raise CalculatorInputError(key, f"{key} is required for {title}")
            for group in one_of:
                given = [n for n in group if n in args]
                if len(given) != 1:
                    first = group[0]
                    raise CalculatorInputError(
                        first,
                        f"give exactly one of {', '.join(group)} for {title}",
                    )
            for key, value in args.items():
                try:
                    _check(title, by_name[key], value)
                except CalculatorInputError as exc:
                    raise _with_unit_hint(exc, by_name, one_of, value) from None
            return func(**args)

        CALCULATORS[name] = CalculatorSpec(
            name=name,
            title=title,
            description=description,
            schema=schema,
            function=wrapper,
        )
        return wrapper

    return decorate


def cite(
    title: str,
    authors: str,
    journal: str,
    year: int,
    doi: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "title": title,
        "authors": authors,
        "journal": journal,
        "year": year,
    }
    if doi:
        out["doi"] = doi
    out.update(extra)
    return out


def creatinine_to_mg_dl(
    creatinine_mg_dl: float | None, creatinine_umol_l: float | None
) -> tuple[float, list[str]]:
    if creatinine_mg_dl is not None:
        return creatinine_mg_dl, []
    assert creatinine_umol_l is not None
    value = creatinine_umol_l / CREATININE_UMOL_PER_MG_DL
    note = (
        f"creatinine {creatinine_umol_l:g} µmol/L = {value:.3f} mg/dL "
        f"(÷ {CREATININE_UMOL_PER_MG_DL})"
    )
    return value, [note]


def albumin_to_g_dl(
    albumin_g_dl: float | None, albumin_g_l: float | None
) -> tuple[float, list[str]]:
    if albumin_g_dl is not None:
        return albumin_g_dl, []
    assert albumin_g_l is not None
    value = albumin_g_l / 10.0
    return value, [f"albumin {albumin_g_l:g} g/L = {value:g} g/dL"]
