"""The results of one comparison run: the one schema for `results.json`, the charts and the page.

Raw numbers (every latency sample, every request of an update timeline, every fault probe) are
stored; summaries and ratios are derived from them by the `to_dict` methods, so the JSON carries
both and the report shows only values found in the JSON. Latencies are in milliseconds, times
on a timeline in seconds since that load run began.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone

from patterns.launch.architectures import ARCHITECTURES

from ..measure.floors import Floor
from ..measure.load import LoadResult, Sample
from ..measure.stats import METHOD, summarize
from ..measure.timeline import converged_at, failures_between
from .profiles import rank_columns, verdicts
from .scaling import scale_factors
from .targets import evaluate_targets

SCHEMA_VERSION = 3


def _init_fields(cls, data: dict) -> dict:
    """The keys of `data` that `cls.__init__` takes (derived keys written by to_dict are dropped)."""
    names = {f.name for f in fields(cls) if f.init}
    return {k: v for k, v in data.items() if k in names}


def floor_from_dict(data: dict) -> Floor:
    return Floor(**_init_fields(Floor, data))


@dataclass
class Latency:
    """Client-observed latency through the front door. `definition` says what was timed."""

    definition: str
    floor: str  # key into Results.floors: the floor this figure is shown beside
    samples_ms: list[float]
    failed: int = 0
    # a system that answers later: per sample, what its answer waited for (as the system recorded it)
    parts_ms: dict[str, list[float]] = field(default_factory=dict)
    # a measurement repeated in the run: each repetition's p50_ms and p99_ms (samples_ms pools them all)
    rounds: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def from_load(cls, result: LoadResult, definition: str, floor: str) -> Latency:
        return cls(definition, floor, result.latencies_ms(), len(result.failures))

    @classmethod
    def from_answers(cls, answers: Sequence, definition: str, floor: str) -> Latency:
        """From a system that answers later: its `AnswerTime`s (seconds, and the parts it recorded)."""
        parts = {part: [answer.parts[part] * 1000.0 for answer in answers] for part in answers[0].parts}
        return cls(definition, floor, [answer.seconds * 1000.0 for answer in answers], parts_ms=parts)

    def to_dict(self) -> dict:
        return {**asdict(self), "summary_ms": summarize(self.samples_ms).to_dict(),
                "parts_p50_ms": {part: summarize(values).p50 for part, values in self.parts_ms.items()}}


@dataclass
class TimelinePoint:
    """One request during an update: the version it was served by, or the error it got."""

    t_s: float
    version: str | None
    error: str | None
    worker: int = 0  # which load worker sent it: with several front instances, which instance


@dataclass
class Event:
    t_s: float
    label: str


@dataclass
class Update:
    """A model update under steady traffic, on the load run's clock.

    `build_s` is the part no update strategy avoids (building, installing or loading the new
    model); `ready_s` is when that was done. `cost_s` (derived) is the time from `ready_s` until
    every answer carries `to_version`, the part a better strategy could shorten; None if that never
    happened during the run. `strategy` says how the architecture was updated.
    """

    from_version: str
    to_version: str
    ready_s: float
    converged_s: float | None
    failed: int  # failed requests from the start of the update until convergence (or the run's end)
    restarted: list[str]  # components whose process id changed (observed)
    rebuilt: list[str]  # files written and state rewritten by the update (observed)
    timeline: list[TimelinePoint]
    events: list[Event] = field(default_factory=list)
    strategy: str = ""
    better_strategy: str = ""
    build_s: float = 0.0
    started: list[str] = field(default_factory=list)  # components that did not exist before
    details: dict = field(default_factory=dict)
    pids_seen: dict[str, list[int]] = field(default_factory=dict)  # every process id of each component, watched
    extra_rss_mib: float | None = None  # peak resident memory during the update above the memory before it

    @classmethod
    def from_samples(
        cls,
        samples: list[Sample],
        *,
        from_version: str,
        to_version: str,
        started_s: float,
        ready_s: float,
        restarted: list[str],
        rebuilt: list[str],
        events: Sequence[Event] = (),
        **report,
    ) -> Update:
        """Build the record from the samples of a load run whose `extract` returned the served version."""
        converged = converged_at(samples, to_version)
        end = converged if converged is not None else max((s.t_s for s in samples), default=started_s)
        return cls(
            from_version=from_version,
            to_version=to_version,
            ready_s=ready_s,
            converged_s=converged,
            failed=failures_between(samples, started_s, end),
            restarted=list(restarted),
            rebuilt=list(rebuilt),
            timeline=[TimelinePoint(s.t_s, s.value if s.ok else None, s.error, s.worker) for s in samples],
            events=[Event(started_s, "update started"), *events],
            **report,
        )

    @property
    def cost_s(self) -> float | None:
        if self.converged_s is None:
            return None
        return max(0.0, self.converged_s - self.ready_s)

    @property
    def restarts(self) -> dict[str, int]:
        """Per component, how often its process was replaced while the update was watched."""
        return {name: len(pids) - 1 for name, pids in self.pids_seen.items() if len(pids) > 1}

    def to_dict(self) -> dict:
        return {**asdict(self), "cost_s": self.cost_s, "restarts": self.restarts}

    @classmethod
    def from_dict(cls, data: dict) -> Update:
        values = _init_fields(cls, data)
        values["timeline"] = [TimelinePoint(**p) for p in values["timeline"]]
        values["events"] = [Event(**e) for e in values.get("events", [])]
        return cls(**values)


@dataclass
class Fault:
    """What users got, by actually sending requests, while one component was down."""

    component: str
    requests: int
    failed: int
    statuses: dict[str, int]  # HTTP status (or "no answer") -> count
    user_sees: str  # e.g. "503: the model service is unavailable" or "predictions as usual"
    how: str = ""  # what taking it down did, or why archlab did not
    breakable: bool = True  # False: an external component, reported and never stopped

    @classmethod
    def from_load(cls, component: str, result: LoadResult, user_sees: str, how: str = "") -> Fault:
        statuses: dict[str, int] = {}
        for sample in result.samples:
            key = "no answer" if sample.status is None else str(sample.status)
            statuses[key] = statuses.get(key, 0) + 1
        return cls(component, len(result.samples), len(result.failures), statuses, user_sees, how)

    @classmethod
    def external(cls, component: str, how: str) -> Fault:
        return cls(component, 0, 0, {}, f"not measured: {how}", how, breakable=False)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Architecture:
    """Everything measured for one architecture, and what it declared about itself.

    `carries_model` holds, per step of the run, whether the user-facing app had scikit-learn
    loaded when asked; `app_carries_model` (derived) is true if it ever had.
    """

    name: str
    latency: Latency
    update: Update | None
    faults: dict[str, Fault]  # component -> outcome
    carries_model: dict[str, bool]
    components: list[str] = field(default_factory=list)  # as started by this run
    capabilities: dict = field(default_factory=dict)
    namespace: dict[str, str] = field(default_factory=dict)  # the run's own topic / queue / database
    notes: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)  # other measured values, e.g. job_rows_per_s
    # The measurements below are JSON-shaped dicts as their measuring functions return them
    # (`archlab.measure.throughput`, `.footprint`, `archlab.compare.drill`); empty when not measured.
    throughput: list[dict] = field(default_factory=list)  # one run per concurrency through the front door
    footprint: dict = field(default_factory=dict)  # processes, memory, environment, model copies, code
    drill: dict = field(default_factory=dict)  # a bad model rolled out and rolled back under traffic
    second_app: dict = field(default_factory=dict)  # a second application using the same model
    targets: list[dict] = field(default_factory=list)  # what it declared it should reach (`System.targets`)
    naive_update: Update | None = None  # the naive way, where `update` is the architecture's best practice
    # per measurement, the user-facing app instances that ran and the addresses users were sent to
    footing: dict[str, dict] = field(default_factory=dict)

    @property
    def app_carries_model(self) -> bool:
        return any(self.carries_model.values())

    def to_dict(self, floors: dict[str, Floor]) -> dict:
        p50 = summarize(self.latency.samples_ms).p50
        floor = floors.get(self.latency.floor)
        floor_p50 = floor.summary().p50 if floor else None
        return {
            "name": self.name,
            "latency": self.latency.to_dict(),
            "update": self.update.to_dict() if self.update else None,
            "naive_update": self.naive_update.to_dict() if self.naive_update else None,
            "footing": self.footing,
            "faults": {k: v.to_dict() for k, v in self.faults.items()},
            "carries_model": self.carries_model,
            "app_carries_model": self.app_carries_model,
            "components": self.components,
            "capabilities": self.capabilities,
            "namespace": self.namespace,
            "notes": self.notes,
            "figures": self.figures,
            "throughput": self.throughput,
            "footprint": self.footprint,
            "drill": self.drill,
            "second_app": self.second_app,
            "targets": self.targets,
            "p50_over_floor": p50 / floor_p50 if p50 is not None and floor_p50 else None,
            "process_count": len(self.footprint.get("processes", [])) if self.footprint else None,
            # of the parts archlab took down, how many left users with failed requests
            "coupling": {"parts_down": sum(f.breakable for f in self.faults.values()),
                         "failing_users": sum(f.breakable and f.failed > 0 for f in self.faults.values())},
        }

    @classmethod
    def from_dict(cls, data: dict) -> Architecture:
        values = _init_fields(cls, data)
        values["latency"] = Latency(**_init_fields(Latency, data["latency"]))
        values["update"] = Update.from_dict(data["update"]) if data.get("update") else None
        values["naive_update"] = Update.from_dict(data["naive_update"]) if data.get("naive_update") else None
        values["faults"] = {k: Fault(**_init_fields(Fault, v)) for k, v in data["faults"].items()}
        return cls(**values)


def machine() -> dict:
    """What the numbers were measured on: they mean little without it."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        # what else the machine was doing as the run ended (1, 5, 15 minutes): a loaded machine slows every figure
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


