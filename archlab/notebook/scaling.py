"""One and two instances of the part an architecture scales on its own, with the model-cost knob
standing in for a heavier model (notebook 02: the model API's model service), measured exactly as
`archlab compare` measures scale-out, and said in lines a notebook prints."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import replace

from shared_model import example_record

from patterns.settings import Settings

from ..compare.budget import QUICK
from ..compare.scale import measure_scale_out
from ..compare.timing import Timings
from ..report.scaling import scale_factors

SHARE_OF_THE_WORK = 0.3  # an instance that used less of the pair's CPU than this did not really share it


def _run_line(run: dict) -> str:
    """Its rate, and the cores its instances kept busy: a second instance buys answers only with a core of its own."""
    cpu = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in run["cpu_s_by_process"].items())
    cores = sum(run["cpu_s_by_process"].values()) / run["throughput"]["seconds"]
    return (f"{run['instances']} x {run['scaled']}: {run['throughput']['requests_per_s']:.1f} requests/s "
            f"({run['throughput']['failed']} failed); CPU used: {cpu}, "
            f"{cores:.2f} cores busy on average")


def describe_scale_out(runs: list[dict], budget=QUICK) -> list[str]:
    """`archlab.compare.scale` runs of one architecture (one and two instances) in words: a line per
    run, what the second instance bought, whether both instances shared the work (each used at least
    `SHARE_OF_THE_WORK` of the pair's CPU), and the machine's load beside them."""
    lines = [f"the model spends {budget.model_cost_ms:g} ms of CPU per prediction; {budget.scale_concurrency} clients in "
             f"flight for at most {budget.scale_seconds:.1f} s each"]
    lines += [_run_line(run) for run in runs]
    factor = scale_factors(runs)[0]
    two = next(run for run in runs if run["instances"] == 2)["cpu_s_by_process"]
    shared = all(seconds >= SHARE_OF_THE_WORK * sum(two.values()) for seconds in two.values())
    return lines + [f"the second {factor['scaled']} bought x{factor['factor']:.2f} the requests/s (x2.00: twice as many)",
                    f"both {factor['scaled']} instances did the work: {shared}",
                    f"on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (the machine's other work shares them)"]


def scale_the_model(arch: str, cost_ms: float = QUICK.model_cost_ms, version: str = "v2") -> list[str]:
    """Start `arch` with one, then two instances of the part it scales, each prediction spending
    `cost_ms` of CPU (`MODEL_COST_MS`); the same load through its one front each time, measured as
    `archlab compare` measures scale-out; the runs in words (`describe_scale_out`)."""
    budget = replace(QUICK, model_cost_ms=cost_ms)
    with contextlib.redirect_stderr(io.StringIO()):  # progress bars: their counts vary with timing
        runs = measure_scale_out(arch, Settings.from_env(), budget, example_record(), version, namespace="scale",
                                 timings=Timings())
    if not runs:
        raise ValueError(f"{arch} runs no part that scales on its own: nothing to compare")
    return describe_scale_out(runs, budget)
