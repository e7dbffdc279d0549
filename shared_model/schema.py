"""The input schema of one house: field kinds, allowed categories, ranges, defaults and labels.

The schema is declared in `schema.json`, generated from the shipped data by
``python -m shared_model.schema`` (a test checks that it still matches the data). Reading a JSON
file keeps validation free of pandas and scikit-learn, so an app that only validates and
forwards (the API architecture's front) needs neither.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from . import config

SCHEMA_FILE = Path(__file__).resolve().parent / "schema.json"

LABELS = {
    "MSSubClass": "Dwelling type (class code)", "MSZoning": "Zoning", "LotShape": "Lot shape",
    "LandContour": "Land flatness", "LotConfig": "Lot configuration", "Neighborhood": "Neighborhood",
    "RoofStyle": "Roof style", "Exterior1st": "Exterior covering", "ExterQual": "Exterior quality",
    "Foundation": "Foundation", "BsmtQual": "Basement height", "BsmtExposure": "Basement exposure",
    "BsmtFinType1": "Basement finish", "HeatingQC": "Heating quality", "CentralAir": "Central air",
    "KitchenQual": "Kitchen quality", "Functional": "Functionality", "FireplaceQu": "Fireplace quality",
    "GarageFinish": "Garage interior finish", "PavedDrive": "Paved driveway",
    "SaleCondition": "Sale condition", "LotFrontage": "Street frontage (ft)",
    "OverallQual": "Overall quality (1-10)", "OverallCond": "Overall condition (1-10)",
    "YearRemodAdd": "Year remodelled (or built)", "1stFlrSF": "First floor area (sq ft)",
    "2ndFlrSF": "Second floor area (sq ft)", "GrLivArea": "Living area above ground (sq ft)",
    "BsmtFullBath": "Basement full bathrooms", "HalfBath": "Half bathrooms above ground",
    "TotRmsAbvGrd": "Rooms above ground", "Fireplaces": "Fireplaces", "GarageCars": "Garage size (cars)",
    "GarageArea": "Garage area (sq ft)", "WoodDeckSF": "Wood deck area (sq ft)",
    "ScreenPorch": "Screen porch area (sq ft)", "YrSold": "Year sold",
}

# Declared bounds where the data's own range would be too narrow a rule for a new house.
_DECLARED_RANGES = {
    "OverallQual": (1, 10), "OverallCond": (1, 10),
    "YearRemodAdd": (1800, 2100), "YrSold": (1800, 2100),
}
_FRACTIONAL = {"LotFrontage", "1stFlrSF", "2ndFlrSF", "GrLivArea", "GarageArea", "WoodDeckSF", "ScreenPorch"}

# The minimum a house must carry. Every other field may be left out and is imputed, but location,
# build quality and size are what a house price rests on (every model version uses all three):
# without them the answer would be the price of an imputed median house, whatever the house is.
REQUIRED_FIELDS = ("Neighborhood", "OverallQual", "GrLivArea")


@dataclass(frozen=True)
class FieldSpec:
    """One input field. Numeric fields have bounds; categorical ones a closed list of choices."""

    name: str
    kind: str  # "numeric" or "categorical"
    label: str
    default: float | str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False

    @property
    def required(self) -> bool:
        return self.name in REQUIRED_FIELDS


@cache
def input_fields() -> tuple[FieldSpec, ...]:
    """The model's input fields, in form order (categoricals first, then numerics)."""
    raw = json.loads(SCHEMA_FILE.read_text())
    return tuple(
        FieldSpec(**{**spec, "choices": tuple(spec.get("choices", ()))}) for spec in raw["fields"]
    )


@cache
def fields_by_name() -> dict[str, FieldSpec]:
    return {spec.name: spec for spec in input_fields()}


def example_record() -> dict:
    """A valid house built from the defaults (medians and most common categories of the data)."""
    return {spec.name: spec.default for spec in input_fields()}


def build_schema() -> dict:
    """Derive the schema from the shipped data: categories seen in either file, bounds, defaults."""
    import pandas as pd

    from .data import load_new_houses, load_training_data

    train, new = load_training_data(), load_new_houses()
    both = pd.concat([train[list(config.FEATURES)], new[list(config.FEATURES)]])
    fields = []
    for name in config.CATEGORICAL_FEATURES:
        values = both[name].dropna().map(_category_text)
        choices = sorted(set(values), key=_natural_key)
        fields.append(FieldSpec(
            name=name, kind="categorical", label=LABELS[name],
            default=_category_text(train[name].dropna().mode().iloc[0]), choices=tuple(choices),
        ))
    for name in config.NUMERIC_FEATURES:
        observed_max = float(both[name].max())
        minimum, maximum = _DECLARED_RANGES.get(name, (0, math.ceil(observed_max * 2)))
        fields.append(FieldSpec(
            name=name, kind="numeric", label=LABELS[name], default=float(train[name].median()),
            minimum=float(minimum), maximum=float(maximum), integer=name not in _FRACTIONAL,
        ))
    return {"model": config.MODEL_NAME, "fields": [asdict(f) for f in fields]}


def _category_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _natural_key(text: str):
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


if __name__ == "__main__":
    SCHEMA_FILE.write_text(json.dumps(build_schema(), indent=1) + "\n")
    print(f"wrote {SCHEMA_FILE}")
