"""The model service's OpenAPI document states every bound and category the validator enforces,
read from the one schema source: a value fits the document exactly when the validator accepts it
(schemathesis then checks the live service both ways, tests/test_api_contract.py)."""

from __future__ import annotations

import random

import pytest

from archlab.testing import require_module
from patterns.api.openapi import openapi_document
from patterns.api.range_pattern import integer_range, number_text
from shared_model import ValidationError, example_record, input_fields, validate_record

NUMERIC = [spec for spec in input_fields() if spec.kind == "numeric"]


def fits_document(name: str, value) -> bool:
    jsonschema = require_module("jsonschema")
    schema = {**openapi_document(), "$ref": f"#/components/schemas/House/properties/{name}"}
    return jsonschema.Draft202012Validator(schema).is_valid(value)


def accepted(name: str, value) -> bool:
    try:
        validate_record({**example_record(), name: value})
    except ValidationError:
        return False
    return True


def texts_around(spec, rng: random.Random) -> list[str]:
    """Decimal texts at, just inside and just outside the field's bounds, and some in between."""
    low, high = int(spec.minimum), int(spec.maximum)
    numbers = [0, low - 1, low, low + 1, high - 1, high, high + 1, 10 * high] + \
        [rng.randint(low, high) for _ in range(20)]
    texts = [str(n) for n in numbers] + [f"{n}.0" for n in numbers] + [f"+0{n}" for n in numbers if n >= 0]
    return texts + [f"{rng.uniform(low - 5, high + 5):.2f}" for _ in range(20)]


@pytest.mark.parametrize("spec", NUMERIC, ids=[spec.name for spec in NUMERIC])
def test_a_number_or_its_text_fits_the_document_exactly_when_the_validator_accepts_it(spec):
    rng = random.Random(spec.name)
    for text in texts_around(spec, rng):
        assert fits_document(spec.name, text) == accepted(spec.name, text), (spec.name, text)
        number = float(text)
        value = int(number) if number.is_integer() else number
        assert fits_document(spec.name, value) == accepted(spec.name, value), (spec.name, value)


def test_the_year_sold_schemathesis_found_is_out_of_the_document_too():
    for value in (0, "0", 1799, "2101"):
        assert not fits_document("YrSold", value) and not accepted("YrSold", value)
    assert fits_document("YrSold", "2008") and accepted("YrSold", "2008")


def test_every_category_is_in_the_document_and_nothing_else():
    for spec in input_fields():
        if spec.kind != "categorical":
            continue
        for choice in spec.choices:
            assert fits_document(spec.name, choice) and accepted(spec.name, choice)
        assert not fits_document(spec.name, "Atlantis") and not accepted(spec.name, "Atlantis")


@pytest.mark.parametrize(("low", "high"), [(0, 0), (0, 9), (1, 10), (7, 99), (1800, 2100), (19, 1000), (0, 11284)])
def test_an_integer_range_pattern_matches_exactly_the_integers_in_the_range(low, high):
    import re

    pattern = re.compile(f"^(?:{integer_range(low, high)})$")
    assert [n for n in range(2 * high + 20) if pattern.match(str(n))] == list(range(low, high + 1))


def test_bounds_that_a_pattern_cannot_state_are_refused():
    with pytest.raises(ValueError, match="whole and not negative"):
        number_text(0.5, 10, integer=False)
