"""The targets this machine should meet, checked against the measured values (never asserted in tests).

Each target reads a ratio or a figure from the results dict, so the report states how far each
architecture is from the floor of the same shape and whether the issue's target was met. A target
whose inputs this run did not measure is reported as "not measured", never guessed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, "==": operator.eq}


def _get(data, *path):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _ratio(numerator, denominator):
    return numerator / denominator if numerator is not None and denominator else None


def _p50(data: dict, arch: str):
    return _get(data, "architectures", arch, "latency", "summary_ms", "p50")


def _floor_p50(data: dict, floor: str):
    return _get(data, "floors", floor, "summary_ms", "p50")


def _rps(runs, concurrency: int):
    """Requests/s of the run at `concurrency` in a list of throughput runs (None if absent)."""
    return next((run["requests_per_s"] for run in runs or [] if run.get("concurrency") == concurrency), None)


def _scaled_rps(data: dict, arch: str, instances: int, with_cost: bool):
    return next((run["throughput"].get("requests_per_s") for run in data.get("scale_out", [])
                 if run["architecture"] == arch and run["instances"] == instances
                 and bool(run["model_cost_ms"]) == with_cost), None)


def _async_job_target(data: dict) -> float:
    """20,000 rows/s on SQLite, 10,000 on PostgreSQL (where the async run kept its requests)."""
    database = _get(data, "architectures", "async", "namespace", "database") or ""
    return 10_000 if database.startswith("postgresql") else 20_000


Target = tuple[str, Callable[[dict], float | None], str, float | Callable[[dict], float]]

TARGETS: dict[str, Target] = {
    "embedded_over_framework_floor": (
        "embedded p50 / the framework's floor (constant answer from a Flask route, one round trip) p50",
        lambda d: _ratio(_p50(d, "embedded"), _floor_p50(d, "flask_constant")), "<=", 1.25),
    "embedded_over_server_floor": (
        "embedded p50 / the server's floor (constant answer from a bare WSGI callable) p50",
        lambda d: _ratio(_p50(d, "embedded"), _floor_p50(d, "http_constant")), "<=", 1.6),
    "api_over_two_roundtrips": (
        "model-API p50 / two constant round trips in series (Flask front, Flask back end) p50",
        lambda d: _ratio(_p50(d, "api"), _floor_p50(d, "http_two_roundtrips")), "<=", 1.3),
    "embedded_throughput_c8": (
        "embedded requests/s at concurrency 8 / the framework floor's requests/s at concurrency 8",
        lambda d: _ratio(_rps(_get(d, "architectures", "embedded", "throughput"), 8),
                         _rps(_get(d, "throughput_floors", "flask_constant"), 8)), ">=", 0.7),
    "api_scale_out_with_cost": (
        "model API with the model-cost knob on: requests/s with 2 model-service instances / with 1",
        lambda d: _ratio(_scaled_rps(d, "api", 2, True), _scaled_rps(d, "api", 1, True)), ">=", 1.7),
    "streaming_propagation_s": (
        "streaming propagation, publish returned -> every instance serves the new version (s)",
        lambda d: _get(d, "architectures", "streaming", "update", "details", "propagation_s"), "<", 1.0),
    "streaming_update_failures": (
        "failed requests during the streaming update",
        lambda d: _get(d, "architectures", "streaming", "update", "failed"), "==", 0),
    "async_job_rows_per_s": (
        "async job throughput on its store (rows/s; 20,000 on SQLite, 10,000 on PostgreSQL)",
        lambda d: _get(d, "architectures", "async", "figures", "job_rows_per_s"), ">=", _async_job_target),
    "run_seconds": (
        "the whole comparison, wall clock (s; make compare 300, --quick 90)",
        lambda d: d.get("duration_s"), "<", lambda d: 90 if d.get("quick") else 300),
}


def evaluate_targets(data: dict) -> dict[str, dict]:
    """{id: {description, measured, op, target, met}}; `measured` is None when not in this run."""
    checked = {}
    for key, (description, measure, op, target) in TARGETS.items():
        value = measure(data)
        bound = target(data) if callable(target) else target
        checked[key] = {
            "description": description,
            "measured": value,
            "op": op,
            "target": bound,
            "met": None if value is None else bool(_OPS[op](value, bound)),
        }
    return checked
