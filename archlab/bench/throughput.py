"""Throughput benchmark: the three constant floors (server, framework, two round trips) at
concurrency 1, 8 and 32, each run bounded in requests and seconds, with the load client's own
CPU cost per request so a reader sees how much of each figure is the client.
"""

from __future__ import annotations

from shared_model import example_record

from ..measure.floors import CONSTANT_FLOORS, constant_server
from ..measure.throughput import measure_throughput
from .model import machine_description

CONCURRENCIES = (1, 8, 32)


def run_throughput_bench(count: int, seconds: float, concurrencies=CONCURRENCIES) -> dict:
    """For each constant floor, one server started once and measured at every concurrency."""
    runs, house = {}, example_record()
    for kind in CONSTANT_FLOORS:
        with constant_server(kind) as url:
            runs[kind] = [measure_throughput(url, concurrency, count=count, duration_s=seconds, json=house,
                                             label=f"{kind} x{concurrency}").as_dict()
                          for concurrency in concurrencies]
    return {"machine": machine_description(), "count": count, "seconds": seconds,
            "floors": {kind: CONSTANT_FLOORS[kind] for kind in runs}, "runs": runs}


def format_throughput_bench(result: dict) -> str:
    lines = [
        f"constant floors under load on {result['machine']}",
        f"each run: at most {result['count']} requests in at most {result['seconds']:g} s, POST the example house",
        f"  {'floor':20} {'conc':>4} {'sent':>6} {'failed':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'client CPU ms/req':>18}",
    ]
    for kind, runs in result["runs"].items():
        for run in runs:
            lines.append(
                f"  {kind:20} {run['concurrency']:4} {run['sent']:6} {run['failed']:6} {run['requests_per_s']:8.0f} "
                f"{_ms(run['p50_ms'])} {_ms(run['p99_ms'])} {run['client_cpu_ms_per_request']:18.3f}"
            )
    lines.append("floors:")
    lines += [f"  {kind}: {description}" for kind, description in result["floors"].items()]
    lines.append("client CPU: CPU time of the load generator's worker threads per request sent (it shares the "
                 "machine's cores with the servers)")
    lines += [f"  at concurrency {run['concurrency']}, the client's CPU is {share:.0%} of the {kind} p50"
              for kind, runs in result["runs"].items() for run in runs[:1]
              if (share := _client_share(run)) is not None]
    return "\n".join(lines)


def _client_share(run: dict) -> float | None:
    """The client's CPU per request as a fraction of the median latency (one request in flight)."""
    return run["client_cpu_ms_per_request"] / run["p50_ms"] if run["p50_ms"] else None


def _ms(value: float | None) -> str:
    return f"{value:8.3f}" if value is not None else f"{'-':>8}"
