"""What a model update did to the running processes, watched while it ran rather than compared
before and after: every process id each component had (a replica restarted once shows two) and the
most resident memory the system used above what it used before the update (a blue/green or rolling
switch pays for a second copy while both run)."""

from __future__ import annotations

import threading

from ..measure.footprint import running_processes

INTERVAL_S = 0.05


class ProcessWatch:
    """`with ProcessWatch(system) as watch: ...`, then `watch.pids_seen` and `watch.extra_rss_mib`."""

    def __init__(self, system, interval_s: float = INTERVAL_S) -> None:
        self.system, self.interval_s = system, interval_s
        self.pids_seen: dict[str, list[int]] = {}
        self.before_mib = self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="process-watch", daemon=True)

    def _sample(self) -> float:
        for name, pid in self.system.pids().items():
            if pid is not None and pid not in self.pids_seen.setdefault(name, []):
                self.pids_seen[name].append(pid)
        return sum(process.rss_mib for process in running_processes(self.system))

    def _watch(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak_mib = max(self.peak_mib, self._sample())

    def __enter__(self) -> ProcessWatch:
        self.before_mib = self.peak_mib = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mib = max(self.peak_mib, self._sample())

    @property
    def extra_rss_mib(self) -> float:
        return round(self.peak_mib - self.before_mib, 1)
