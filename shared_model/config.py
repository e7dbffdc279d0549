"""Everything that defines the model, in one place: features, target, versions, policies, paths."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MODEL_NAME = "house-price"
TARGET = "SalePrice"
SEED = 0
CV_FOLDS = 5
HOLDOUT_FRACTION = 0.2

# The input schema: the 36 features of the course's regression_model package plus the year of sale.
# MSSubClass is a numeric code for a dwelling type, so it is categorical.
CATEGORICAL_FEATURES = (
    "MSSubClass", "MSZoning", "LotShape", "LandContour", "LotConfig", "Neighborhood",
    "RoofStyle", "Exterior1st", "ExterQual", "Foundation", "BsmtQual", "BsmtExposure",
    "BsmtFinType1", "HeatingQC", "CentralAir", "KitchenQual", "Functional", "FireplaceQu",
    "GarageFinish", "PavedDrive", "SaleCondition",
)
NUMERIC_FEATURES = (
    "LotFrontage", "OverallQual", "OverallCond", "YearRemodAdd", "1stFlrSF", "2ndFlrSF",
    "GrLivArea", "BsmtFullBath", "HalfBath", "TotRmsAbvGrd", "Fireplaces", "GarageCars",
    "GarageArea", "WoodDeckSF", "ScreenPorch", "YrSold",
)
FEATURES = CATEGORICAL_FEATURES + NUMERIC_FEATURES

# The category that stands for "no value", as training imputes it.
MISSING_CATEGORY = "Missing"

# Outlier policy (De Cock's own advice for this data): drop houses over 4,000 sq ft of living
# area that sold below 300,000 — partial sales that no model of a normal sale should fit.
OUTLIER_MIN_LIVING_AREA = 4000
OUTLIER_MAX_PRICE = 300_000


@dataclass(frozen=True)
class VersionSpec:
    """One trainable model version: which features it uses and how strongly it is regularised.

    `price_factor` multiplies the recorded sale prices before fitting: 1 for every good version;
    a faulty one (see FAULTY_VERSIONS) says what went wrong in `fault`, kept in its metadata."""

    version: str
    description: str
    features: tuple[str, ...]
    alpha: float
    price_factor: float = 1.0
    fault: str = ""


VERSIONS = (
    VersionSpec(
        version="v1",
        description="baseline: ridge on 10 strong features",
        features=(
            "OverallQual", "GrLivArea", "GarageCars", "1stFlrSF", "YearRemodAdd",
            "Neighborhood", "KitchenQual", "ExterQual", "BsmtQual", "Fireplaces",
        ),
        alpha=10.0,
    ),
    VersionSpec(
        version="v2",
        description="ridge on all 37 schema features",
        features=FEATURES,
        alpha=10.0,
    ),
)

# Deliberately faulty versions for the bad-model drill (`archlab train v3`; never trained by default).
# v3 is v2's recipe with the sale prices taken in the wrong unit (tens of cents read as dollars):
# every prediction is 10x v2's. Its holdout and CV scores look as good as v2's, because the
# holdout prices carry the same mistake: only a check against real prices catches it
# (shared_model.plausibility).
FAULTY_VERSIONS = (
    VersionSpec(
        version="v3",
        description="FAULTY on purpose: v2's recipe with the prices in the wrong unit (x10)",
        features=FEATURES,
        alpha=10.0,
        price_factor=10.0,
        fault="prices recorded in the wrong unit (x10)",
    ),
)


def version_spec(version: str) -> VersionSpec:
    for spec in VERSIONS + FAULTY_VERSIONS:
        if spec.version == version:
            return spec
    known = ", ".join(s.version for s in VERSIONS + FAULTY_VERSIONS)
    from .errors import ModelNotFoundError

    raise ModelNotFoundError(f"no training recipe for version {version!r}; known versions: {known}")


def archlab_home() -> Path:
    """The one working folder: $ARCHLAB_HOME, or `.archlab` in the checkout (or the cwd when installed)."""
    configured = os.environ.get("ARCHLAB_HOME")
    if configured:
        return Path(configured).expanduser().resolve()
    checkout = Path(__file__).resolve().parent.parent
    base = checkout if (checkout / "pyproject.toml").exists() else Path.cwd()
    return base / ".archlab"


def signing_key():
    """The Ed25519 key training signs with: see shared_model.keys (imported here on use)."""
    from .keys import signing_key

    return signing_key()
