"""The review gate: the first review pass, applied by the job as it stores each prediction.

A person reviews what the gate lets through; what it rejects is never served (the user's page says
why), stays on the dashboard with its reason, and a person may still validate it. Two rules:

- implausible: the price is outside the sale prices the model's training saw
  (`shared_model.implausible`, read from the model's signed metadata);
- jump: the price is more than JUMP_FACTOR times, or less than 1/JUMP_FACTOR of, the request's
  previous prediction (its newest one the gate or a person did not reject: a re-run after a bad
  version is compared with the good answer before it, not with the bad one).

A reason never states the rejected price: the user's page shows it, and must not serve the price.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from shared_model import ModelError, implausible, training_price_range

log = logging.getLogger(__name__)

JUMP_FACTOR = 3.0  # a house's price does not triple (or fall to a third) between two model versions
GATE_REVIEWER = "review gate"  # `reviewed_by` of the predictions the gate rejected


@dataclass(frozen=True)
class Previous:
    """A request's newest prediction that was not rejected: what a new one is compared with."""

    model_version: str
    value: float


class ReviewGate:
    """The gate for one model version; `reason(value, previous)` says why it rejects a prediction."""

    def __init__(self, metadata: dict):
        self.metadata = metadata
        try:
            low, high = training_price_range(metadata)
            self.outside_range = (f"the price is outside the sale prices model {metadata['version']}'s training saw "
                                  f"({low:,.0f} to {high:,.0f})")
        except ModelError as exc:  # an old model: only the jump rule applies, and a person reviews
            log.warning("review gate: %s; only the jump rule applies", exc)
            self.outside_range = None

    def reason(self, value: float, previous: Previous | None) -> str | None:
        """Why `value` is rejected, or None when it goes on to a person's review."""
        if self.outside_range is not None and implausible(value, self.metadata) is not None:
            return self.outside_range
        if previous is None or previous.value <= 0:
            return None
        ratio = value / previous.value
        if ratio > JUMP_FACTOR or ratio < 1 / JUMP_FACTOR:
            return (f"the price is {ratio:.2g}x what model {previous.model_version} predicted for this request "
                    f"(allowed: 1/{JUMP_FACTOR:g}x to {JUMP_FACTOR:g}x)")
        return None
