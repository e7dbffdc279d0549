"""Which architecture fits a requirement, decided from one run's results.json alone.

The lecture ends on "there is no best architecture, only the set of tradeoffs that best fits the
system's requirements". This module makes that sentence computable: a `Requirement` is a few
numbers a student can state ("p99 under 50 ms", "an update every hour, no failed request"), each
turned into conditions on measured fields (`MEASURES`); `fits` checks every architecture of a
results dict against them, and `verdict` names those that fit, those that do not with the number
that ruled them out, and those whose inputs this run did not measure (never guessed). An
architecture is known only by its name in the results and what was measured for it.

A measurement repeated in a run (`rounds`: its value in each repetition) has a spread. A limit is
decided only when every repetition lies on one side of it by more than the machine's run-to-run
variation (`RUN_TO_RUN`): otherwise it is "too close to call on this machine", because the next
run could land on the other side. A ranking within one run compares architectures measured
interleaved, under the same drift: a best fit is named only when its spread does not reach the
next one's.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

from .numbers import fmt
from .paths import value_at, walk

SECONDS_PER_DAY = 86_400
# How far a repeated figure moves from one full run to the next on this machine, as a factor: the
# model API's p99 measured 2.4-3.6 ms over the repetitions of one `make compare` and 3.1-7.1 ms in
# another (2026-12-07, 2 cores, same code), and README records run-to-run speed varying 2-3x.
RUN_TO_RUN = 2.0


@dataclass(frozen=True)
class Measure:
    """One measured value per architecture, where it is in results.json, and which way is better
    (what colours a table column). A list is read as its length (components restarted); with
    `null_is_never`, a null that was measured means "never" (an update that never converged)."""

    key: str
    label: str
    path: str
    unit: str = ""
    lower_is_better: bool = True
    null_is_never: bool = False
    rounds: str = ""  # where the value of each repetition is, if the run repeated the measurement

    def spread(self, arch: dict) -> tuple[float, float] | None:
        """(lowest, highest) over the repetitions and the value shown; None without two repetitions."""
        found, values = walk(arch, self.rounds.split(".")) if self.rounds else (False, None)
        value = self.value(arch)
        if not found or not isinstance(values, list) or len(values) < 2 or not isinstance(value, (int, float)):
            return None
        return min(*values, value), max(*values, value)

    def value(self, arch: dict) -> float | bool | None:
        found, value = walk(arch, self.path.split("."))  # a dotted path such as "update.cost_s"
        if isinstance(value, list):
            return len(value)
        if found and value is None and self.null_is_never:
            return math.inf
        return value if isinstance(value, (int, float)) else None

    def show(self, value) -> str:
        if value == math.inf:
            return "never (did not converge)"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"{fmt(value)}{' ' + self.unit if self.unit else ''}"


@dataclass(frozen=True)
class CopiesFor(Measure):
    """Copies of the model in memory when `applications` apps use it: one app's copies plus what the
    second app added, once per further app (a straight line through the two measured points)."""

    second: str = "second_app.model_copies"
    fallback: str = "footprint.model_copies"  # one app's copies in results that did not record them alone
    applications: int = 1

    def value(self, arch: dict) -> float | None:
        first, both = super().value(arch), value_at(arch, *self.second.split("."))
        if first is None:
            first = value_at(arch, *self.fallback.split("."))
        if not isinstance(first, (int, float)) or not isinstance(both, (int, float)):
            return None
        return first + (self.applications - 1) * (both - first)


@dataclass(frozen=True)
class FewestUnderGuard(Measure):
    """The fewest of the plain drill's value and each guard's (`drill.guards`): a requirement a
    practitioner meets by releasing under a guard (a shadow shows users none of the new version's
    answers) is met by the architecture that offers that guard."""

    def value(self, arch: dict) -> float | None:
        plain = super().value(arch)
        if plain is None:
            return None
        key = self.path.rsplit(".", 1)[1]
        guarded = [g[key] for g in value_at(arch, "drill", "guards") or [] if isinstance(g.get(key), (int, float))]
        return min([plain, *guarded])


def model_copies_for(applications: int) -> Measure:
    """From the copies one app held and the copies with a second one, measured on the same footing
    (the same launch); results written before that was recorded fall back to the footprint's."""
    return CopiesFor(f"model_copies_for_{applications}", f"model copies for {applications} applications",
                     "second_app.model_copies_alone", applications=applications)


