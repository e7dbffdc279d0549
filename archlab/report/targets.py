"""The targets this machine should meet, checked against the measured values (never asserted in tests).

Each architecture declares its own targets (`System.targets`, recorded with its results); each
reads a ratio or a figure from the results dict, so the report states how far each architecture is
from the floor of the same shape and whether the target was met, without naming any architecture
here. A target whose inputs this run did not measure is reported as "not measured", never guessed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from .paths import value_at

_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, "==": operator.eq}


def _ratio(numerator, denominator):
    return numerator / denominator if numerator is not None and denominator else None


def _p50(data: dict, arch: str):
    return value_at(data, "architectures", arch, "latency", "summary_ms", "p50")


def _floor_p50(data: dict, floor: str):
    return value_at(data, "floors", floor, "summary_ms", "p50")


def _rps(runs, concurrency: int):
    """Requests/s of the run at `concurrency` in a list of throughput runs (None if absent)."""
    return next((run["requests_per_s"] for run in runs or [] if run.get("concurrency") == concurrency), None)


def _scaled_rps(data: dict, arch: str, instances: int, with_cost: bool):
    return next((run["throughput"].get("requests_per_s") for run in data.get("scale_out", [])
                 if run["architecture"] == arch and run["instances"] == instances
                 and bool(run["model_cost_ms"]) == with_cost), None)


def _bound(target, data: dict, arch: str) -> float:
    """A number, or the one for the database the architecture kept its requests in."""
    if not isinstance(target, dict):
        return target
    database = value_at(data, "architectures", arch, "namespace", "database") or ""
    return next((v for prefix, v in target.items() if database.startswith(prefix)), target["default"])


# How an architecture's declared target (`System.targets`, recorded with its results) is read.
MEASURES: dict[str, Callable[..., float | None]] = {
    "p50_over_floor": lambda d, arch, floor: _ratio(_p50(d, arch), _floor_p50(d, floor)),
    "rps_over_floor": lambda d, arch, floor, concurrency: _ratio(
        _rps(value_at(d, "architectures", arch, "throughput"), concurrency),
        _rps(value_at(d, "throughput_floors", floor), concurrency)),
    "scale_out_with_cost": lambda d, arch, more, fewer: _ratio(_scaled_rps(d, arch, more, True),
                                                               _scaled_rps(d, arch, fewer, True)),
    "value": lambda d, arch, *path: value_at(d, "architectures", arch, *path),
}

Target = tuple[str, Callable[[dict], float | None], str, float | Callable[[dict], float]]

# The targets of the run as a whole; each architecture's own come with its results.
RUN_TARGETS: dict[str, Target] = {
    "run_seconds": (
        "the whole comparison, wall clock (s; make compare 330: its 6 minutes from a fresh clone less about 30 s "
        "of install and training; --quick 90)",
        lambda d: d.get("duration_s"), "<", lambda d: 90 if d.get("quick") else 330),
}


def _declared(data: dict) -> dict[str, Target]:
    """The targets each architecture declared, read against the whole results."""
    declared = {}
    for arch, record in data.get("architectures", {}).items():
        for spec in record.get("targets", []):
            measure = MEASURES[spec["measure"]]
            declared[spec["key"]] = (
                spec["description"],
                lambda d, arch=arch, measure=measure, args=tuple(spec["args"]): measure(d, arch, *args),
                spec["op"],
                lambda d, arch=arch, target=spec["target"]: _bound(target, d, arch))
    return declared


def evaluate_targets(data: dict) -> dict[str, dict]:
    """{id: {description, measured, op, target, met}}; `measured` is None when not in this run."""
    checked = {}
    for key, (description, measure, op, target) in {**_declared(data), **RUN_TARGETS}.items():
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
