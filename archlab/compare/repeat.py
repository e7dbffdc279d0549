"""A measurement repeated in one run, the repetitions interleaved across architectures so the
machine's drift spreads over all of them: pooled into one record that keeps each repetition's
value, so a report can show the median and the spread and a verdict can say when it cannot tell."""

from __future__ import annotations

import statistics

from ..measure.stats import summarize
from ..report import Latency


def pooled_latency(rounds: list[Latency]) -> Latency:
    """Every repetition's samples together, each repetition's p50 and p99 kept beside them."""
    first = rounds[0]
    parts = {part: [v for latency in rounds for v in latency.parts_ms.get(part, [])] for part in first.parts_ms}
    summaries = [summarize(latency.samples_ms) for latency in rounds]
    return Latency(first.definition, first.floor, [v for latency in rounds for v in latency.samples_ms],
                   sum(latency.failed for latency in rounds), parts,
                   rounds={"p50_ms": [s.p50 for s in summaries], "p99_ms": [s.p99 for s in summaries]})


def _median_run(runs: list[dict], rate: str) -> dict:
    """The repetition whose rate is the median (the lower middle one of an even count)."""
    ordered = sorted(runs, key=lambda run: run[rate])
    return ordered[(len(ordered) - 1) // 2]


def pooled_runs(rounds: list[list[dict]], rate: str = "requests_per_s") -> list[dict]:
    """Per position (one concurrency, one configuration): the median repetition's run, with every
    repetition's `rate` under `rounds_<rate>` and their spread (max - min)."""
    pooled = []
    for runs in zip(*rounds):
        values = [run[rate] for run in runs]
        pooled.append({**_median_run(list(runs), rate), f"rounds_{rate}": values,
                       f"spread_{rate}": max(values) - min(values)})
    return pooled


def pooled_scale_out(rounds: list[list[dict]]) -> list[dict]:
    """Scale-out configurations (architecture, model cost, instances), in the first repetition's
    order: each one's median repetition by its rate, with every repetition's rate kept under
    `rounds_rate` (a configuration a later repetition left out has fewer)."""
    by_config: dict[tuple, list[dict]] = {}
    for runs in rounds:
        for run in runs:
            by_config.setdefault((run["architecture"], run["model_cost_ms"], run["instances"]), []).append(run)
    pooled = []
    for runs in by_config.values():
        rate = "requests_per_s" if "requests_per_s" in runs[0]["throughput"] else "rows_per_s"
        values = [run["throughput"][rate] for run in runs]
        median = sorted(runs, key=lambda run: run["throughput"][rate])[(len(runs) - 1) // 2]
        pooled.append({**median, "rounds_rate": values, "median_rate": statistics.median(values)})
    return pooled
