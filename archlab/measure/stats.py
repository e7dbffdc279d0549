"""Percentiles from every sample, with one stated method, so all figures are comparable.

Method: linear interpolation between the two closest ranks (numpy's default,
Hyndman & Fan type 7): for sorted samples x[0..n-1], the q-th percentile sits at rank
h = (n - 1) * q / 100 and equals x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

METHOD = "linear interpolation between closest ranks (numpy default, Hyndman-Fan type 7)"


@dataclass(frozen=True)
class Summary:
    """Distribution of one set of samples, in the samples' own unit.

    With no samples (every request failed) `n` is 0 and every statistic is None.
    """

    n: int
    mean: float | None
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def summarize(samples: Iterable[float]) -> Summary:
    """Mean, p50, p95, p99 and max of all `samples` (none dropped, none averaged away)."""
    values = np.asarray(list(samples), dtype=float)
    if values.size == 0:
        return Summary(n=0, mean=None, p50=None, p95=None, p99=None, max=None)
    if not np.all(np.isfinite(values)):
        raise ValueError("samples must be finite numbers")
    p50, p95, p99 = np.percentile(values, [50, 95, 99], method="linear")
    return Summary(
        n=int(values.size),
        mean=float(values.mean()),
        p50=float(p50),
        p95=float(p95),
        p99=float(p99),
        max=float(values.max()),
    )
