"""The chart of the plan: time until every instance serves a new model, for 1 to 10,000 instances."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from .fanout import time_to_all_new
from .plan import Plan

INSTANCES = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000]
FILE = "plan_fanout.png"


def fanout_figure(plan: Plan) -> Figure:
    figure = Figure(figsize=(8, 4.8), layout="constrained")
    axes = figure.subplots()
    for p in plan.architectures:
        c = p.calibration
        seconds = [time_to_all_new(c, n, plan.inputs) for n in INSTANCES]
        what = (f"re-score {plan.inputs.rescore_rows:,} rows with N workers" if c.answers_later
                else p.rollouts[0].strategy if p.rollouts else "")
        axes.plot(INSTANCES, seconds, marker="o", markersize=3, label=f"{c.name}: {what}")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("N: model-holding instances (async: workers)")
    axes.set_ylabel("seconds until every instance serves the new model")
    axes.set_title(f"A model update at scale (rolling batches of {plan.inputs.rolling_batch_percent:g}%, "
                   f"broker egress {plan.inputs.broker_egress_mib_s:g} MiB/s)", fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    return figure


def draw_fanout(plan: Plan, path: Path) -> Path:
    fanout_figure(plan).savefig(path, dpi=100)
    return path
