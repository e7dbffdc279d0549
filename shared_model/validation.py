"""Validation of house records at the boundary. Stdlib only; one pass over the fields.

A cleaned record has every schema field: numeric values as float (None when missing, which
training imputes with the median) and categories as str (`config.MISSING_CATEGORY` when missing).
Absent fields, None, "" and "NA" (the data's own marker) all mean "missing".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .config import MISSING_CATEGORY
from .errors import ValidationError
from .schema import FieldSpec, fields_by_name, input_fields

_MISSING_MARKERS = ("", "NA")


def _error(name: str, message: str, expected: str, got) -> dict:
    return {"field": name, "message": message, "expected": expected, "got": got}


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() in _MISSING_MARKERS
    return isinstance(value, float) and math.isnan(value)


def _clean_numeric(spec: FieldSpec, value) -> tuple[float | None, dict | None]:
    expected = f"{'an integer' if spec.integer else 'a number'} from {spec.minimum:g} to {spec.maximum:g}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None, _error(spec.name, f"must be {expected.split(' from')[0]}", expected, value)
    try:
        number = float(value)
    except ValueError:
        return None, _error(spec.name, "is not a number", expected, value)
    if not math.isfinite(number):
        return None, _error(spec.name, "must be a finite number", expected, value)
    if spec.integer and not number.is_integer():
        return None, _error(spec.name, "must be a whole number", expected, value)
    if not spec.minimum <= number <= spec.maximum:
        return None, _error(spec.name, f"is out of range ({spec.minimum:g} to {spec.maximum:g})", expected, value)
    return number, None


def _clean_category(spec: FieldSpec, value) -> tuple[str | None, dict | None]:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None, _error(spec.name, "must be a text category", f"one of {list(spec.choices)}", value)
    text = str(value).strip()
    if text not in spec.choices:
        return None, _error(spec.name, f"unknown category {text!r}", f"one of {list(spec.choices)}", value)
    return text, None


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
    for spec in input_fields():
        value = record.get(spec.name)
        if _is_missing(value):
            cleaned[spec.name] = MISSING_CATEGORY if spec.kind == "categorical" else None
            continue
        clean = _clean_category if spec.kind == "categorical" else _clean_numeric
        cleaned[spec.name], problem = clean(spec, value)
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
