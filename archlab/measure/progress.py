"""A plain-text progress bar on stderr for anything that runs longer than a couple of seconds.

Nothing is printed for short runs, so quick measurements and tests stay quiet. On a terminal the
bar redraws in place; elsewhere (CI logs, notebooks) it prints a line every few seconds.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

SHOW_AFTER_S = 2.0
WIDTH = 30


class Progress:
    """Tracks completion as the larger of done/total and elapsed/time limit."""

    def __init__(self, label: str, total: int | None, limit_s: float | None, stream: TextIO | None = None):
        self.label = label
        self.total = total
        self.limit_s = limit_s
        self.stream = stream or sys.stderr
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False
        self._interactive = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done: int, failed: int = 0) -> None:
        now = time.monotonic()
        elapsed = now - self._start
        every = 0.1 if self._interactive else 5.0
        if elapsed < SHOW_AFTER_S or now - self._last_draw < every:
            return
        self._last_draw = now
        self._draw(done, failed, elapsed, end="\r" if self._interactive else "\n")

    def finish(self, done: int, failed: int = 0) -> None:
        """Draw the final state, but only if the bar was ever shown."""
        if self._drawn:
            self._draw(done, failed, time.monotonic() - self._start, end="\n")

    def _draw(self, done: int, failed: int, elapsed: float, end: str) -> None:
        fractions = [0.0]
        if self.total:
            fractions.append(done / self.total)
        if self.limit_s:
            fractions.append(elapsed / self.limit_s)
        fraction = min(1.0, max(fractions))
        filled = int(fraction * WIDTH)
        bar = "#" * filled + "." * (WIDTH - filled)
        of_total = f"/{self.total}" if self.total else ""
        self.stream.write(f"{self.label} [{bar}] {done}{of_total} requests, {failed} failed, {elapsed:.1f}s{end}")
        self.stream.flush()
        self._drawn = True
