"""Floors: the least each kind of work can cost on this machine, measured in the same run.

Each architecture's figure is shown beside the floor for its kind of work, so a reader sees how
far it is from the physical limit rather than an absolute number that depends on the laptop:

- `model_arithmetic`: the fitted linear model as one numpy dot product (embedded);
- `http_constant`: a loopback HTTP round trip to waitress answering a constant (model API).

Floors of one system's own kind of work (a round trip on its broker, a claim-and-write on its
store) are measured by that system (`System.floors()`), on its own parts with its own settings.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from patterns.launch.process import ManagedProcess, free_port

from .load import run_load
from .stats import Summary, summarize


@dataclass
class Floor:
    """Samples of one floor in milliseconds; `failed` counts attempts that got no answer."""

    name: str
    description: str
    samples_ms: list[float] = field(default_factory=list)
    failed: int = 0

    @classmethod
    def of(cls, samples) -> Floor:
        """A floor a system measured itself (`patterns.launch.contract.FloorSamples`)."""
        return cls(samples.name, samples.description, list(samples.samples_ms), samples.failed)

    def summary(self) -> Summary:
        return summarize(self.samples_ms)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "samples_ms": self.samples_ms,
            "failed": self.failed,
            "summary_ms": self.summary().to_dict(),
        }


def linear_form(compiled, record: Mapping) -> tuple[np.ndarray, np.ndarray, float]:
    """(coefficients, feature vector, intercept) of a `CompiledLinearModel` for one cleaned record.

    The vector holds log1p of each numeric value (or of its fill value) and a one-hot indicator
    per known category, so `exp(x @ coef + intercept)` is the model's price for the record.
    """
    coefs, xs = [], []
    for name, (weight, fill) in compiled.numeric.items():
        value = record.get(name)
        coefs.append(weight)
        xs.append(fill if value is None else math.log1p(value))
    for name, table in compiled.categorical.items():
        for category, weight in table.items():
            coefs.append(weight)
            xs.append(1.0 if record.get(name) == category else 0.0)
    return np.array(coefs), np.array(xs), compiled.intercept


def model_arithmetic_floor(model, record: Mapping, count: int = 10_000) -> Floor:
    """Time `exp(x @ coef + intercept)` per call: the model's arithmetic with no feature extraction."""
    coef, x, intercept = linear_form(model.compiled, record)
    expected = model.predict_one(dict(record))
    price = math.exp(float(x @ coef) + intercept)
    if not math.isclose(price, expected, rel_tol=1e-9):
        raise ValueError(f"linear form of {model.version} gives {price}, the model gives {expected}")
    samples = []
    clock = time.perf_counter_ns
    for _ in range(count):
        started = clock()
        math.exp(float(x @ coef) + intercept)
        samples.append((clock() - started) / 1e6)
    return Floor(
        "model_arithmetic",
        f"numpy dot product of the {coef.size} fitted coefficients of model {model.version}, in process",
        samples,
    )


def http_constant_floor(
    json: object = None, count: int = 2000, duration_s: float = 30.0, concurrency: int = 1
) -> Floor:
    """Loopback HTTP round trips (POSTing `json`) to a waitress process answering a constant."""
    port = free_port()
    argv = [sys.executable, "-m", "archlab.measure.constant_server", "--port", str(port)]
    with ManagedProcess("floor-http-constant", argv, port=port, health_path="/") as server:
        result = run_load(
            server.url + "/predict",
            count=count,
            duration_s=duration_s,
            concurrency=concurrency,
            method="POST",
            json=json,
            label="floor: HTTP constant",
        )
    return Floor(
        "http_constant",
        f"loopback HTTP POST to waitress answering a constant ({result.mode}, {concurrency} client)",
        result.latencies_ms(),
        len(result.failures),
    )
