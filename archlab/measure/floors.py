"""Floors: the least each kind of work can cost on this machine, measured in the same run.

Each architecture's figure is shown beside the floor for its kind of work, so a reader sees how
far it is from the physical limit rather than an absolute number that depends on the laptop:

- `model_arithmetic`: the fitted linear model as one numpy dot product (embedded);
- `http_constant`: a loopback HTTP round trip to waitress answering a constant from a bare WSGI
  callable: the server's floor;
- `flask_constant`: the same from a Flask route handling the request as the front does: the
  framework's floor (embedded is one round trip of this shape);
- `http_two_roundtrips`: a Flask front calling a Flask back end, both constant: the model API's
  shape with no model;
- `raw_batch_rows_per_s` (`raw_batch_rate`): `model.predict` on a DataFrame, no database: the
  ceiling of a batch job.

Each constant floor also runs under concurrent load (`constant_throughput`), so a system's
throughput is set beside the floor's at the same concurrency.

Floors of one system's own kind of work (a round trip on its broker, a claim-and-write on its
store) are measured by that system (`System.floors()`), on its own parts with its own settings.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import numpy as np

from shared_model import example_record

from patterns.launch.process import ManagedProcess, free_port

from .load import run_load
from .rates import rows_per_second
from .stats import Summary, summarize
from .throughput import Throughput, measure_throughput


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


CONSTANT_FLOORS = {
    "http_constant": "loopback HTTP POST to waitress answering a constant from a bare WSGI callable "
                     "(the server's floor)",
    "flask_constant": "loopback HTTP POST to waitress answering a constant from a Flask route that parses "
                      "the JSON body and answers with jsonify (the framework's floor)",
    "http_two_roundtrips": "loopback HTTP POST to a Flask front (as flask_constant) that POSTs the body to a "
                           "Flask constant back end over a kept-alive connection and answers its JSON: two "
                           "round trips in series (the model API's shape, no model)",
}


@contextmanager
def constant_server(kind: str) -> Iterator[str]:
    """Start the server(s) of the constant floor `kind` on free loopback ports; yield its POST URL;
    stop them on exit. Each runs on `patterns.web.wsgi_server.create_server` with the front's settings."""
    if kind not in CONSTANT_FLOORS:
        raise ValueError(f"constant floor must be one of {', '.join(CONSTANT_FLOORS)}; got {kind!r}")
    module = [sys.executable, "-m", "archlab.measure.constant_server"]
    with ExitStack() as servers:
        def start(name: str, *options: str) -> str:
            port = free_port()
            argv = [*module, "--port", str(port), *options]
            return servers.enter_context(ManagedProcess(name, argv, port=port, health_path="/health")).url
        if kind == "http_constant":
            url = start("floor-http-constant")
        elif kind == "flask_constant":
            url = start("floor-flask-constant", "--flask")
        else:
            backend = start("floor-two-roundtrips-back", "--flask")
            url = start("floor-two-roundtrips-front", "--flask", "--backend", backend)
        yield url + "/predict"


def constant_floor(kind: str, json: object = None, count: int = 2000, duration_s: float = 30.0,
                   concurrency: int = 1) -> Floor:
    """Latency samples of the constant floor `kind` (see CONSTANT_FLOORS), POSTing `json`
    (default: the example house) from `concurrency` clients."""
    json = example_record() if json is None else json
    with constant_server(kind) as url:
        result = run_load(url, count=count, duration_s=duration_s, concurrency=concurrency, method="POST",
                          json=json, label=f"floor: {kind}")
    return Floor(kind, f"{CONSTANT_FLOORS[kind]} ({result.mode}, {concurrency} client)",
                 result.latencies_ms(), len(result.failures))


def http_constant_floor(json: object = None, count: int = 2000, duration_s: float = 30.0,
                        concurrency: int = 1) -> Floor:
    """Loopback HTTP round trips (POSTing `json`) to a waitress process answering a constant."""
    return constant_floor("http_constant", json, count, duration_s, concurrency)


def constant_throughput(kind: str, concurrency: int, count: int, duration_s: float,
                        json: object = None) -> Throughput:
    """The constant floor `kind` under `concurrency` clients, bounded by `count` and `duration_s`,
    on servers started for this call (use `constant_server` to run several concurrencies on one)."""
    with constant_server(kind) as url:
        return measure_throughput(url, concurrency, count=count, duration_s=duration_s,
                                  json=example_record() if json is None else json, label=f"throughput: {kind}")


def raw_batch_rate(model, rows) -> float:
    """Rows/s of `model.predict` on the DataFrame `rows` (best of 3 after a warm-up), no database:
    the most a batch job scoring with this model could reach on this machine."""
    if len(rows) == 0:
        raise ValueError("raw_batch_rate needs at least one row")
    return rows_per_second(lambda: model.predict(rows), len(rows))
