"""Format benchmark (`archlab bench --formats`): every file a stored version carries, measured in
one run beside the numpy floor — size, load time, single-row latency, batch rate, parity error.

Each format is timed on the path that format's runtime gives: the pickle through the unpickled
scikit-learn pipeline, model.json on the fast path, ONNX in onnxruntime, MLflow through
`mlflow.pyfunc`. "cold load" runs in a fresh interpreter, so it includes importing the runtime
(what a service pays when it starts); "load" is a second load in this process, imports done.
The two DataFrame paths (pickle, MLflow) take milliseconds per row, so they get a tenth of the
single-row calls; the table says how many each row made.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time

from shared_model import ModelStore, example_record, validate_batch, validate_record
from shared_model.data import new_houses_records
from shared_model.formats import FORMATS, load_model

from ..measure.floors import linear_form
from ..measure.rates import rows_per_second, time_calls
from ..measure.stats import summarize
from .model import machine_description

FLOOR = "floor: numpy dot of fitted coefficients"
DATAFRAME_PATHS = ("pickle", "mlflow")
RUNTIMES = {
    "pickle": "scikit-learn pipeline",
    "json": "fast path (plain floats)",
    "onnx": "onnxruntime, float32",
    "mlflow": "mlflow.pyfunc",
}
_COLD_LOAD = (
    "import sys, time; started = time.perf_counter(); "
    "from shared_model import ModelStore; from shared_model.formats import load_model; "
    "load_model(ModelStore(), sys.argv[1], sys.argv[2]); print(time.perf_counter() - started)"
)


def cold_load_seconds(version: str, name: str) -> float:
    """Seconds from importing shared_model to a loaded model, in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _COLD_LOAD, version, name],
                          capture_output=True, text=True, check=True, timeout=300)
    return float(done.stdout.strip().splitlines()[-1])


def _paths(model, name: str):
    """(one-row call, batch call) on the path this format's runtime gives."""
    if name == "pickle":
        return (lambda record: model.predict([record])[0]), model.predict
    return model.predict_one, model.predict_many


def run_format_bench(version: str | None = None, calls: int = 2000) -> dict:
    store = ModelStore()
    version = version or store.latest()
    record = validate_record(example_record())
    houses = [clean for _, clean in validate_batch(new_houses_records(), allow_extra=True).valid]
    reference = store.load(version).predict(houses)
    formats = {}
    for name, file in FORMATS.items():
        cold = cold_load_seconds(version, name)
        load_model(store, version, name)  # imports this format's runtime here
        started = time.perf_counter()
        model = load_model(store, version, name)
        loaded = time.perf_counter() - started
        one, batch = _paths(model, name)
        prices = batch(houses)
        row_calls = max(20, calls // 10) if name in DATAFRAME_PATHS else calls
        formats[name] = {
            "file": file,
            "runtime": RUNTIMES[name],
            "bytes": (store.path(version) / file).stat().st_size,
            "cold_load_s": cold,
            "load_s": loaded,
            "calls": row_calls,
            "latency": summarize(time_calls(lambda: one(record), row_calls, warmup=20)).to_dict(),
            "rows_per_s": rows_per_second(lambda: batch(houses), len(houses)),
            "max_relative_error": max(abs(p / r - 1) for p, r in zip(prices, reference)),
        }
    coef, features, intercept = linear_form(store.load(version, portable=True).compiled, record)
    floor = time_calls(lambda: math.exp(float(features @ coef) + intercept), calls, 200)
    return {
        "model_version": version,
        "machine": machine_description(),
        "calls": calls,
        "batch_rows": len(houses),
        "parity_reference": "the unpickled scikit-learn pipeline (float64) on the same houses",
        "formats": formats,
        "floor": summarize(floor).to_dict(),
    }


def format_format_bench(result: dict) -> str:
    lines = [
        f"model {result['model_version']} on {result['machine']}",
        f"single record: calls after warm-up; batch: the {result['batch_rows']} new houses, best of 3; "
        "parity: max relative error against the pickled pipeline",
        f"  {'format':7} {'runtime':25} {'file':>9} {'cold load':>10} {'load':>9} {'calls':>6} {'p50 µs':>9} "
        f"{'p99 µs':>9} {'rows/s':>10} {'parity':>8}",
    ]
    for name, row in result["formats"].items():
        lines.append(
            f"  {name:7} {row['runtime']:25} {row['bytes'] / 1024:7.1f}KB {row['cold_load_s']:9.2f}s "
            f"{row['load_s'] * 1e3:7.1f}ms {row['calls']:6} {row['latency']['p50'] * 1e6:9.1f} {row['latency']['p99'] * 1e6:9.1f} "
            f"{row['rows_per_s']:10,.0f} {row['max_relative_error']:8.1e}"
        )
    floor = result["floor"]
    lines.append(f"  {FLOOR:61}{result['calls']:6} {floor['p50'] * 1e6:9.1f} {floor['p99'] * 1e6:9.1f}")
    return "\n".join(lines)
