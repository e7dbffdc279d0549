"""What a release under a guard against a bad model observed (`ReleasesUnderGuard`).

A guard lets a new version meet real traffic before it serves everyone: a canary answers a share of
the users and is promoted or aborted by the plausibility rule on its answers; a shadow scores a copy
of the traffic that no user sees and is passed or rejected. Everything here is read from the running
system (its front's counts, its process list), never set by hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

CANARY, SHADOW = "canary", "shadow"
# What ends each guard: the version goes on to serve everyone, or it does not.
OUTCOMES = {CANARY: ("promoted", "aborted"), SHADOW: ("passed", "rejected")}


@dataclass(frozen=True)
class GuardReport:
    """One release of `version` under `guard`. `decided_after_s`: from the guard taking traffic to
    its decision (to the answer that stopped it, or to the end of an unflagged watch), as the
    serving side timed it;
    `observed`: the serving side's own counts (a canary's calls and answers, a shadow's mirrored
    calls and agreement); `started`: the processes the guard ran beside the serving ones."""

    guard: str
    version: str
    outcome: str
    reason: str | None
    decided_after_s: float
    live_s: float
    strategy: str
    started: tuple[str, ...]
    observed: dict = field(default_factory=dict)

    @property
    def stopped(self) -> bool:
        """The version was kept from serving everyone."""
        return self.outcome == OUTCOMES[self.guard][1]

    def as_dict(self) -> dict:
        return {**asdict(self), "started": list(self.started), "stopped": self.stopped}
