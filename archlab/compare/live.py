"""Systems kept running across a comparison's repetitions: each launched once, measured in every
repetition (interleaved with the others, so the machine's drift spreads over all of them), and
stopped as soon as it is no longer needed. Starting a system takes longer than measuring it once,
so a run that relaunched each system per repetition spent most of its minutes starting and stopping."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, ExitStack
from typing import Any

from ..measure.footprint import process_cpu_seconds, running_processes


class LiveSystems:
    """`with LiveSystems() as live: live.start(key, timings.launch(...)); live[key]; live.stop(key)`;
    whatever is still running when the block ends is stopped, last started first."""

    def __init__(self) -> None:
        self._running: dict[Any, tuple[ExitStack, Any]] = {}

    def start(self, key, launch: AbstractContextManager):
        """Enter `launch` (`Timings.launch(...)`) and keep its system running under `key`; returns it."""
        stack = ExitStack()
        system = stack.enter_context(launch)
        self._running[key] = (stack, system)
        return system

    def __getitem__(self, key):
        return self._running[key][1]

    def __contains__(self, key) -> bool:
        return key in self._running

    def cpu_seconds(self, but) -> float:
        """CPU seconds used so far by every process of the running systems other than `but`'s:
        what they take from the cores while `but` is measured, read from /proc."""
        return sum(seconds for key, (_, system) in self._running.items() if key != but
                   for process in running_processes(system)
                   if (seconds := process_cpu_seconds(process.pid)) is not None)

    def wait_quiet(self, below_pct: float, window_s: float = 0.25, timeout_s: float = 15.0) -> float:
        """Until all of them together use less than `below_pct` of one CPU over a `window_s` window
        (systems just started still load models, catch up on topics, compile), or `timeout_s`;
        returns the last window's percent. The first one measured then waits on the same quiet as the last."""
        deadline = time.monotonic() + timeout_s
        while True:
            before, started = self.cpu_seconds(but=None), time.monotonic()
            time.sleep(window_s)
            busy = 100 * (self.cpu_seconds(but=None) - before) / (time.monotonic() - started)
            if busy < below_pct or time.monotonic() >= deadline:
                return busy

    def stop(self, key) -> None:
        """Stop the system under `key` (nothing when none runs there)."""
        if key in self._running:
            self._running.pop(key)[0].close()

    def __enter__(self) -> LiveSystems:
        return self

    def __exit__(self, *exc_info) -> None:
        for key in reversed(list(self._running)):
            self.stop(key)
