"""Validation errors, one kind at a time: what was wrong, what was expected, what was got."""

import pytest

from shared_model import REQUIRED_FIELDS, ValidationError, example_record, imputed_fields, validate_batch, validate_record
from shared_model.config import MISSING_CATEGORY
from shared_model.errors import row_lines

# The least a house may carry (schema.REQUIRED_FIELDS); every other field is imputed when absent.
MINIMAL = {"Neighborhood": "NAmes", "OverallQual": 6, "GrLivArea": 1500}


def errors_of(record, **kwargs):
    with pytest.raises(ValidationError) as caught:
        validate_record(record, **kwargs)
    return {e["field"]: e for e in caught.value.errors}


def test_example_record_is_valid_and_complete():
    cleaned = validate_record(example_record())
    assert set(cleaned) == set(example_record())


def test_unknown_field_is_rejected_by_name():
    errors = errors_of({**example_record(), "GrLivarea": 1500})
    assert errors["GrLivarea"]["message"] == "unknown field"


def test_extra_fields_are_dropped_when_allowed():
    assert "Id" not in validate_record({**example_record(), "Id": 7}, allow_extra=True)


def test_wrong_type_says_expected_and_got():
    error = errors_of({"GrLivArea": "big"})["GrLivArea"]
    assert error["got"] == "big" and "number" in error["expected"]


def test_booleans_are_not_numbers():
    assert "GarageCars" in errors_of({"GarageCars": True})


def test_out_of_range_and_non_integer():
    errors = errors_of({"OverallQual": 11, "GarageCars": 2.5, "GrLivArea": -3})
    assert "out of range" in errors["OverallQual"]["message"]
    assert "whole number" in errors["GarageCars"]["message"]
    assert "out of range" in errors["GrLivArea"]["message"]


def test_infinite_value_is_rejected():
    assert "finite" in errors_of({"GrLivArea": float("inf")})["GrLivArea"]["message"]


def test_unknown_category_lists_the_allowed_ones():
    error = errors_of({"Neighborhood": "Atlantis"})["Neighborhood"]
    assert "NAmes" in error["expected"] and error["got"] == "Atlantis"


def test_every_bad_field_is_reported_at_once():
    bad = {**MINIMAL, "Neighborhood": "Atlantis", "GrLivArea": "x", "Bogus": 1}
    assert set(errors_of(bad)) == {"Neighborhood", "GrLivArea", "Bogus"}


def test_not_an_object():
    assert "_record" in errors_of([1, 2, 3])


def test_missing_values_are_treated_as_training_treats_them():
    cleaned = validate_record({**MINIMAL, "LotFrontage": "NA", "FireplaceQu": "", "GarageCars": None})
    assert cleaned["LotFrontage"] is None and cleaned["GarageCars"] is None
    assert cleaned["FireplaceQu"] == MISSING_CATEGORY
    assert cleaned["BsmtQual"] == MISSING_CATEGORY  # absent = missing


def test_an_empty_house_is_refused_naming_each_required_field():
    errors = errors_of({})
    assert list(errors) == list(REQUIRED_FIELDS) == ["Neighborhood", "OverallQual", "GrLivArea"]
    assert all("is required" in error["message"] and error["got"] is None for error in errors.values())
    assert errors["OverallQual"]["expected"] == "an integer from 1 to 10"


@pytest.mark.parametrize("missing", ["", "NA", None, float("nan")])
def test_a_required_field_cannot_be_given_as_missing(missing):
    assert list(errors_of({**MINIMAL, "GrLivArea": missing})) == ["GrLivArea"]


def test_the_minimal_house_is_valid_and_names_every_imputed_field():
    cleaned = validate_record(MINIMAL)
    imputed = imputed_fields(cleaned)
    assert set(imputed) == set(example_record()) - set(MINIMAL)
    assert imputed_fields(validate_record(example_record())) == []
    assert imputed_fields(validate_record({**example_record(), "LotFrontage": "NA", "BsmtQual": ""})) == [
        "BsmtQual", "LotFrontage",  # schema order: categoricals first
    ]


def test_numeric_strings_and_integral_codes_are_accepted():
    cleaned = validate_record({**MINIMAL, "GrLivArea": "1500", "MSSubClass": 60.0})
    assert cleaned["GrLivArea"] == 1500.0 and cleaned["MSSubClass"] == "60"


def test_batch_isolates_bad_rows_with_their_index():
    batch = validate_batch([example_record(), {**MINIMAL, "GrLivArea": "x"}, example_record()])
    assert [i for i, _ in batch.valid] == [0, 2]
    assert list(batch.invalid) == [1] and batch.invalid[1][0]["field"] == "GrLivArea"
    with pytest.raises(ValidationError) as caught:
        batch.raise_if_invalid()
    assert str(caught.value) == "invalid houses: index 1: GrLivArea: is not a number"


def test_one_formatter_for_files_json_bodies_and_their_round_trip():
    batch = validate_batch([example_record(), {**MINIMAL, "OverallQual": 11}])
    assert row_lines(batch.invalid) == [
        "row 2: OverallQual: is out of range (1 to 10) (expected an integer from 1 to 10, got 11)",
    ]
    error = ValidationError(row_errors=batch.invalid)
    assert error.as_json() == {"rows": [{"index": 1, "errors": batch.invalid[1]}]}
    assert ValidationError.from_json(error.as_json()).row_errors == batch.invalid
    single = ValidationError(batch.invalid[1])
    assert str(single) == "invalid house: OverallQual: is out of range (1 to 10)"
    assert ValidationError.from_json(single.as_json()).errors == batch.invalid[1]
    assert ValidationError.from_json(single.as_json()).row_errors == {}


def test_a_cleaned_record_validates_again_unchanged():
    cleaned = validate_record(MINIMAL)
    assert validate_record(cleaned) == cleaned


def test_a_categorical_field_never_accepts_numbers_as_floats_with_fractions():
    assert "MSSubClass" in errors_of({"MSSubClass": 60.5})


def test_nan_is_missing_and_integral_floats_are_whole_numbers():
    cleaned = validate_record({**MINIMAL, "LotFrontage": float("nan"), "GarageCars": 2.0, "Neighborhood": "NAmes"})
    assert cleaned["LotFrontage"] is None and cleaned["GarageCars"] == 2.0 and cleaned["Neighborhood"] == "NAmes"


def test_csv_strings_and_typed_values_clean_to_the_same_record():
    from shared_model.data import new_houses_records

    rows = new_houses_records()[:200]
    for raw, (_, cleaned) in zip(rows, validate_batch(rows, allow_extra=True).valid, strict=True):
        assert validate_record(cleaned) == cleaned
        assert validate_record({k: raw[k] for k in cleaned}) == cleaned
