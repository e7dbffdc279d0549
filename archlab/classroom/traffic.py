"""Steady, bounded traffic through one running system, as its users make it.

Users read answers the way the system serves them (`served_requests()`: a POST answered at once,
or for a system that answers later, a stored and reviewed answer); a system that answers later also
gets houses submitted, which its worker scores on its schedule. Each answer is judged by the
drill's plausibility rule, so answers from a faulty model are counted as users got them.
The load generator is `archlab.measure.load`; a run is bounded, so a new one replaces it every
`ROTATE_S` seconds (memory stays bounded in a long lecture).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from shared_model import ModelStore, example_record, implausible

from patterns import http

from ..compare.drill import answered_price
from ..measure.load import LoadRun, Sample, Target, start_load

ROTATE_S = 120.0
TIMEOUT_S = 3.0
SUBMIT_SHARE = 0.25  # of the rate, houses submitted to a system that answers later


@dataclass(frozen=True)
class Answer:
    """One request a user made, on the wall clock, as the chart needs it."""

    at: float  # time.time() when it started
    latency_ms: float
    ok: bool
    version: str | None  # the model version of the answer, when it carries one
    instance: int | None  # which front instance answered (index into served_requests), reads only
    faulty: str | None  # why the plausibility rule flagged the answer, if it did


class Judge:
    """Reads the version and price of an answer and flags implausible prices against the
    training prices of the model that gave it (the drill's monitor rule)."""

    def __init__(self, store: ModelStore, served) -> None:
        self.store, self.served = store, served
        self._metadata: dict[str, dict] = {}

    def __call__(self, answer: http.Answer) -> tuple[str, str | None]:
        body = answer.json()
        version = self.served.version_in(body)
        try:
            price = answered_price(self.served, body)
        except KeyError:  # an answer without a price (the client app's release manifest: it prices in the browser)
            return version, None
        if version not in self._metadata:
            self._metadata[version] = self.store.metadata(version)
        return version, implausible(price, self._metadata[version])


class _Stream:
    """One rotating load run over some targets; `harvest()` returns the samples new since last time."""

    def __init__(self, targets: list[Target], interval_s: float, extract, reads: bool) -> None:
        self.targets, self.interval_s, self.extract, self.reads = targets, interval_s, extract, reads
        self.run: LoadRun | None = None
        self.origin = 0.0
        self.seen = 0

    def start(self) -> None:
        self.origin = time.time()
        self.run = start_load(self.targets, count=1_000_000, duration_s=ROTATE_S, interval_s=self.interval_s,
                              timeout_s=TIMEOUT_S, extract=self.extract, progress=False)
        self.seen = 0

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()

    def harvest(self) -> list[Answer]:
        if self.run is None:
            return []
        samples = self.run.snapshot()
        fresh, self.seen = [self._answer(s) for s in samples[self.seen:]], len(samples)
        if self.run.clock() >= ROTATE_S:  # its bounds reached: the next run takes over (on its own clock)
            self.stop()
            self.start()
        return fresh

    def _answer(self, sample: Sample) -> Answer:
        version, faulty = sample.value if self.reads and sample.ok else (None, None)
        return Answer(self.origin + sample.t_s, sample.latency_ms, sample.ok, version,
                      sample.worker % len(self.targets) if self.reads else None, faulty)


class Traffic:
    """Users of one system at `rate` requests per second in all (spread over its front instances)."""

    def __init__(self, system, rate: float) -> None:
        self.system, self.rate = system, rate
        self._streams: list[_Stream] = []
        self._lock = threading.Lock()

    def start(self) -> Traffic:
        served = self.system.served_requests(example_record())
        judge = Judge(ModelStore(self.system.settings.home / "models"), served[0])  # every instance answers alike
        reads = [Target(s.url, s.method, s.body) for s in served]
        streams = [_Stream(reads, len(reads) / self.rate, judge, reads=True)]
        if self.system.capabilities.answers_later:
            submits = [Target(r.url, r.method, r.body) for r in self.system.prediction_requests(example_record())]
            streams.append(_Stream(submits, len(submits) / (self.rate * SUBMIT_SHARE), None, reads=False))
        with self._lock:
            self._streams = streams
            for stream in streams:
                stream.start()
        return self

    def stop(self) -> None:
        with self._lock:
            for stream in self._streams:
                stream.stop()
            self._streams = []

    @property
    def running(self) -> bool:
        return bool(self._streams)

    def harvest(self) -> list[Answer]:
        with self._lock:
            return sorted((a for stream in self._streams for a in stream.harvest()), key=lambda a: a.at)
