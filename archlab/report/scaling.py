"""What a second instance of the scaled part bought, derived from the scale-out runs: the rate with
two instances divided by the rate with one, repetition by repetition (the chart, the lecture's
table and results.json all read it from here)."""

from __future__ import annotations


def scale_factors(runs: list[dict]) -> list[dict]:
    """Per architecture and model cost with both a one- and a two-instance run: the median factor,
    each repetition's factor, and what the rate counts (requests through the front, or rows a job's
    workers scored, whose model cost is charged once per batch call rather than per prediction)."""
    factors = []
    for group in dict.fromkeys((r["architecture"], r["model_cost_ms"]) for r in runs):
        pair = {r["instances"]: r for r in runs if (r["architecture"], r["model_cost_ms"]) == group}
        if 1 not in pair or 2 not in pair:
            continue
        rate = "requests_per_s" if "requests_per_s" in pair[1]["throughput"] else "rows_per_s"
        ones = pair[1].get("rounds_rate") or [pair[1]["throughput"][rate]]
        twos = pair[2].get("rounds_rate") or [pair[2]["throughput"][rate]]
        each = [round(two / one, 3) for one, two in zip(ones, twos) if one]
        if each:
            factors.append({"architecture": group[0], "model_cost_ms": group[1], "rate": rate,
                            "scaled": pair[1]["scaled"], "factor": sorted(each)[(len(each) - 1) // 2],
                            "rounds": each})
    return factors
