"""Reading an update out of a load run: when did every answer start carrying the new version?

Times are request start times on the load run's clock (`Sample.t_s`, `LoadRun.clock()`), so a
driver marks "v2 ready" with `run.clock()` and compares it with the samples directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from .load import Sample


def converged_at(samples: Sequence[Sample], version: str) -> float | None:
    """Start time of the first request after which every request succeeded with `version`.

    None if the last request did not (the switch never completed within the run).
    """
    ordered = sorted(samples, key=lambda s: s.t_s)
    converged = None
    for sample in ordered:
        if sample.ok and sample.value == version:
            converged = sample.t_s if converged is None else converged
        else:
            converged = None
    return converged


def failures_between(samples: Sequence[Sample], start_s: float, end_s: float) -> int:
    """Failed requests that started in [start_s, end_s]: what users lost during a switch."""
    return sum(1 for s in samples if not s.ok and start_s <= s.t_s <= end_s)
