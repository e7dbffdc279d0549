"""The model-cost knob (`MODEL_COST_MS`): busy CPU work standing in for a heavier model.

This model prices a house in well under a millisecond, so on a 2-core machine nothing shows what
scaling the model out buys. With `MODEL_COST_MS=N` every prediction call in a process that runs the
model first spends N ms of CPU. CPU time, not wall time, and busy, not asleep: a sleeping thread
frees its core (and its GIL) and eight threads would "spend" their cost side by side, which a
heavier model would not do; so one process serves at most about 1000/N calls per second, and a
second process on the second core doubles that, as it would for a real model.
"""

from __future__ import annotations

import time
from collections.abc import Sequence


def spend(milliseconds: float) -> None:
    """Keep this thread busy until it has used `milliseconds` of CPU time (0: return at once)."""
    if milliseconds <= 0:
        return
    deadline = time.thread_time() + milliseconds / 1000.0
    while time.thread_time() < deadline:
        pass


def predict(model, records: Sequence[dict], cost_ms: float) -> tuple[list[float], float]:
    """`model.predict_many(records)` after `cost_ms` of CPU, and the wall milliseconds both took:
    the `model` part of the Server-Timing header."""
    started = time.perf_counter()
    spend(cost_ms)
    values = model.predict_many(records)
    return values, (time.perf_counter() - started) * 1000.0
