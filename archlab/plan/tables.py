"""The plan as titled tables of text cells: one layout, written as Markdown or HTML by `render`."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ..report.numbers import fmt
from .plan import ASSUMPTIONS, Plan
from .queueing import P99

NO_PRICES = "set --core-hour-price/--gib-hour-price"


@dataclass(frozen=True)
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 60:.3g} min" if seconds >= 120 else f"{seconds:.3g} s"


def _unreachable(tier) -> str:
    own_p99 = -math.log(1 - P99) * tier.service_ms  # an exponential service time's own p99
    return f"none meets its budget (one request alone: p99 {fmt(own_p99)} ms)"


def _capacity(plan: Plan) -> Table:
    rows = []
    for p in plan.architectures:
        s = p.sizing
        parts = "; ".join(f"{tier.component}: {fmt(tier.instances) if tier.instances else _unreachable(tier)}"
                          for tier in s.tiers) + "".join(f"; {name}: 1" for name in s.shared_mib)
        p99 = " + ".join(fmt(tier.p99_ms) for tier in s.tiers if tier.p99_ms is not None) or "-"
        cost = "-" if s.cores is None else (fmt(round(s.monthly_cost)) if s.monthly_cost is not None else NO_PRICES)
        rows.append([p.name, parts, fmt(s.cores), fmt(s.memory_gib), fmt(s.model_copies), p99, cost])
    return Table("Capacity", ["architecture", "instances", "cores", "memory GiB", "model copies in memory",
                              "p99 ms predicted (per tier)", "monthly cost"], rows)


def _updates(plan: Plan) -> Table:
    daily = plan.inputs.updates_per_day
    rows = [[p.name, r.strategy + ("" if r.measured else " (not measured here)"), _duration(r.seconds),
             fmt(round(r.failed)) if r.failed is not None else "-",
             fmt(round(r.failed * daily)) if r.failed is not None else "-", r.how]
            for p in plan.architectures for r in p.rollouts]
    return Table("A model update at this scale", ["architecture", "strategy", "until every instance serves it",
                                                  "failed requests", f"failed a day ({fmt(daily)} updates)", "how"],
                 rows)


def _rescore(plan: Plan) -> Table:
    rows = [[p.name, fmt(p.rescore[0]), _duration(p.rescore[1]), p.rescore[2]] for p in plan.architectures if p.rescore]
    inputs = plan.inputs
    return Table(f"Re-scoring {fmt(inputs.rescore_rows)} stored requests (window {fmt(inputs.rescore_hours)} h)",
                 ["architecture", "workers", "time", "how"], rows)


def _limits(plan: Plan) -> Table:
    rows = [[p.name, limit.what, "holds" if limit.holds else "BREAKS", limit.detail, limit.lifted_by]
            for p in plan.architectures for limit in p.limits]
    return Table("Where it breaks", ["architecture", "assumption", "here", "numbers", "what lifts it"], rows)


def _checks(plan: Plan) -> Table:
    rows = [[p.name, check.what, fmt(check.predicted), fmt(check.measured),
             "-" if check.error is None else f"{check.error:+.0%}"]
            for p in plan.architectures for check in p.checks]
    return Table("The plan against this report's measurements", ["architecture", "prediction", "plan", "measured",
                                                                   "error"], rows)


def _sources(plan: Plan) -> Table:
    rows = [[p.name, figure, path] for p in plan.architectures for figure, path in p.calibration.sources.items()]
    return Table("Where each measured figure came from", ["architecture", "figure", "results.json path"], rows)


def tables(plan: Plan) -> list[Table]:
    return [_capacity(plan), _updates(plan), _rescore(plan), _limits(plan), _checks(plan), _sources(plan)]


def inputs_line(plan: Plan) -> str:
    shown = []
    for field in fields(plan.inputs):
        value = getattr(plan.inputs, field.name)
        shown.append(f"{field.name.replace('_', '-')} {'unset' if value is None else fmt(value)}")
    return f"Calibrated from {plan.source}. Inputs: " + ", ".join(shown) + "."


def notes(plan: Plan) -> list[str]:
    return ([f"Assumed: {assumption}." for assumption in ASSUMPTIONS]
            + [f"Not planned: {name}: {why}." for name, why in plan.not_planned.items()])
