"""The bad-model drill under each guard a system offers (`ReleasesUnderGuard`): canary, shadow.

The same steady traffic as the plain drill (`drill.steady_traffic`), then the faulty version is
released under the guard the system's own way and the system decides (a canary promoted or
aborted, a shadow passed or rejected). Counted from the traffic users got: answers from the faulty
version, failed requests, the share of answers the new version gave while the guard was live, the
users' latency before and during it. From the running system: when it decided (its own clock),
what the guard started beside the serving processes and their resident memory (measured while the
guard was live), its own counts (a shadow's agreement with the served answers). A guard that let
the faulty version through is followed by the system's rollback, so the next drill starts clean.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field

from patterns.launch.protocols import ReleasesUnderGuard

from ..measure.footprint import measure_footprint
from ..report import TimelinePoint
from .budget import Budget
from .drill import steady_traffic
from .measurements import wait_converged


@dataclass(frozen=True)
class GuardDrill:
    """One guard's drill on the load run's clock; `during`: the answers users got while the guard
    was live (from the moment it took traffic, for the `live_s` the system counted)."""

    guard: str
    bad: str
    good: str
    outcome: str
    stopped: bool  # the faulty version was kept from serving everyone
    reason: str | None
    decided_after_s: float  # the system's clock: guard live -> its decision (for a stopped one: the abort)
    bad_answers: int  # answers users got from the faulty version
    answers_during: int
    bad_share_during: float | None  # of the answers users got while the guard was live
    failed: int
    requests: int
    extra_processes: int
    extra_rss_mib: float
    p50_ms_before: float | None
    p50_ms_during: float | None
    strategy: str
    rollback_strategy: str | None  # when the guard let it through
    observed: dict = field(default_factory=dict)
    timeline: list[TimelinePoint] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def offered_guards(system) -> tuple[str, ...]:
    return system.release_guards() if isinstance(system, ReleasesUnderGuard) else ()


def run_guard_drills(system, budget: Budget, record: dict, bad: str = "v3", good: str = "v2") -> list[dict]:
    """Every guard `system` offers, drilled in turn (none: an empty list)."""
    return [run_guard_drill(system, guard, budget, record, bad, good).as_dict() for guard in offered_guards(system)]


def run_guard_drill(system, guard: str, budget: Budget, record: dict, bad: str = "v3", good: str = "v2") -> GuardDrill:
    """Release `bad` under `guard` on `system` (serving `good`) under traffic; refused as
    `drill.steady_traffic` says."""
    live: dict = {}

    def while_live() -> None:
        live["from"] = run.clock()
        live["footprint"] = measure_footprint(system)

    with steady_traffic(system, budget, record, bad, good) as (run, monitor):
        started = run.clock()
        report = system.release_under_guard(bad, guard, budget.drill_watch_s, while_live)
        rollback = None if report.stopped else system.rollback(good)
        wait_converged(run, good, budget)
    samples = run.result().samples
    after = [s for s in samples if s.t_s >= started]
    during = [s for s in after if live["from"] <= s.t_s <= live["from"] + report.live_s and s.ok]
    extra = [p for p in live["footprint"].processes if p.component in report.started]
    return GuardDrill(
        guard=guard, bad=bad, good=good, outcome=report.outcome, stopped=report.stopped, reason=report.reason,
        decided_after_s=report.decided_after_s,
        bad_answers=monitor.answers[bad],
        answers_during=len(during),
        bad_share_during=sum(s.value == bad for s in during) / len(during) if during else None,
        failed=sum(not s.ok for s in after), requests=len(after),
        extra_processes=len(extra), extra_rss_mib=round(sum(p.rss_mib for p in extra), 1),
        p50_ms_before=_p50([s for s in samples if s.t_s < started and s.ok]),
        p50_ms_during=_p50(during),
        strategy=report.strategy, rollback_strategy=rollback.strategy if rollback else None,
        observed=report.observed,
        timeline=[TimelinePoint(s.t_s, s.value if s.ok else None, s.error, s.worker) for s in after],
    )


def _p50(samples) -> float | None:
    return round(statistics.median(s.latency_ms for s in samples), 3) if samples else None
