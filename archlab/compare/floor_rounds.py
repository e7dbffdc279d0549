"""The floors every architecture is shown beside, measured the way the architectures are: the
constant servers (bare WSGI, Flask route, two round trips in series) start once; their throughput
is measured once, at the start, and their latency in every repetition, just before the
architectures', so a ratio to its floor compares figures taken under the same drift of the machine
(measured once at the start, the Flask floor's p50 moved from run to run as much as the ratio it
is a floor of). The model's arithmetic runs in this process and is measured once."""

from __future__ import annotations

import math
from contextlib import ExitStack

from shared_model import ModelStore, validate_record

from ..measure.floors import CONSTANT_FLOORS, Floor, constant_server, model_arithmetic_floor
from ..measure.load import run_load
from ..measure.throughput import measure_throughput
from .budget import Budget


class FloorRounds:
    """`with FloorRounds(budget, record) as floors: floors.measure_once(store, version); ...
    floors.measure_latency() per repetition; floors.floors()`: the servers run until the block ends."""

    def __init__(self, budget: Budget, record: dict) -> None:
        self.budget, self.record = budget, record
        self._servers = ExitStack()
        self.urls: dict[str, str] = {}
        self.throughput: dict[str, list[dict]] = {}
        self._measured: dict[str, Floor] = {}
        self._rounds: dict[str, list] = {kind: [] for kind in CONSTANT_FLOORS}

    def __enter__(self) -> FloorRounds:
        try:
            self.urls = {kind: self._servers.enter_context(constant_server(kind)) for kind in CONSTANT_FLOORS}
        except BaseException:
            self._servers.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._servers.close()

    def measure_once(self, store: ModelStore, version: str) -> None:
        """The model's arithmetic, and each constant server's throughput at every concurrency."""
        self._measured["model_arithmetic"] = model_arithmetic_floor(
            store.load(version), validate_record(self.record), count=self.budget.floor_model_calls)
        self.throughput = {
            kind: [measure_throughput(url, concurrency, count=self.budget.throughput_requests,
                                      duration_s=self.budget.throughput_seconds, json=self.record).as_dict()
                   for concurrency in self.budget.concurrencies]
            for kind, url in self.urls.items()}

    def measure_latency(self) -> None:
        """One repetition's share of each constant floor's sequential requests."""
        count = math.ceil(self.budget.floor_http_requests / self.budget.repetitions)
        for kind, url in self.urls.items():
            self._rounds[kind].append(run_load(url, count=count, duration_s=self.budget.latency_seconds,
                                               method="POST", json=self.record, label=f"floor: {kind}"))

    def floors(self) -> dict[str, Floor]:
        """Every floor measured so far, each constant one's repetitions pooled."""
        pooled = {kind: Floor(kind, f"{CONSTANT_FLOORS[kind]} ({rounds[0].mode}, 1 client, "
                                    f"{len(rounds)} repetition{'s' if len(rounds) > 1 else ''})",
                              [ms for result in rounds for ms in result.latencies_ms()],
                              sum(len(result.failures) for result in rounds))
                  for kind, rounds in self._rounds.items() if rounds}
        return {**self._measured, **pooled}
