"""Validation of house records at the boundary. Stdlib only; one pass over the fields.

A cleaned record has every schema field: numeric values as float (None when missing, which
training imputes with the median) and categories as str (`config.MISSING_CATEGORY` when missing).
Absent fields, None, "", "NA" (the data's own marker) and "Missing" (the cleaned form) all mean
"missing", so a cleaned record validates again unchanged (a front and a model service both check).
The fields of `schema.REQUIRED_FIELDS` may not be missing; `imputed_fields` names the others that were.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from .config import MISSING_CATEGORY
from .errors import ValidationError
from .schema import REQUIRED_FIELDS, FieldSpec, fields_by_name, input_fields

_MISSING_MARKERS = ("", "NA", MISSING_CATEGORY)


@cache
def _choice_sets() -> dict[str, frozenset[str]]:
    return {spec.name: frozenset(spec.choices) for spec in input_fields() if spec.kind == "categorical"}


def _error(name: str, message: str, expected: str, got) -> dict:
    return {"field": name, "message": message, "expected": expected, "got": got}


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() in _MISSING_MARKERS
    return isinstance(value, float) and math.isnan(value)


def _numeric_error(spec: FieldSpec, message: str, value) -> tuple[None, dict]:
    return None, _error(spec.name, message, _expected(spec), value)


def _clean_numeric(spec: FieldSpec, value) -> tuple[float | None, dict | None]:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return _numeric_error(spec, "must be an integer" if spec.integer else "must be a number", value)
    try:
        number = float(value)
    except ValueError:
        return _numeric_error(spec, "is not a number", value)
    if not math.isfinite(number):
        return _numeric_error(spec, "must be a finite number", value)
    if spec.integer and not number.is_integer():
        return _numeric_error(spec, "must be a whole number", value)
    if not spec.minimum <= number <= spec.maximum:
        return _numeric_error(spec, f"is out of range ({spec.minimum:g} to {spec.maximum:g})", value)
    return number, None


def _expected(spec: FieldSpec) -> str:
    if spec.kind == "categorical":
        return f"one of {list(spec.choices)}"
    kind = "an integer" if spec.integer else "a number"
    return f"{kind} from {spec.minimum:g} to {spec.maximum:g}"


def _required_error(spec: FieldSpec, value) -> dict:
    *others, last = REQUIRED_FIELDS
    message = f"is required (a house needs at least {', '.join(others)} and {last}; other fields may be left out)"
    return _error(spec.name, message, _expected(spec), value)


def _clean_category(spec: FieldSpec, value) -> tuple[str | None, dict | None]:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None, _error(spec.name, "must be a text category", _expected(spec), value)
    text = str(value).strip()
    if text not in _choice_sets()[spec.name]:
        return None, _error(spec.name, f"unknown category {text!r}", _expected(spec), value)
    return text, None


@cache
def _plan():
    """Per field: (name, spec, full cleaner, missing value, fast check, required). The fast check accepts the
    common value in one step (a number, a number's text as a CSV cell or stored request has it, a
    known category) and returns None for anything else, which then takes the full path (missing
    markers, errors with their messages). `required` is read once here: it is looked up for every
    field a house leaves out, most of them in a typical request."""
    choice_sets = _choice_sets()
    plan = []
    for spec in input_fields():
        if spec.kind == "categorical":
            plan.append((spec.name, spec, _clean_category, MISSING_CATEGORY, _fast_category(choice_sets[spec.name]),
                         spec.required))
        else:
            plan.append((spec.name, spec, _clean_numeric, None, _fast_number(spec.minimum, spec.maximum, spec.integer),
                         spec.required))
    return tuple(plan)


def _fast_category(choices: frozenset[str]):
    def fast(value):
        return value if type(value) is str and value in choices else None

    return fast


def _fast_number(low: float, high: float, integer: bool):
    def fast(value):
        kind = type(value)
        if kind is float or kind is int or kind is str:  # a CSV cell or a stored request is a string
            try:
                number = float(value)
            except ValueError:  # a missing marker or a typo: the full path says which
                return None
            if low <= number <= high and (not integer or number.is_integer()):  # NaN fails the range
                return number
        return None

    return fast


def _check(record, allow_extra: bool) -> tuple[dict, list[dict]]:
    if not isinstance(record, Mapping):
        return {}, [_error("_record", "a house must be an object of field values", "an object", type(record).__name__)]
    specs = fields_by_name()
    errors = []
    if not allow_extra:
        for name in record:
            if name not in specs:
                errors.append(_error(str(name), "unknown field", "one of the model's fields (see GET /example)", record[name]))
    cleaned = {}
    for name, spec, clean, missing, fast, required in _plan():
        value = record.get(name)
        if value is not None and (good := fast(value)) is not None:
            cleaned[name] = good
            continue
        if value is None or _is_missing(value):
            cleaned[name] = missing
            if required:
                errors.append(_required_error(spec, value))
            continue
        cleaned[name], problem = clean(spec, value)
        if problem:
            errors.append(problem)
    return cleaned, errors


def validate_record(record: Mapping, *, allow_extra: bool = False) -> dict:
    """Return the cleaned record, or raise ValidationError listing every bad field.

    `allow_extra` drops unknown fields instead of rejecting them (CSV files with more columns).
    """
    cleaned, errors = _check(record, allow_extra)
    if errors:
        raise ValidationError(errors)
    return cleaned


def imputed_fields(cleaned: Mapping) -> list[str]:
    """The fields a cleaned record had no value for, in schema order: the model fills them in
    (numbers with the training median, categories with the "Missing" category it learnt)."""
    return [name for name, missing in _missing_values() if cleaned[name] == missing]


@cache
def _missing_values() -> tuple[tuple[str, object], ...]:
    """(name, the cleaned value meaning "missing") per field: what `imputed_fields` compares, per answer."""
    return tuple((name, missing) for name, _, _, missing, *_ in _plan())


@dataclass
class BatchValidation:
    """Valid rows as (index, cleaned record) and invalid rows as index -> field errors."""

    valid: list[tuple[int, dict]] = field(default_factory=list)
    invalid: dict[int, list[dict]] = field(default_factory=dict)

    def raise_if_invalid(self) -> None:
        if self.invalid:
            raise ValidationError(row_errors=self.invalid)


def validate_batch(records: Iterable[Mapping], *, allow_extra: bool = False) -> BatchValidation:
    """Validate every row; a bad row never stops the others."""
    result = BatchValidation()
    for index, record in enumerate(records):
        cleaned, errors = _check(record, allow_extra)
        if errors:
            result.invalid[index] = errors
        else:
            result.valid.append((index, cleaned))
    return result
