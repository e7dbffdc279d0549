"""A load generator bounded in request count AND wall time, for loopback targets only.

Every request is recorded — latency, HTTP status, a caller-supplied extraction such as the
`model_version` of the answer, and its start time on the run's clock — so that failures count
against an architecture instead of stopping the run, and update timelines can be drawn.
Sequential mode is one worker; concurrent mode is N threads, each with its own kept-alive
connection of the lean client (`load_client`: the request encoded once, no proxies), whose own CPU
time is recorded (`LoadResult.client_cpu_s`) so a reader sees how much of a latency is the client.
Each answer's `Server-Timing` header, when a server sends one, is kept per sample (`Sample.timing`).
With several targets (e.g. every instance of a front), worker i sends to target i mod n, so
every target gets traffic on the same clock.
"""

from __future__ import annotations

import ipaddress
import json as jsonlib
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from patterns import http
from patterns.server_timing import parse_parts

from .load_client import LeanConnection, encode_request
from .progress import Progress
from .stats import Summary, summarize

Extract = Callable[[http.Answer], Any]


@dataclass(frozen=True)
class Target:
    """One request a worker sends again and again: `method url` with `json` as the body."""

    url: str
    method: str = "GET"
    json: Any = None


@dataclass(frozen=True)
class Sample:
    """One request. `t_s` is its start in seconds since the run began (the run's clock)."""

    t_s: float
    latency_ms: float
    status: int | None  # None: no HTTP answer at all (refused, reset, timed out)
    error: str | None  # None exactly when the request succeeded (2xx and extraction worked)
    value: Any  # what `extract` returned for a successful answer, else None
    worker: int
    timing: dict[str, float] = field(default_factory=dict)  # the answer's Server-Timing parts, in ms

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class LoadResult:
    """All samples of one run and how it ended (`count`, `time` or `stopped`); `client_cpu_s` is
    the CPU time the load generator's worker threads spent, summed over the workers."""

    url: str
    concurrency: int
    count_limit: int
    duration_limit_s: float
    elapsed_s: float
    stopped_by: str
    samples: list[Sample] = field(default_factory=list)
    client_cpu_s: float = 0.0

    @property
    def mode(self) -> str:
        return "sequential" if self.concurrency == 1 else "concurrent"

    @property
    def failures(self) -> list[Sample]:
        return [s for s in self.samples if not s.ok]

    def latencies_ms(self) -> list[float]:
        """Latencies of the successful requests: failures are counted, not timed."""
        return [s.latency_ms for s in self.samples if s.ok]

    def summary(self) -> Summary:
        return summarize(self.latencies_ms())

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(mode=self.mode, failed=len(self.failures), summary_ms=self.summary().to_dict())
        return data


