"""The canary inside one app instance: the answers it gives from a model pinned to it alone.

A pin addressed to this instance (`pin.py`, `audience`) makes it the canary. While it serves that
model it judges every answer by the plausibility rule (`shared_model.implausible`, against the
model's own training prices) and counts them, so the launcher reads what users got from the
instance itself (GET /status `canary`). The first flagged answer ends the canary: the feed goes
back at once to the model it served before (`ModelFeed.answered`), so the user who got that
answer is the only one; the launcher then publishes the pin that makes the topic say the same.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from shared_model import ModelError, implausible

from .pin import Pin


@dataclass(frozen=True)
class Served:
    """What an instance served before a canary: its model, the pin it was served by, its offset."""

    model: object
    pin: Pin | None
    offset: int | None


class CanaryWatch:
    """One canary on this instance: `model` (from the pin `pin`) in place of `before` (None when
    the instance started on it: then there is nothing to go back to)."""

    def __init__(self, model, pin: Pin, before: Served | None) -> None:
        self.model, self.pin, self.before = model, pin, before
        self.started = time.monotonic()
        self.answers = self.flagged = 0
        self.first_flag: str | None = None
        self.ended: str | None = None  # why it stopped serving: its first flagged answer, or a later pin
        self.ended_after_s: float | None = None
        self._lock = threading.Lock()

    def judge(self, model, values: list[float]) -> bool:
        """Count an answer given from `model` (another model's answers are not the canary's); True
        for the canary's first flagged answer: time to go back."""
        if model is not self.model:
            return False
        why = _why(model, values)
        with self._lock:
            self.answers += 1
            if why is None:
                return False
            self.flagged += 1
            if self.first_flag is not None:
                return False
            self.first_flag = why
        self.end(why)
        return True

    def end(self, why: str) -> None:
        with self._lock:
            if self.ended is None:
                self.ended, self.ended_after_s = why, time.monotonic() - self.started

    def state(self) -> dict:
        with self._lock:
            return {"version": self.model.version, "issued": self.pin.issued,
                    "serving_before": self.before.model.version if self.before else None,
                    "answers": self.answers, "flagged": self.flagged, "first_flag": self.first_flag,
                    "ended": self.ended, "ended_after_s": self.ended_after_s,
                    "live_s": self.ended_after_s if self.ended else time.monotonic() - self.started}


def _why(model, values: list[float]) -> str | None:
    """Why one of the answer's prices cannot be trusted (a model the rule cannot judge included)."""
    try:
        for price in values:
            if why := implausible(price, model.metadata):
                return f"model {model.version}: {why}"
    except ModelError as exc:
        return f"model {model.version} cannot be judged: {exc}"
    return None
