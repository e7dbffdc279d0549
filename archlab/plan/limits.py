"""Where the plan's one-machine assumptions stop holding, and the distributed part that lifts each.

The thresholds are the plan's inputs (broker egress, balancer connections) or measured figures (the
store's write rate); the docker/ files named run the part that lifts the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from .calibration import MS_PER_S, Calibration
from .fanout import time_to_all_new
from .inputs import PlanInputs
from .sizing import Sizing, database_rows_per_s, worker_rows_per_s

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Limit:
    what: str  # the assumption
    holds: bool
    detail: str  # the numbers
    lifted_by: str  # the distributed engine, and the docker/ file that runs it


def limits(c: Calibration, sizing: Sizing, inputs: PlanInputs) -> list[Limit]:
    found = [_balancer(c, sizing, inputs)] if not c.answers_later else []
    holders = sum(tier.instances or 0 for tier in sizing.tiers if tier.holds_model)
    if holders and inputs.updates_per_day:
        interval = SECONDS_PER_DAY / inputs.updates_per_day
        seconds = time_to_all_new(c, holders, inputs)
        kind = "bundle" if "bundle_bytes" in c.update else "batch" if c.answers_later else "instances"
        found.append(Limit(
            _FAN_OUT_ASSUMPTION[kind], seconds < interval,
            f"{seconds:,.1f} s for {holders:,} instances; {interval:,.0f} s between updates", _FAN_OUT_LIFTED_BY[kind]))
    if c.answers_later:
        store = database_rows_per_s(c)
        workers = store / worker_rows_per_s(c, inputs.model_cost_ms)
        found.append(Limit(
            "one database takes every write", inputs.requests_per_s < store,
            f"{inputs.requests_per_s:,.0f} requests/s stored and scored against {store:,.0f} rows/s the store "
            f"wrote (measured: job rows/s less the model's share); workers beyond {workers:,.1f} add nothing",
            _FAN_OUT_LIFTED_BY["batch"]))
    return found


def _balancer(c: Calibration, sizing: Sizing, inputs: PlanInputs) -> Limit:
    """Connections open at once through the balancer (Little's law: rate x time in the system)."""
    seconds = sum((tier.p99_ms or tier.service_ms) for tier in sizing.tiers) / MS_PER_S
    open_connections = inputs.requests_per_s * seconds
    return Limit(
        "one load balancer holds every connection", open_connections < inputs.lb_connections,
        f"about {open_connections:,.0f} connections open at once (requests/s x p99 time, an upper bound) against "
        f"{inputs.lb_connections:,} (--lb-connections)",
        "more balancer instances behind DNS or an L4 balancer, each in front of its share of replicas "
        "(docker/compose.api.yaml service model-lb, docker/nginx.model-service.conf; "
        "`up --scale model-service=N` adds replicas behind it)")


_FAN_OUT_ASSUMPTION = {
    "bundle": "one partition's leader broker sends the model to every consumer before the next update "
              "(--broker-egress-mib-s)",
    "batch": "one re-score of the stored requests ends before the next update",
    "instances": "a rolling update reaches every instance before the next update",
}
_FAN_OUT_LIFTED_BY = {
    "bundle": "Kafka with more brokers: the model topic replicated and consumers fetching from their nearest "
              "replica, consumer groups per application (docker/compose.streaming.yaml service kafka)",
    "batch": "PostgreSQL instead of one SQLite file, then the request table partitioned (or one database per "
             "shard of requests), each with its own workers (docker/compose.async.yaml services postgres, worker)",
    "instances": "larger rolling batches behind a balancer that drains replicas (docker/compose.api.yaml model-lb "
                 "in front of `--scale model-service=N`), or a model that is published rather than rebuilt in",
}
