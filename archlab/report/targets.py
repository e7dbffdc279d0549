"""The targets this machine should meet, checked against the measured values (never asserted in tests).

Each target is a ratio or a figure read from the results dict, so the report states how far each
architecture is from its floor and whether the issue's target was met.
"""

from __future__ import annotations

import operator

_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, "==": operator.eq}


def _get(data: dict, path: tuple[str, ...]):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _p50(*path: str) -> tuple[str, ...]:
    return (*path, "summary_ms", "p50")


TARGETS = {
    "embedded_over_http_floor": (
        "embedded p50 through the front door / constant-answer HTTP round trip p50",
        _p50("architectures", "embedded", "latency"), _p50("floors", "http_constant"), "<=", 1.5),
    "api_over_embedded": (
        "model-API p50 / embedded p50",
        _p50("architectures", "api", "latency"), _p50("architectures", "embedded", "latency"), "<=", 2.0),
    "streaming_propagation_s": (
        "streaming propagation, publish returned -> every instance serves the new version (s)",
        ("architectures", "streaming", "update", "details", "propagation_s"), None, "<", 1.0),
    "streaming_update_failures": (
        "failed requests during the streaming update",
        ("architectures", "streaming", "update", "failed"), None, "==", 0),
    "async_job_rows_per_s": (
        "async job throughput on the store (rows/s)",
        ("architectures", "async", "figures", "job_rows_per_s"), None, ">=", 10_000),
}


def evaluate_targets(data: dict) -> dict[str, dict]:
    """{id: {description, measured, op, target, met}}; `measured` is None when not in this run."""
    checked = {}
    for key, (description, path, divisor_path, op, target) in TARGETS.items():
        value = _get(data, path)
        if divisor_path is not None:
            divisor = _get(data, divisor_path)
            value = value / divisor if value is not None and divisor else None
        checked[key] = {
            "description": description,
            "measured": value,
            "op": op,
            "target": target,
            "met": None if value is None else bool(_OPS[op](value, target)),
        }
    return checked
