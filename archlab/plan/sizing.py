"""How many instances of each tier keep the p99 within budget, and what they hold and cost.

Each tier is an M/M/c queue (`queueing`): one server per instance, because one Python process is
one core's worth of work under load (the GIL), which is also how the measured saturated rates were
taken. Cores = instances; memory = instances x the measured resident MiB of one instance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .calibration import MS_PER_S, Calibration
from .inputs import HOURS_PER_MONTH, PlanInputs
from .queueing import response_time_quantile, servers_for_budget

MIB_PER_GIB = 1024.0


@dataclass(frozen=True)
class Tier:
    component: str
    instances: int | None  # None: no number of instances meets the budget
    service_ms: float  # mean time per request of one instance
    rss_mib: float
    holds_model: bool
    p99_ms: float | None = None  # predicted with `instances`

    @property
    def memory_mib(self) -> float:
        return (self.instances or 0) * self.rss_mib


@dataclass(frozen=True)
class Sizing:
    tiers: list[Tier]
    shared_mib: dict[str, float]
    model_copies: int | None
    cores: int | None
    memory_gib: float | None
    monthly_cost: float | None


def model_holder_ms(calibration: Calibration, model_cost_ms: float) -> float:
    """ms per prediction in the tier that holds the model (the front when no tier of its own does)."""
    if calibration.model_ms is not None:
        return calibration.model_ms + model_cost_ms
    return calibration.front_ms + model_cost_ms


def worker_rows_per_s(calibration: Calibration, model_cost_ms: float) -> float:
    """One batch worker's rows/s: the measured job rate, plus the knob's cost once per chunk."""
    rescore = calibration.rescore
    seconds_per_row = 1 / rescore["worker_rows_per_s"] + model_cost_ms / MS_PER_S / rescore["chunk_size"]
    return 1 / seconds_per_row


def database_rows_per_s(calibration: Calibration) -> float:
    """The store's share of the job: a job row's time minus the model's time for it (both measured)."""
    rescore = calibration.rescore
    store_s = 1 / rescore["worker_rows_per_s"] - 1 / rescore["model_rows_per_s"]
    return 1 / store_s if store_s > 0 else math.inf


def _queue_tier(component, rate, service_ms, budget_ms, rss, holds_model) -> Tier:
    servers = servers_for_budget(rate, service_ms / MS_PER_S, budget_ms / MS_PER_S)
    p99 = response_time_quantile(servers, rate, service_ms / MS_PER_S) * MS_PER_S if servers else None
    return Tier(component, servers, service_ms, rss, holds_model, p99)


def size(calibration: Calibration, inputs: PlanInputs) -> Sizing:
    rate, budget = inputs.requests_per_s, inputs.p99_budget_ms
    c = calibration
    front = c.fronts[0]  # one tier, however many instances the report ran (web, web-2)
    if c.answers_later:  # the front stores each request within the budget; workers score them as they arrive
        per_worker = worker_rows_per_s(c, inputs.model_cost_ms)
        tiers = [_queue_tier(front, rate, c.front_ms, budget, c.front_rss_mib, False),
                 Tier(c.model_component, math.ceil(rate / per_worker), MS_PER_S / per_worker, c.model_rss_mib, True)]
    elif c.model_component:  # two tiers in series split the budget in proportion to their work
        holder = model_holder_ms(c, inputs.model_cost_ms)
        share = c.front_ms / (c.front_ms + holder)
        tiers = [_queue_tier(front, rate, c.front_ms, budget * share, c.front_rss_mib, False),
                 _queue_tier(c.model_component, rate, holder, budget * (1 - share), c.model_rss_mib, True)]
    else:
        tiers = [_queue_tier(front, rate, model_holder_ms(c, inputs.model_cost_ms), budget, c.front_rss_mib, True)]
    return _totals(c, inputs, tiers)


def _totals(c: Calibration, inputs: PlanInputs, tiers: list[Tier]) -> Sizing:
    if any(tier.instances is None for tier in tiers):
        return Sizing(tiers, c.shared, None, None, None, None)
    holders = sum(tier.instances for tier in tiers if tier.holds_model)
    per_app = tiers[0].instances  # each further application sized like the first
    copies = holders + (inputs.applications - 1) * c.copies_per_app * per_app
    cores = sum(tier.instances for tier in tiers) + len(c.shared)
    memory_gib = (sum(tier.memory_mib for tier in tiers) + sum(c.shared.values())) / MIB_PER_GIB
    cost = ((cores * inputs.core_hour_price + memory_gib * inputs.gib_hour_price) * HOURS_PER_MONTH
            if inputs.priced else None)
    return Sizing(tiers, c.shared, copies, cores, memory_gib, cost)
