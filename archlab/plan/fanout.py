"""A model update at scale: how long until every instance serves it, and what requests it fails.

Each architecture's own measured procedure is extrapolated to N instances; the other strategy
(the better one the report names, or the naive stop-then-start) is costed from the same measured
figures, and says which of its numbers is assumed rather than measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .calibration import Calibration, MissingFigure
from .inputs import PlanInputs
from .sizing import database_rows_per_s, worker_rows_per_s

MIB = 1024 * 1024


@dataclass(frozen=True)
class Rollout:
    strategy: str
    seconds: float  # until every instance serves the new model
    failed: float | None  # requests failed by one update (None: not measurable from this report)
    how: str  # the arithmetic, in words, with its measured inputs
    measured: bool  # this strategy is the one the report measured


def batch_size(instances: int, inputs: PlanInputs) -> int:
    """Replicas replaced at once: the rolling batch percentage of `instances`, at least one."""
    return max(1, math.floor(instances * inputs.rolling_batch_percent / 100))


def _mean(values) -> float:
    return sum(values) / len(values)


def time_to_all_new(c: Calibration, instances: int, inputs: PlanInputs) -> float:
    """Seconds from the update's start until all `instances` serve the new model (the chart's y)."""
    return rollouts(c, instances, inputs)[0].seconds


def rollouts(c: Calibration, instances: int, inputs: PlanInputs) -> list[Rollout]:
    """The measured strategy first, then the alternative, for `instances` model-holding instances."""
    u, rate = c.update, inputs.requests_per_s
    if c.answers_later:
        seconds, how = rescore_time(c, instances, inputs)
        return [Rollout(u["strategy"], u["build_s"] + seconds, u["failed"], how, True)]
    if "bundle_bytes" in u:  # every instance fetches the published bundle from the broker, then swaps
        fetch = instances * u["bundle_bytes"] / (inputs.broker_egress_mib_s * MIB)
        swap = max(_need_update(c, u, "instance_seconds", "seconds each instance took to swap the model in"))
        how = (f"publish {u['build_s']:.3g} s + {instances} x {u['bundle_bytes'] / 1024:.3g} KiB over "
               f"{inputs.broker_egress_mib_s:g} MiB/s broker egress + slowest swap {swap:.3g} s")
        return [Rollout(u["strategy"], u["build_s"] + fetch + swap, u["failed"], how, True)]
    batches = math.ceil(instances / batch_size(instances, inputs))
    if c.naive_update is not None:  # both measured: the best practice (replicas rolled behind a balancer) and the naive
        return [_in_place(c, u, batches, rate), _in_place(c, c.naive_update, batches, rate)]
    if "front_restart_s" in u or u["failed"]:  # replicas restarted in place: requests to one restarting fail
        seconds, _, how = _restart_batches(c, u, batches)
        return [_in_place(c, u, batches, rate), Rollout(u["better_strategy"] or "blue/green", seconds, 0.0,
                                                        how + "; 0 failed assumes a balancer drains each "
                                                        "replica first", False)]
    seconds = batches * (u["build_s"] + u["switch_s"])
    how = f"{batches} batches x (start and ready {u['build_s']:.3g} s + switch {u['switch_s']:.3g} s)"
    return [Rollout(u["strategy"], seconds, u["failed"], how, True),
            Rollout("stop-then-start", u["build_s"], rate * u["build_s"],
                    f"every instance down while the new ones start ({u['build_s']:.3g} s): "
                    f"{rate:,.0f} requests/s fail, as the fault probe measured with the tier down", False)]


def rescore_time(c: Calibration, workers: int, inputs: PlanInputs) -> tuple[float, str]:
    """Seconds for `workers` to score `inputs.rescore_rows` rows: their rows/s, capped by the store's."""
    per_worker, store = worker_rows_per_s(c, inputs.model_cost_ms), database_rows_per_s(c)
    rows_per_s = min(workers * per_worker, store)
    capped = " (capped by the store's write rate)" if workers * per_worker > store else ""
    return inputs.rescore_rows / rows_per_s, (f"{inputs.rescore_rows:,} rows / min({workers} x {per_worker:,.0f}, "
                                              f"store {store:,.0f}) rows/s{capped}")


def workers_for_window(c: Calibration, inputs: PlanInputs) -> int | None:
    """The fewest workers that re-score every stored row within the window; None if the store cannot."""
    needed = inputs.rescore_rows / (inputs.rescore_hours * 3600)
    if needed > database_rows_per_s(c):
        return None
    return max(1, math.ceil(needed / worker_rows_per_s(c, inputs.model_cost_ms)))


def _in_place(c: Calibration, u: dict, batches: int, rate: float) -> Rollout:
    """Replicas restarted in batches (`u`: one measured update's figures). Requests fail as they
    failed when measured: an update that failed some fails `rate` x one replica's restart (the
    time a replica is away); one that failed none (a balancer drained each replica) fails none."""
    seconds, restart, how = _restart_batches(c, u, batches)
    if u["failed"]:
        return Rollout(u["strategy"], seconds, rate * restart, how + f"; {rate:,.0f} requests/s x restart fail", True)
    return Rollout(u["strategy"], seconds, 0.0, how + "; none failed when measured (each replica drained first)", True)


def _restart_batches(c: Calibration, u: dict, batches: int) -> tuple[float, float, str]:
    """Seconds until every replica restarted in `batches`, one replica's restart, and that arithmetic in words."""
    restart = _mean(_need_update(c, u, "front_restart_s", "seconds each front replica took to restart"))
    return (u["build_s"] + batches * restart, restart,
            f"build {u['build_s']:.3g} s + {batches} batches x restart {restart:.3g} s")


def _need_update(c: Calibration, u: dict, key: str, expected: str):
    if key not in u:
        raise MissingFigure(f"results.json has no architectures/{c.name}/update/details/{key}: expected {expected}")
    return u[key]
