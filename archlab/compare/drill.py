"""The bad-model drill: how far a faulty model reaches before it is stopped, in any architecture.

Steady traffic on every front instance (what users read, `served_requests()`: the answer to a
POST, or for a system that answers later, a stored request's reviewed answer), then the faulty
version (v3: prices in the wrong unit, see shared_model.config) is rolled out the architecture's own
way (`update_model`). A monitor reads every answer users get, as production monitoring would, and
the first price the plausibility rule (`shared_model.implausible`) flags is the detection; then the
good version is restored the architecture's own way (`rollback`) and the drill waits until every
answer comes from it. Counted from the traffic: answers users got from the bad version, seconds to
detection and to the rollback's end, requests failed meanwhile.

An architecture whose answers are reviewed before anyone reads them (a review gate) may never
serve a flagged answer: then nothing is detected from the answers (`detected_after_s` None), the
drill watches for `budget.drill_watch_s` after the rollout and rolls back anyway.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from shared_model import ModelStore, implausible, training_price_range

from patterns import http
from patterns.launch.contract import ServedRequest

from ..measure.load import LoadRun, Target, start_load
from ..measure.timeline import converged_at
from ..report import Event, TimelinePoint
from .budget import Budget
from .measurements import wait_converged


@dataclass(frozen=True)
class Drill:
    """One drill on the load run's clock. `rollback_s` runs from the detection (without one, from the
    rollback's start) until every answer is from `good`; `failed` counts requests that failed from
    the rollout's start on; `requests` is every request sent from then on."""

    bad: str
    good: str
    bad_answers: int
    detected_after_s: float | None  # from the rollout's start until the monitor saw the first flagged answer
    detection: str | None  # the rule's reason on that answer
    rollback_s: float | None  # None: the answers never all came from `good` within the budget
    failed: int
    requests: int
    rollout_strategy: str
    rollback_strategy: str
    timeline: list[TimelinePoint] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def answered_price(served: ServedRequest, body: dict) -> float:
    """The price beside the version in an answer: the first of `predictions` in an immediate answer,
    `value` in a stored one."""
    holder = body
    for key in served.version_path[:-1]:
        holder = holder[key]
    return float(holder["predictions"][0] if "predictions" in holder else holder["value"])


class Monitor:
    """Reads every answer users get (the load run's `extract`): counts answers per version and keeps
    the first one the plausibility rule flags against its model's training prices. `models` maps
    each version it may see to its metadata (another version is an answer of the wrong shape)."""

    def __init__(self, served: ServedRequest, models: dict[str, dict]) -> None:
        self.served, self.models = served, models
        self.answers: Counter[str] = Counter()
        self.flagged: tuple[float, str] | None = None  # (time.perf_counter(), why)
        self._lock = threading.Lock()
        self._seen_flag = threading.Event()

    def extract(self, answer: http.Answer) -> str:
        body = answer.json()
        version = self.served.version_in(body)
        price = answered_price(self.served, body)
        why = implausible(price, self.models[version])
        with self._lock:
            self.answers[version] += 1
            if why and self.flagged is None:
                self.flagged = (time.perf_counter(), f"model {version}: {why}")
                self._seen_flag.set()
        return version

    def wait_flagged(self, timeout: float) -> tuple[float, str] | None:
        self._seen_flag.wait(timeout)
        return self.flagged


@contextmanager
def steady_traffic(system, budget: Budget, record: dict, bad: str, good: str) -> Iterator[tuple[LoadRun, Monitor]]:
    """Steady traffic on every front instance of `system` (serving `good`), read by a monitor, after
    a baseline of `budget.settle_s` of unflagged answers; stopped on leaving.

    Refused before any traffic: a system not serving `good` everywhere (ValueError), a version
    whose metadata records no training price range to judge by (shared_model.ModelError)."""
    store = ModelStore(system.settings.home / "models")
    models = {version: store.metadata(version) for version in (good, bad)}
    for metadata in models.values():
        training_price_range(metadata)
    serving = system.served_versions()
    if set(serving) != {good}:
        raise ValueError(f"the drill starts from {good} on every instance; they serve {serving}")
    served = system.served_requests(record)
    monitor = Monitor(served[0], models)  # every instance answers alike
    targets = [Target(s.url, s.method, s.body) for s in served]
    run = start_load(targets, extract=monitor.extract, count=1_000_000, duration_s=2 * budget.update_timeout_s + 60,
                     interval_s=budget.update_interval_s, timeout_s=3, progress=False)
    try:
        time.sleep(budget.settle_s)  # a baseline of good answers, none of them flagged
        if monitor.flagged is not None:
            raise ValueError(f"the answers of {good} are flagged before the drill ({monitor.flagged[1]}): "
                             "the drill needs a house whose good price is plausible")
        yield run, monitor
    finally:
        run.stop()


def run_drill(system, budget: Budget, record: dict, bad: str = "v3", good: str = "v2") -> Drill:
    """Roll `bad` out under traffic on `system` (serving `good`), detect it, roll back to `good`
    (refused as `steady_traffic` says)."""
    with steady_traffic(system, budget, record, bad, good) as (run, monitor):
        started, started_perf = run.clock(), time.perf_counter()
        rollout = system.update_model(bad)
        rolled_out = run.clock()
        flagged = monitor.wait_flagged(budget.drill_watch_s)
        rollback_started = run.clock()
        rollback = system.rollback(good)
        wait_converged(run, good, budget)
    samples = [s for s in run.result().samples if s.t_s >= started]
    detected = None if flagged is None else started + flagged[0] - started_perf
    converged = converged_at(samples, good)
    origin = rollback_started if detected is None else detected
    events = [Event(started, f"{bad} rollout started"), Event(rolled_out, f"{bad} rollout done"),
              Event(rollback_started, f"rollback to {good} started")]
    if detected is not None:
        events.append(Event(detected, f"detected: {flagged[1]}"))
    if converged is not None:
        events.append(Event(converged, f"every answer from {good}"))
    return Drill(
        bad=bad, good=good,
        bad_answers=monitor.answers[bad],
        detected_after_s=None if detected is None else detected - started,
        detection=None if flagged is None else flagged[1],
        rollback_s=None if converged is None else max(0.0, converged - origin),
        failed=sum(not s.ok for s in samples),
        requests=len(samples),
        rollout_strategy=rollout.strategy,
        rollback_strategy=rollback.strategy,
        timeline=[TimelinePoint(s.t_s, s.value if s.ok else None, s.error, s.worker) for s in samples],
        events=sorted(events, key=lambda e: e.t_s),
    )
