"""The data every architecture's `System` hands to whoever measures it (docs/DESIGN.md, "The System
contract"): what it can do, how a user reads an answer from it, what can be broken, what a model
update did. Everything here is filled from observation by the system; nothing is a constant that
stands in for a measurement.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


class PartUnavailable(RuntimeError):
    """A part a system needs cannot be reached or set up here (its database, a namespace in it); the
    message says which part and why, so a caller reports it instead of a traceback."""


@dataclass(frozen=True)
class Capabilities:
    """What kind of system this is, as data the comparison branches on (never on a name).

    `answers_later`: POST /predict stores the request and the answer comes later (async).
    `scalable_component`: the component that holds the model and scales on its own, if any.
    `review_gate`: predictions are reviewed before anyone is served them.
    `latency_floor`: the floor (by name) its latency is shown beside.
    `predicts_in_client`: the model ships inside the app and prices houses in the user's browser;
    no server answers a prediction (measured in the client: `protocols.PredictsInClient`).
    """

    answers_later: bool = False
    scalable_component: str | None = None
    review_gate: bool = False
    latency_floor: str = "http_constant"
    predicts_in_client: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PerformanceTarget:
    """A target this architecture should meet on this machine, checked by the report against the
    measured results (never asserted in tests). `measure` names how `archlab.report.targets` reads
    the value, with `args`: `p50_over_floor` (floor), `rps_over_floor` (floor, concurrency),
    `scale_out_with_cost` (instances, instances), `value` (keys into the architecture's results).
    `target` is a number, or one per database the run kept its requests in (URL prefix -> number,
    `default` otherwise)."""

    key: str
    description: str
    measure: str
    args: tuple
    op: str
    target: float | dict[str, float]

    def as_dict(self) -> dict:
        return {**asdict(self), "args": list(self.args)}


@dataclass(frozen=True)
class ServedRequest:
    """How a user reads one answer and the model version it came from: `method url` with `body`,
    then `version_path` (keys into the JSON answer) gives the version."""

    method: str
    url: str
    body: object | None
    version_path: tuple[str, ...] = ("model_version",)

    def version_in(self, answer: dict) -> str:
        value = answer
        for key in self.version_path:
            value = value[key]
        if not isinstance(value, str):
            raise TypeError(f"no model version at {'/'.join(self.version_path)} in the answer")
        return value


@dataclass(frozen=True)
class FaultSpec:
    """One component that can be taken down, and how; or why archlab will not take it down."""

    component: str
    how: str  # what stopping it does, in a user's words
    breakable: bool = True  # False: external (a shared server): reported, never stopped

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FloorSamples:
    """A floor a system measured for its own kind of work, on its own store / broker / server."""

    name: str
    description: str
    samples_ms: list[float]
    failed: int = 0


@dataclass(frozen=True)
class AnswerTime:
    """One submission to a system that answers later, followed until a user may see its answer:
    `seconds` as the client timed it (until the answer was stored), `parts` (seconds) as the system
    recorded them: what the answer waited for, in order."""

    seconds: float
    parts: dict[str, float]


@dataclass(frozen=True)
class Step:
    """One step of a model update: its duration and whether any update strategy must pay it
    (`build`: building, installing or loading the new model) or a better one could avoid it
    (`switch`: moving users from the old model to the new one)."""

    label: str
    seconds: float
    phase: str  # "build" or "switch"


@dataclass(frozen=True)
class AppliedUpdate:
    """What an architecture's update procedure says it did; `System.update_model` adds what it
    observed around it (process ids, files written, versions served)."""

    strategy: str
    better_strategy: str
    steps: tuple[Step, ...]
    rebuilt: tuple[str, ...] = ()  # things rewritten that are not files (e.g. stored predictions)
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateReport:
    """One shape for every architecture's model update, filled from observation."""

    version: str
    strategy: str
    better_strategy: str
    steps: tuple[Step, ...]
    served_before: tuple[str | None, ...]  # per front instance, read as a user would
    served_after: tuple[str | None, ...]
    restarted: tuple[str, ...]  # components whose process id changed
    started: tuple[str, ...]  # components that did not exist before
    rebuilt: tuple[str, ...]  # files written (relative to ARCHLAB_HOME) and other rewritten state
    details: dict = field(default_factory=dict)

    @property
    def build_seconds(self) -> float:
        """Building and installing the new model: the cost no update strategy avoids."""
        return sum(step.seconds for step in self.steps if step.phase == "build")

    @property
    def switch_seconds(self) -> float:
        """Moving users to the new model: what a better strategy could make invisible."""
        return sum(step.seconds for step in self.steps if step.phase == "switch")

    @property
    def total_seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def as_dict(self) -> dict:
        """JSON-shaped (lists, not tuples), with the derived durations."""
        data = json.loads(json.dumps(asdict(self)))
        return {**data, "build_seconds": self.build_seconds, "switch_seconds": self.switch_seconds,
                "total_seconds": self.total_seconds}


class FileWatch:
    """What changed under some folders between `FileWatch(...)` and `changed()`: the files an
    update wrote, observed rather than listed by hand. Paths are reported relative to `base`,
    grouped per top-level entry of each watched folder (a rebuilt environment of 300 files is one
    line, with its file count)."""

    def __init__(self, base: Path, folders: list[Path]) -> None:
        self.base, self.folders = Path(base), [Path(f) for f in folders]
        self._before = self._snapshot()

    def _snapshot(self) -> dict[Path, tuple[int, int, int]]:
        seen = {}
        for folder in self.folders:
            for root, _, files in os.walk(folder):
                for name in files:
                    path = Path(root) / name
                    try:
                        info = path.stat()
                    except OSError:
                        continue
                    seen[path] = (info.st_ino, info.st_mtime_ns, info.st_size)
        return seen

    def changed(self) -> tuple[str, ...]:
        after = self._snapshot()
        written = [path for path, stamp in after.items() if self._before.get(path) != stamp]
        groups: dict[str, int] = {}
        for path in written:
            folder = next(f for f in self.folders if f in path.parents)
            top = folder / path.relative_to(folder).parts[0]
            groups[self._name(top)] = groups.get(self._name(top), 0) + 1
        return tuple(f"{name} ({count} files)" if count > 1 else name for name, count in sorted(groups.items()))

    def _name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.base))
        except ValueError:
            return str(path)