MEASURES = {m.key: m for m in (
    Measure("p50_ms", "p50 latency", "latency.summary_ms.p50", "ms", rounds="latency.rounds.p50_ms"),
    Measure("p99_ms", "p99 latency", "latency.summary_ms.p99", "ms", rounds="latency.rounds.p99_ms"),
    Measure("p50_over_floor", "p50 / floor", "p50_over_floor"),
    Measure("update_build_s", "update build time", "update.build_s", "s"),
    Measure("update_switch_s", "update switch time", "update.cost_s", "s", null_is_never=True),
    Measure("update_failed", "requests failed during the update", "update.failed"),
    Measure("update_restarted", "components restarted by the update", "update.restarted"),
    Measure("app_carries_model", "the app carries scikit-learn", "app_carries_model"),
    Measure("review_gate", "predictions reviewed before use", "capabilities.review_gate", lower_is_better=False),
    Measure("processes", "processes running", "footprint.processes"),
    Measure("rss_mib", "resident memory", "footprint.rss_mib.total", "MiB"),
    Measure("app_environment_mib", "the app's installed environment", "footprint.app_environment_mib", "MiB"),
    Measure("model_copies", "model copies in memory", "footprint.model_copies"),
    Measure("code_lines", "lines of serving code (patterns/<arch>/ without the lab's lab/)", "footprint.code_lines"),
    FewestUnderGuard("bad_answers", "answers users got from the bad model (under its best guard, if any)",
                     "drill.bad_answers"),
    Measure("rollback_s", "time to roll the bad model back", "drill.rollback_s", "s"),
    Measure("drill_failed", "requests failed during the drill", "drill.failed"),
    Measure("second_app_copies", "model copies with a second app", "second_app.model_copies"),
    Measure("apps_restarted", "applications rebuilt or restarted by an update, of two measured",
            "second_app.apps_restarted"),
)}

_OPS = {"<=": (operator.le, "at most"), "==": (operator.eq, "exactly")}


@dataclass(frozen=True)
class Condition:
    """One measured value against a limit; `note` says where the limit came from."""

    measure: Measure
    op: str  # a key of _OPS
    limit: float | bool
    note: str = ""

    def wanted(self) -> str:
        """The limit in words: "at most 5 ms", "exactly 0", "yes"."""
        shown = self.measure.show(self.limit)
        return shown if isinstance(self.limit, bool) else f"{_OPS[self.op][1]} {shown}"

    def describe(self) -> str:
        return f"{self.measure.label}: {self.wanted()}{f' ({self.note})' if self.note else ''}"

    def check(self, arch: dict) -> Check:
        value, spread = self.measure.value(arch), self.measure.spread(arch)
        met = None if value is None else bool(_OPS[self.op][0](value, self.limit))
        if spread is None:
            return Check(self, value, met)
        reach = (spread[0] / RUN_TO_RUN, spread[1] * RUN_TO_RUN)  # where the next run's repetitions could land
        close = _OPS[self.op][0](reach[0], self.limit) != _OPS[self.op][0](reach[1], self.limit)
        return Check(self, value, met, spread if close else None)


@dataclass(frozen=True)
class Check:
    """A condition checked on one architecture: `met` is None when this run did not measure it."""

    condition: Condition
    value: float | bool | None
    met: bool | None
    too_close: tuple[float, float] | None = None  # the repetitions' spread, when the limit lies within its run-to-run reach

    def __str__(self) -> str:
        measure = self.condition.measure
        if self.too_close:
            low, high = self.too_close
            return (f"{measure.label} {measure.show(self.value)}, from {measure.show(low)} to {measure.show(high)} "
                    f"over the repetitions, required {self.condition.wanted()}: too close to call on this machine "
                    f"(its runs vary by up to {RUN_TO_RUN:g}x)")
        if self.met is None:
            return f"{measure.label}: not measured in this run ({measure.path})"
        if isinstance(self.condition.limit, bool):
            required = "" if self.met else f", required {self.condition.wanted()}"
            return f"{measure.label}: {measure.show(self.value)}{required}"
        if self.met:
            return f"{measure.label} {measure.show(self.value)} ({self.condition.wanted()})"
        return f"{measure.label} {measure.show(self.value)}, required {self.condition.wanted()}"


