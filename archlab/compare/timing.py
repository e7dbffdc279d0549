"""Where a comparison's minutes went: each phase's wall clock and, for every system it launched,
the seconds to start it, to measure it and to stop it (start-up that repeats from launch to launch
is what a faster run cuts first; measuring time is what it must keep). Printed at the end of a
run and kept in results.json under `timings`."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from patterns.launch.systems import launch


class Timings:
    """`with timings.phase("floors"): ...` and `with timings.launch("serving", name, arch, **options) as system:`."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.phases: list[dict] = []
        self.launches: list[dict] = []
        self._phase = ""

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time what runs inside as one phase (a launch inside is filed under it)."""
        outer, self._phase = self._phase, name
        started = time.monotonic()
        try:
            yield
        finally:
            self.phases.append({"phase": name, "seconds": round(time.monotonic() - started, 2)})
            self._phase = outer

    @contextmanager
    def launch(self, purpose: str, name: str, arch: str, **options) -> Iterator:
        """`patterns.launch.systems.launch(arch, **options)`, its start, use and stop each timed."""
        started = time.monotonic()
        with launch(arch, **options) as system:
            up = time.monotonic()
            try:
                yield system
            finally:
                done = time.monotonic()
        self.launches.append({"phase": self._phase, "purpose": purpose, "system": name,
                              "start_s": round(up - started, 2), "measure_s": round(done - up, 2),
                              "stop_s": round(time.monotonic() - done, 2)})

    def as_dict(self) -> dict:
        launches = self.launches
        return {
            "total_s": round(time.monotonic() - self.started, 1),
            "phases": self.phases,
            "launches": launches,
            "launch_count": len(launches),
            "start_s": round(sum(launch["start_s"] for launch in launches), 1),
            "measure_s": round(sum(launch["measure_s"] for launch in launches), 1),
            "stop_s": round(sum(launch["stop_s"] for launch in launches), 1),
            # what else the machine was doing (1, 5, 15 minutes) when the summary was taken
            "load_average": [round(load, 2) for load in os.getloadavg()],
        }


def summary_lines(timings: dict) -> list[str]:
    """The timing summary as lines for the terminal: phases, then launches by purpose."""
    lines = [f"{'phase':<52} {'s':>7}"]
    lines += [f"{p['phase'][:52]:<52} {p['seconds']:>7.1f}" for p in timings["phases"]]
    by_purpose: dict[str, list[dict]] = {}
    for launch in timings["launches"]:
        by_purpose.setdefault(launch["purpose"], []).append(launch)
    lines.append(f"{'launches by purpose':<30} {'count':>5} {'start s':>8} {'measure s':>9} {'stop s':>7}")
    for purpose, group in by_purpose.items():
        start, measure, stop = (sum(launch[key] for launch in group) for key in ("start_s", "measure_s", "stop_s"))
        lines.append(f"{purpose[:30]:<30} {len(group):>5} {start:>8.1f} {measure:>9.1f} {stop:>7.1f}")
    lines.append(f"{'all':<30} {timings['launch_count']:>5} {timings['start_s']:>8.1f} {timings['measure_s']:>9.1f} "
                 f"{timings['stop_s']:>7.1f}")
    lines.append(f"total {timings['total_s']:.0f} s; load average {', '.join(map(str, timings['load_average']))} "
                 f"on {os.cpu_count()} cores")
    return lines
