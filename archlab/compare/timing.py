"""Where a comparison's minutes went: each phase's wall clock and, for every system it launched,
the seconds to start it, that it ran (measured, or waited running while the others were), and to
stop it (start-up that repeats from launch to launch is what a faster run cuts first). Printed at the end of a
run and kept in results.json under `timings`."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from patterns.launch.architectures import launch


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
        """`patterns.launch.architectures.launch(arch, **options)`, its start, time running and stop each timed."""
        started = time.monotonic()
        with launch(arch, **options) as system:
            up = time.monotonic()
            try:
                yield system
            finally:
                done = time.monotonic()
        self.launches.append({"phase": self._phase, "purpose": purpose, "system": name,
                              "start_s": round(up - started, 2), "alive_s": round(done - up, 2),
                              "stop_s": round(time.monotonic() - done, 2)})

    def as_dict(self) -> dict:
        groups: dict[str, list[dict]] = {}
        for launch in self.launches:
            groups.setdefault(launch["purpose"], []).append(launch)
        return {
            "total_s": round(time.monotonic() - self.started, 1),
            "phases": self.phases,
            "launches": self.launches,
            "by_purpose": [_summed(purpose, group) for purpose, group in groups.items()],
            "all_launches": _summed("all", self.launches),
            # what else the machine was doing (1, 5, 15 minutes) when the summary was taken
            "load_average": [round(load, 2) for load in os.getloadavg()],
            "cpus": os.cpu_count(),
        }


def _summed(purpose: str, launches: list[dict]) -> dict:
    return {"purpose": purpose, "count": len(launches),
            **{key: round(sum(launch[key] for launch in launches), 1) for key in ("start_s", "alive_s", "stop_s")}}


def summary_lines(timings: dict) -> list[str]:
    """The timing summary as lines for the terminal: phases, then launches by purpose."""
    lines = [f"{'phase':<66} {'s':>7}"]
    lines += [f"{p['phase'][:66]:<66} {p['seconds']:>7.1f}" for p in timings["phases"]]
    lines.append(f"{'launches by purpose':<54} {'count':>5} {'start s':>8} {'running s':>9} {'stop s':>7}")
    lines += [f"{g['purpose'][:54]:<54} {g['count']:>5} {g['start_s']:>8.1f} {g['alive_s']:>9.1f} {g['stop_s']:>7.1f}"
              for g in [*timings["by_purpose"], timings["all_launches"]]]
    lines.append(f"total {timings['total_s']:.0f} s; load average {', '.join(map(str, timings['load_average']))} "
                 f"(1, 5, 15 min) on {timings['cpus']} cores")
    return lines
