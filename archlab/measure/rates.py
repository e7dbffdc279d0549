"""Timing a call repeatedly in process: per-call samples, and rows/s of a batch call (best of a few)."""

from __future__ import annotations

import time
from collections.abc import Callable


def time_calls(call: Callable[[], object], calls: int, warmup: int) -> list[float]:
    """Seconds per call of `calls` calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    samples = []
    clock = time.perf_counter
    for _ in range(calls):
        started = clock()
        call()
        samples.append(clock() - started)
    return samples


def rows_per_second(call: Callable[[], object], rows: int, repeats: int = 3) -> float:
    """`rows` over the fastest of `repeats` calls (after one warm-up): the rate the machine allows."""
    best = min(time_calls(call, repeats, warmup=1))
    return rows / best
