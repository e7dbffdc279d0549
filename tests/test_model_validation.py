"""Validation errors, one kind at a time: what was wrong, what was expected, what was got."""

import pytest

from shared_model import ValidationError, example_record, validate_batch, validate_record
from shared_model.config import MISSING_CATEGORY


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
    assert set(errors_of({"Neighborhood": "Atlantis", "GrLivArea": "x", "Bogus": 1})) == {"Neighborhood", "GrLivArea", "Bogus"}


def test_not_an_object():
    assert "_record" in errors_of([1, 2, 3])


def test_missing_values_are_treated_as_training_treats_them():
    cleaned = validate_record({"LotFrontage": "NA", "FireplaceQu": "", "GarageCars": None})
    assert cleaned["LotFrontage"] is None and cleaned["GarageCars"] is None
    assert cleaned["FireplaceQu"] == MISSING_CATEGORY
    assert cleaned["Neighborhood"] == MISSING_CATEGORY  # absent = missing


def test_numeric_strings_and_integral_codes_are_accepted():
    cleaned = validate_record({"GrLivArea": "1500", "MSSubClass": 60.0})
    assert cleaned["GrLivArea"] == 1500.0 and cleaned["MSSubClass"] == "60"


def test_batch_isolates_bad_rows_with_their_index():
    batch = validate_batch([example_record(), {"GrLivArea": "x"}, example_record()])
    assert [i for i, _ in batch.valid] == [0, 2]
    assert list(batch.invalid) == [1] and batch.invalid[1][0]["field"] == "GrLivArea"
    with pytest.raises(ValidationError) as caught:
        batch.raise_if_invalid()
    assert "row 1" in str(caught.value)


def test_a_cleaned_record_validates_again_unchanged():
    cleaned = validate_record({"GrLivArea": 1500})
    assert validate_record(cleaned) == cleaned


def test_a_categorical_field_never_accepts_numbers_as_floats_with_fractions():
    assert "MSSubClass" in errors_of({"MSSubClass": 60.5})


def test_nan_is_missing_and_integral_floats_are_whole_numbers():
    cleaned = validate_record({"LotFrontage": float("nan"), "GarageCars": 2.0, "Neighborhood": "NAmes"})
    assert cleaned["LotFrontage"] is None and cleaned["GarageCars"] == 2.0 and cleaned["Neighborhood"] == "NAmes"


def test_csv_strings_and_typed_values_clean_to_the_same_record():
    from shared_model.data import new_houses_records

    rows = new_houses_records()[:200]
    for raw, (_, cleaned) in zip(rows, validate_batch(rows, allow_extra=True).valid, strict=True):
        assert validate_record(cleaned) == cleaned
        assert validate_record({k: raw[k] for k in cleaned}) == cleaned