@dataclass(frozen=True)
class Requirement:
    """What a system needs, in numbers; None or False means "does not matter here".

    `updates_per_day`: every update must reach all users before the next one (switch time at most
    the interval); with `failed_per_day` set, the requests an update failed, times the updates a
    day, must stay within it (counted at the comparison's request rate). `applications`: more than
    one app uses the model, so an update may rebuild or restart none of them, and the fitting
    architectures are ranked by the copies of the model those apps hold. Otherwise the fastest
    (lowest p99) of those that fit is the best fit.
    """

    p99_ms: float | None = None
    updates_per_day: float = 0
    failed_per_day: float | None = None
    human_review: bool = False
    applications: int = 1
    no_bad_answers: bool = False

    def __post_init__(self) -> None:
        wrong = [f"{name}={value!r}: {expected}" for name, value, ok, expected in (
            ("p99_ms", self.p99_ms, self.p99_ms is None or self.p99_ms > 0, "a positive number of ms, or None"),
            ("updates_per_day", self.updates_per_day, self.updates_per_day >= 0, "0 (never) or more"),
            ("failed_per_day", self.failed_per_day, self.failed_per_day is None or self.failed_per_day >= 0,
             "0 or more, or None (any)"),
            ("applications", self.applications, self.applications >= 1, "1 or more"),
        ) if not ok]
        if wrong:
            raise ValueError("requirement: " + "; ".join(wrong))

    def rate(self) -> str:
        """The update rate in words: "24 updates a day", "one update every 30 days"."""
        if self.updates_per_day >= 1:
            return f"{fmt(self.updates_per_day)} updates a day"
        return f"one update every {fmt(1 / self.updates_per_day)} days"

    def conditions(self) -> tuple[Condition, ...]:
        conditions = []
        if self.p99_ms is not None:
            conditions.append(Condition(MEASURES["p99_ms"], "<=", self.p99_ms))
        if self.updates_per_day > 0:
            interval = SECONDS_PER_DAY / self.updates_per_day
            conditions.append(Condition(MEASURES["update_switch_s"], "<=", interval, "the time between two updates"))
            if self.failed_per_day is not None:
                conditions.append(Condition(
                    MEASURES["update_failed"], "<=", self.failed_per_day / self.updates_per_day,
                    f"{fmt(self.failed_per_day)} a day, {self.rate()}"))
        if self.human_review:
            conditions.append(Condition(MEASURES["review_gate"], "==", True))
        if self.applications > 1:
            conditions.append(Condition(MEASURES["apps_restarted"], "==", 0, f"none of the {self.applications}"))
        if self.no_bad_answers:
            conditions.append(Condition(MEASURES["bad_answers"], "==", 0))
        return tuple(conditions)

    def prefer(self) -> Measure:
        """The secondary measure that picks the best among the architectures that fit."""
        return model_copies_for(self.applications) if self.applications > 1 else MEASURES["p99_ms"]

    def describe(self) -> str:
        return "; ".join(c.describe() for c in self.conditions()) or "nothing measured is required"


@dataclass(frozen=True)
class Profile:
    """A requirement under a name a student understands, with its own secondary measure if it has one."""

    name: str
    requirement: Requirement
    prefer: Measure | None = None  # None: the requirement's own choice


PROFILES = (
    # An answer while the user waits (web pages aim for about 100 ms in all) against one that comes later:
    # the lecture's real-time against batch. A tighter budget (5 ms) lies within this machine's
    # run-to-run variation of the model API's p99, so it would flip from run to run.
    Profile("an answer within 50 ms (p99), a model update a month", Requirement(p99_ms=50, updates_per_day=1 / 30)),
    Profile("hourly model updates, no failed request", Requirement(updates_per_day=24, failed_per_day=0)),
    Profile("every prediction reviewed by a person before use", Requirement(human_review=True)),
    Profile("five applications share one model", Requirement(applications=5)),
    Profile("a bad model must never reach a user", Requirement(no_bad_answers=True), MEASURES["rollback_s"]),
)


@dataclass(frozen=True)
class Fit:
    """One architecture against a requirement: `fits` is None when a condition was not measured
    and none of the measured ones failed."""

    name: str
    checks: tuple[Check, ...]

    @property
    def fits(self) -> bool | None:
        if any(check.met is False and not check.too_close for check in self.checks):
            return False
        return None if any(check.met is None for check in self.checks) else True

    @property
    def too_close(self) -> bool:
        """No measured condition rules it out, but one of them lies inside its repetitions' spread."""
        return self.fits is not False and any(check.too_close for check in self.checks)

    def why(self) -> str:
        """The checks that decided: the close ones if any, else the failed ones, else the unmeasured
        ones, else all."""
        if self.too_close:
            return "; ".join(str(check) for check in self.checks if check.too_close)
        return "; ".join(str(check) for check in self.checks if check.met is self.fits) or "nothing required"


def fits(results: dict, requirement: Requirement) -> dict[str, Fit]:
    """Every measured architecture of `results` checked against `requirement`, in the results' order."""
    conditions = requirement.conditions()
    return {name: Fit(name, tuple(c.check(arch) for c in conditions))
            for name, arch in results["architectures"].items()}


