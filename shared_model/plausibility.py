"""The plausibility rule any architecture (or a monitor watching its answers) can apply to a price.

A price is implausible when it lies outside the range of sale prices the model's training rows
recorded (`target_range` in the signed metadata, written by `training.train_version`). The range
is a property of the data set, not of the fit, so a version whose recipe mishandled the prices
(v3, prices taken in the wrong unit) is judged against the prices as the data records them and
its answers ten times too high are flagged. Stdlib only: cheap for a front, a job or a monitor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from .errors import ModelError

PRICE_RANGE_KEY = "target_range"


def training_price_range(metadata: Mapping) -> tuple[float, float]:
    """(lowest, highest) sale price in the training rows of the model `metadata` describes."""
    recorded = metadata.get(PRICE_RANGE_KEY)
    if not recorded:
        version = metadata.get("version", "?")
        raise ModelError(f"model {version} records no training price range ({PRICE_RANGE_KEY}): it was trained before "
                         f"the plausibility rule; retrain it with `archlab train {version}`")
    return float(recorded["min"]), float(recorded["max"])


def implausible(price: float, metadata: Mapping) -> str | None:
    """Why `price`, predicted by the model `metadata` describes, cannot be trusted; None if plausible.

    Raises ModelError when the metadata has no training price range to judge by."""
    lowest, highest = training_price_range(metadata)
    version = metadata.get("version", "?")
    if not math.isfinite(price):
        return f"price {price} is not a number"
    if price < lowest:
        return f"price {price:,.0f} is below the lowest sale price model {version}'s training saw ({lowest:,.0f})"
    if price > highest:
        return f"price {price:,.0f} is above the highest sale price model {version}'s training saw ({highest:,.0f})"
    return None