@dataclass
class Results:
    """One comparison run. `architectures` is keyed by name, `floors` by floor name."""

    floors: dict[str, Floor]
    architectures: dict[str, Architecture]
    quick: bool = False
    unavailable: dict[str, str] = field(default_factory=dict)  # variant -> why it could not be measured
    throughput_floors: dict[str, list[dict]] = field(default_factory=dict)  # constant answers, per concurrency
    scale_out: list[dict] = field(default_factory=list)  # throughput with 1 and 2 of the scaled part
    duration_s: float | None = None  # the whole run, wall clock
    repetitions: int = 1  # latency, throughput and scale-out each measured this often (interleaved)
    timings: dict = field(default_factory=dict)  # where the run's time went (archlab.compare.timing)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    machine: dict = field(default_factory=machine)
    percentile_method: str = METHOD
    schema_version: int = SCHEMA_VERSION

    def ordered(self) -> list[Architecture]:
        """Architectures in the registry's order, each followed by its variants ("api", "api-grpc"...);
        unknown names last, alphabetically."""
        rank = {name: i for i, name in enumerate(ARCHITECTURES)}
        return sorted(self.architectures.values(),
                      key=lambda a: (rank.get(a.name.split("-")[0], len(rank)), a.name))

    def to_dict(self) -> dict:
        data = {
            "schema_version": self.schema_version,
            "created": self.created,
            "quick": self.quick,
            "machine": self.machine,
            "percentile_method": self.percentile_method,
            "floors": {k: v.to_dict() for k, v in self.floors.items()},
            "architectures": {k: v.to_dict(self.floors) for k, v in self.architectures.items()},
            "unavailable": self.unavailable,
            "throughput_floors": self.throughput_floors,
            "scale_out": self.scale_out,
            "duration_s": self.duration_s,
            "repetitions": self.repetitions,
            "timings": self.timings,
            "scale_factors": scale_factors(self.scale_out),
        }
        data["targets"] = evaluate_targets(data)
        data["profiles"] = [asdict(verdict) for verdict in verdicts(data)]
        data["ranks"] = rank_columns(data)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Results:
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"results schema_version {data.get('schema_version')!r}; this archlab reads {SCHEMA_VERSION}")
        values = _init_fields(cls, data)
        values["floors"] = {k: floor_from_dict(v) for k, v in data["floors"].items()}
        values["architectures"] = {k: Architecture.from_dict(v) for k, v in data["architectures"].items()}
        return cls(**values)