@dataclass(frozen=True)
class Verdict:
    """Which architectures fit one requirement, which do not and why, and the best fit.

    `best` lists the fitting architectures with the best value of a secondary measure, `prefer` says
    which (several when tied; all that fit when no fitting architecture has that measure).
    """

    name: str
    requirement: str
    fits: dict[str, str]  # architecture -> the measured numbers that meet the requirement
    fails: dict[str, str]  # architecture -> the measured number against the requirement
    not_measured: dict[str, str]  # architecture -> what this run did not measure
    best: list[str]
    prefer: str  # the secondary measure, e.g. "lowest p99 latency"
    too_close: dict[str, str] = field(default_factory=dict)  # architecture -> the limit inside its spread

    def lines(self) -> list[str]:
        """The verdict as text: the notebook prints it, the report shows it."""
        lines = [f"{self.name} ({self.requirement})"]
        if len(self.best) > 1 and "too close" in self.prefer:
            lines.append(f"  best fit: too close to call between {', '.join(self.best)} ({self.prefer})")
        elif self.best:
            lines.append(f"  best fit: {', '.join(self.best)} ({self.prefer})")
        elif self.fails:
            lines.append("  best fit: none (no architecture measured in this run fits)")
        else:
            lines.append("  best fit: not measured in this run")
        lines += [f"  fits: {name}: {why}" for name, why in self.fits.items()]
        lines += [f"  does not fit: {name}: {why}" for name, why in self.fails.items()]
        lines += [f"  too close to call on this machine: {name}: {why}" for name, why in self.too_close.items()]
        lines += [f"  not measured: {name}: {why}" for name, why in self.not_measured.items()]
        return lines


def _best(results: dict, fitting: dict[str, str], prefer: Measure) -> tuple[list[str], str]:
    """The fitting architectures with the best `prefer` value, and how they were chosen."""
    values = {name: prefer.value(results["architectures"][name]) for name in fitting}
    known = {name: v for name, v in values.items() if v is not None}
    if not known:
        return list(fitting), f"{prefer.label} not measured in this run: every fit is as good"
    best = (min if prefer.lower_is_better else max)(known.values())
    chosen = f"{'lowest' if prefer.lower_is_better else 'highest'} {prefer.label}"
    leaders = [name for name, v in known.items() if v == best]
    spreads = {name: prefer.spread(results["architectures"][name]) or (v, v) for name, v in known.items()}
    reach = (max if prefer.lower_is_better else min)(spreads[name][1 if prefer.lower_is_better else 0] for name in leaders)
    close = [name for name in known if name not in leaders and
             (spreads[name][0] <= reach if prefer.lower_is_better else spreads[name][1] >= reach)]
    if close:  # the next ones' spread reaches the leader's: this run cannot rank them
        return leaders + close, f"{chosen}: too close to call on this machine, their repetitions' spreads overlap"
    return leaders, chosen


def verdict(results: dict, requirement: Requirement, name: str = "", prefer: Measure | None = None) -> Verdict:
    """Check `requirement` on every architecture of `results` and pick the best fit."""
    prefer = prefer or requirement.prefer()
    checked = fits(results, requirement)
    close = {n: f.why() for n, f in checked.items() if f.too_close}
    by_outcome = {outcome: {n: f.why() for n, f in checked.items() if f.fits is outcome and n not in close}
                  for outcome in (True, False, None)}
    unavailable = {n: f"not measured in this run: {why}" for n, why in results.get("unavailable", {}).items()}
    best, chosen_by = _best(results, by_outcome[True], prefer)
    return Verdict(
        name=name or requirement.describe(),
        requirement=requirement.describe(),
        fits=by_outcome[True],
        fails=by_outcome[False],
        not_measured={**by_outcome[None], **unavailable},
        best=best,
        prefer=chosen_by,
        too_close=close,
    )


def verdicts(results: dict, profiles: tuple[Profile, ...] = PROFILES) -> list[Verdict]:
    """The verdict of each requirement profile on one run's results."""
    return [verdict(results, p.requirement, p.name, p.prefer) for p in profiles]


# timed in the client's own engine, not through HTTP: shown beside the others, never ranked with them
TIMED_APART_IN_CLIENT = ("p50_ms", "p99_ms", "p50_over_floor")


def rank_columns(results: dict, measures: dict[str, Measure] = MEASURES) -> dict[str, dict[str, int]]:
    """Per measure, each architecture's rank from 1 (best) on, equal values sharing a rank;
    architectures without the value are left out, and so is a measure no architecture has."""
    ranks = {}
    for key, measure in measures.items():
        values = {name: measure.value(arch) for name, arch in results["architectures"].items()
                  if not (key in TIMED_APART_IN_CLIENT and arch["capabilities"].get("predicts_in_client"))}
        known = {name: v if measure.lower_is_better else -v for name, v in values.items() if v is not None}
        if known:
            ranks[key] = {name: 1 + sum(other < v for other in known.values()) for name, v in known.items()}
    return ranks