def check_loopback(url: str) -> None:
    """Refuse any target outside this machine: only 127.0.0.0/8, ::1 and localhost are measured."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError(f"load target must be an http:// URL, got {url!r}")
    host = parts.hostname or ""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"load target must be on loopback (127.0.0.0/8, ::1 or localhost), got host {host!r}: "
            "archlab only generates load against systems it runs on this machine"
        )


class LoadRun:
    """A load run on background threads: let it reach its bounds or `stop()` it, then `result()`.

    No new request starts after `count` requests or `duration_s` seconds; one in flight at the
    deadline finishes within `timeout_s`. `interval_s` paces each worker (steady traffic for
    update timelines); 0 sends as fast as answers come back.
    """

    def __init__(
        self,
        targets: Target | list[Target],
        *,
        count: int,
        duration_s: float,
        concurrency: int | None = None,
        headers: dict[str, str] | None = None,
        extract: Extract | None = None,
        timeout_s: float = 5.0,
        interval_s: float = 0.0,
        label: str = "load",
        progress: bool = True,
    ):
        self.targets = [targets] if isinstance(targets, Target) else list(targets)
        for target in self.targets:
            check_loopback(target.url)
        concurrency = len(self.targets) if concurrency is None else concurrency
        if count < 1 or duration_s <= 0 or concurrency < 1 or timeout_s <= 0 or interval_s < 0:
            raise ValueError(
                "load bounds must be positive: "
                f"count={count}, duration_s={duration_s}, concurrency={concurrency}, "
                f"timeout_s={timeout_s}, interval_s={interval_s}"
            )
        self.url = self.targets[0].url
        self.count, self.duration_s, self.concurrency = count, duration_s, concurrency
        self.headers = {**http.JSON_HEADERS, **(headers or {})}
        self.extract = extract
        self.timeout_s, self.interval_s = timeout_s, interval_s
        self._progress = Progress(label, count, duration_s) if progress else None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._samples: list[Sample] = []
        self._issued = 0
        self._failed = 0
        self._threads: list[threading.Thread] = []
        self._origin = 0.0
        self._ended = 0.0
        self._cpu_s = 0.0

    def start(self) -> LoadRun:
        self._origin = time.perf_counter()
        self._threads = [
            threading.Thread(target=self._worker, args=(i,), name=f"load-{i}", daemon=True)
            for i in range(self.concurrency)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def clock(self) -> float:
        """Seconds since the run began, on the same clock as `Sample.t_s` (to mark events)."""
        return time.perf_counter() - self._origin

    def snapshot(self) -> list[Sample]:
        """The samples recorded so far, in completion order."""
        with self._lock:
            return list(self._samples)

    def stop(self) -> None:
        self._stop.set()

    def result(self) -> LoadResult:
        """Wait for the workers (bounded by the run's limits) and return every sample."""
        deadline = time.monotonic() + self.duration_s + self.timeout_s + 5.0
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if any(t.is_alive() for t in self._threads):
            raise RuntimeError(f"load workers did not finish within their bounds on {self.url}")
        samples = sorted(self.snapshot(), key=lambda s: s.t_s)
        if self._progress:
            self._progress.finish(len(samples), sum(not s.ok for s in samples))
        if self._stop.is_set() and self._issued < self.count and self._ended < self.duration_s:
            stopped_by = "stopped"
        else:
            stopped_by = "count" if self._issued >= self.count else "time"
        return LoadResult(
            url=self.url,
            concurrency=self.concurrency,
            count_limit=self.count,
            duration_limit_s=self.duration_s,
            elapsed_s=self._ended,
            stopped_by=stopped_by,
            samples=samples,
            client_cpu_s=self._cpu_s,
        )

    def _claim(self) -> bool:
        with self._lock:
            if self._issued >= self.count:
                return False
            self._issued += 1
            return True

    def _worker(self, worker: int) -> None:
        cpu_started = time.thread_time()
        target = self.targets[worker % len(self.targets)]
        body = None if target.json is None else jsonlib.dumps(target.json).encode()
        request = encode_request(target.url, target.method, body, self.headers)
        head_only = target.method == "HEAD"
        with LeanConnection(target.url, self.timeout_s) as connection:
            next_start = self.clock()
            while not self._stop.is_set() and self.clock() < self.duration_s and self._claim():
                sample = self._one(connection, request, head_only, worker)
                with self._lock:
                    self._samples.append(sample)
                    self._failed += not sample.ok
                    done, failed = len(self._samples), self._failed
                if self._progress:
                    self._progress.update(done, failed)
                next_start += self.interval_s
                wait = min(next_start, self.duration_s) - self.clock()
                if wait > 0 and self._stop.wait(wait):
                    break
        with self._lock:
            self._ended = max(self._ended, self.clock())
            self._cpu_s += time.thread_time() - cpu_started

    def _one(self, connection: LeanConnection, request: bytes, head_only: bool, worker: int) -> Sample:
        started = time.perf_counter()
        status = value = error = None
        timing = {}
        try:
            response = connection.send(request, head_only)
            status = response.status
        except http.NoAnswer as exc:
            error = "Timeout" if exc.timed_out else "ConnectionError"
        latency_ms = (time.perf_counter() - started) * 1000.0
        if status is not None and "server-timing" in response.headers:
            timing = parse_parts(response.headers["server-timing"])
        if status is not None and not 200 <= status < 300:
            error = f"HTTP {status}"
        elif status is not None and self.extract is not None:
            try:
                value = self.extract(response)
            except (ValueError, KeyError, TypeError) as exc:  # the answer did not have the expected shape
                error = f"bad answer: {type(exc).__name__}: {exc}"
        return Sample(
            t_s=started - self._origin, latency_ms=latency_ms, status=status, error=error, value=value, worker=worker,
            timing=timing,
        )


def start_load(url: str | list[Target], *, method: str = "GET", json: Any = None, **options: Any) -> LoadRun:
    """Start a `LoadRun` in the background on one URL (or a list of targets); options as for `LoadRun`."""
    targets = url if isinstance(url, list) else Target(url, method, json)
    return LoadRun(targets, **options).start()


def run_load(url: str | list[Target], **options: Any) -> LoadResult:
    """Run load to its bounds and return every sample (options as for `start_load`)."""
    return start_load(url, **options).result()
