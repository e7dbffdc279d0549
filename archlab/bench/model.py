"""Model benchmark: the fast single-record path against the plain scikit-learn pipeline, with the
raw numpy dot product of the fitted coefficients as the floor, all measured in one run.
"""

from __future__ import annotations

import math
import os
import platform

from shared_model import ModelStore, example_record, validate_batch, validate_record
from shared_model.data import new_houses_records

from ..measure.floors import linear_form
from ..measure.rates import rows_per_second, time_calls
from ..measure.stats import summarize


def machine_description() -> str:
    """CPU model, the CPUs this process may use (as `nproc` counts them), architecture and Python:
    printed with every benchmark."""
    cpu = platform.processor() or "cpu"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.machine()}, nproc {nproc} x {cpu}, python {platform.python_version()}"


def run_model_bench(version: str | None = None, calls: int = 2000, pipeline_calls: int = 2000) -> dict:
    """Single-record latency (seconds) and batch throughput (rows/s) of each path, plus the floor."""
    model = ModelStore().load(version)
    record = validate_record(example_record())
    houses = [clean for _, clean in validate_batch(new_houses_records(), allow_extra=True).valid]

    coef, features, intercept = linear_form(model.compiled, record)

    latency = {
        "floor: numpy dot of fitted coefficients": time_calls(lambda: math.exp(float(features @ coef) + intercept), calls, 200),
        "validate_record (boundary check)": time_calls(lambda: validate_record(example_record()), calls, 200),
        "fast path: Model.predict_one": time_calls(lambda: model.predict_one(record), calls, 200),
        "pipeline: Model.predict on one row": time_calls(lambda: model.predict([record]), pipeline_calls, 20),
    }
    throughput = {
        "fast path: predict_one loop": rows_per_second(lambda: [model.predict_one(r) for r in houses], len(houses)),
        "pipeline: Model.predict batch": rows_per_second(lambda: model.predict(houses), len(houses)),
    }
    return {
        "model_version": model.version,
        "machine": machine_description(),
        "calls": calls,
        "batch_rows": len(houses),
        "latency": {name: summarize(samples).to_dict() for name, samples in latency.items()},
        "throughput_rows_per_s": throughput,
    }


def format_model_bench(result: dict) -> str:
    floor = result["latency"]["floor: numpy dot of fitted coefficients"]["p50"]
    lines = [
        f"model {result['model_version']} on {result['machine']}",
        f"single record, {result['calls']} calls after warm-up (microseconds):",
        f"  {'path':42} {'p50':>9} {'p99':>9} {'p50/floor':>10}",
    ]
    for name, stats in result["latency"].items():
        lines.append(f"  {name:42} {stats['p50'] * 1e6:9.2f} {stats['p99'] * 1e6:9.2f} {stats['p50'] / floor:10.1f}x")
    lines.append(f"batch of {result['batch_rows']} new houses (rows/s, best of 3):")
    for name, rate in result["throughput_rows_per_s"].items():
        lines.append(f"  {name:42} {rate:12,.0f}")
    return "\n".join(lines)
