"""Throughput under concurrent load: requests/s, latency percentiles, errors and the client's own cost.

A ratio of two throughputs (a system against its floor) means something only if the client's
share is known: on 2 cores the load generator competes with the servers for CPU. So beside the
server's figures each run reports the CPU time the generator's worker threads spent per request
(`client_cpu_ms_per_request`), and the p50 of every `Server-Timing` part the answers carried.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .load import LoadResult, Target, run_load
from .stats import summarize


@dataclass(frozen=True)
class Throughput:
    """One bounded run at `concurrency` requests in flight.

    Every request sent is either answered (a 2xx) or failed (no answer, or another status), so
    `sent == answered + failed`; `requests_per_s` counts answered requests over the run's `seconds`,
    and the percentiles are of answered requests (None when none was).
    """

    concurrency: int
    sent: int
    answered: int
    failed: int
    seconds: float
    requests_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    client_cpu_ms_per_request: float
    server_timing_p50_ms: dict[str, float]

    @classmethod
    def of(cls, result: LoadResult) -> Throughput:
        answered = [s for s in result.samples if s.ok]
        summary = summarize(s.latency_ms for s in answered)
        names = sorted({name for s in answered for name in s.timing})
        timing = {name: summarize(s.timing[name] for s in answered if name in s.timing).p50 for name in names}
        sent = len(result.samples)
        return cls(
            concurrency=result.concurrency,
            sent=sent,
            answered=len(answered),
            failed=sent - len(answered),
            seconds=result.elapsed_s,
            requests_per_s=len(answered) / result.elapsed_s if result.elapsed_s > 0 else 0.0,
            p50_ms=summary.p50,
            p99_ms=summary.p99,
            client_cpu_ms_per_request=result.client_cpu_s * 1000.0 / sent if sent else 0.0,
            server_timing_p50_ms=timing,
        )

    def as_dict(self) -> dict:
        return asdict(self)


def measure_throughput(
    targets: str | Target | list[Target],
    concurrency: int,
    *,
    count: int,
    duration_s: float,
    timeout_s: float = 5.0,
    method: str = "POST",
    json: Any = None,
    headers: dict[str, str] | None = None,
    label: str = "throughput",
) -> Throughput:
    """Send at most `count` requests in at most `duration_s` seconds from `concurrency` workers.

    `targets` is one URL (sent `method` with `json` as the body), a `Target`, or a list of them
    spread round-robin over the workers (worker i sends to target i mod n).
    """
    if isinstance(targets, str):
        targets = Target(targets, method, json)
    result = run_load(targets if isinstance(targets, list) else [targets], count=count, duration_s=duration_s,
                      concurrency=concurrency, headers=headers, timeout_s=timeout_s, label=label)
    return Throughput.of(result)
