"""The plan for every architecture of a report: sizing, update fan-out, re-score, limits, checks."""

from __future__ import annotations

from dataclasses import dataclass

from .calibration import Calibration, MissingFigure, calibrate_all
from .check import Check, checks
from .fanout import Rollout, rescore_time, rollouts, workers_for_window
from .inputs import PlanInputs
from .limits import Limit, limits
from .sizing import Sizing, size

ASSUMPTIONS = (
    "queueing: each tier is M/M/c (Erlang C): Poisson arrivals, exponential service times with the measured "
    "mean, one first-come-first-served queue per tier, one instance = one process = one core (the GIL); "
    "a tier's p99 is that of its own queue and service, and two tiers split the budget by their work",
    "every per-request and per-instance cost is this report's, from a 2-core machine shared with the load "
    "generator: a dedicated core per instance would be faster, so the instance counts lean high",
    "an update at scale repeats the measured procedure per batch of instances; a further application is "
    "sized like the first",
)


@dataclass(frozen=True)
class ArchitecturePlan:
    calibration: Calibration
    sizing: Sizing
    rollouts: list[Rollout]
    rescore: tuple[int, float, str] | None  # workers, seconds, how (answers-later systems)
    limits: list[Limit]
    checks: list[Check]

    @property
    def name(self) -> str:
        return self.calibration.name


@dataclass(frozen=True)
class Plan:
    inputs: PlanInputs
    architectures: list[ArchitecturePlan]
    not_planned: dict[str, str]  # architecture -> the missing figure
    source: str  # the results.json it was calibrated from


def plan_architecture(data: dict, c: Calibration, inputs: PlanInputs) -> ArchitecturePlan:
    sizing = size(c, inputs)
    holders = sum(tier.instances or 0 for tier in sizing.tiers if tier.holds_model)
    rescore = None
    if c.answers_later:
        workers = workers_for_window(c, inputs)
        if workers is None:
            workers = holders
        seconds, how = rescore_time(c, workers, inputs)
        rescore = (workers, seconds, how)
    return ArchitecturePlan(c, sizing, rollouts(c, max(1, holders), inputs) if holders else [],
                            rescore, limits(c, sizing, inputs), checks(data, c))


def make_plan(data: dict, inputs: PlanInputs, source: str, only: list[str] | None = None) -> Plan:
    """The plan for `data` (a results.json dict). With `only`, a missing figure raises MissingFigure."""
    calibrations, not_planned = calibrate_all(data, only)
    planned = []
    for c in calibrations:
        try:
            planned.append(plan_architecture(data, c, inputs))
        except MissingFigure as exc:
            if only:
                raise
            not_planned[c.name] = str(exc)
    if not planned:
        raise MissingFigure("no architecture in this report could be planned: " + "; ".join(
            f"{name}: {why}" for name, why in not_planned.items()))
    return Plan(inputs, planned, not_planned, source)
