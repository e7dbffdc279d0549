"""Where one request's time went, as the standard `Server-Timing` header: `name;dur=ms, ...`.

Each process that answers measures its own parts with `time.perf_counter` and ends with `total`
(the whole handler), so the parts other than `total` never add up to more than it. The model
service sends its parts (`validation`, `model`) with its answer, and the front subtracts them from
the call it timed to get the `hop` (network, serialization, the service's framework).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

HEADER = "Server-Timing"


class ServerTiming:
    """Parts measured during one request (milliseconds); `header()` adds `total` since creation."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.parts: dict[str, float] = {}

    def add(self, name: str, milliseconds: float) -> None:
        """Add to part `name` (a part measured twice, e.g. validation at the front and at the model service, is summed)."""
        self.parts[name] = self.parts.get(name, 0.0) + milliseconds

    def add_all(self, parts: Mapping[str, float]) -> None:
        for name, milliseconds in parts.items():
            self.add(name, milliseconds)

    def part(self, name: str) -> TimedPart:
        """Time the block as part `name`, also when it raises (a refused body still says what validating it cost)."""
        return TimedPart(self, name)

    def header(self) -> str:
        return format_parts({**self.parts, "total": (time.perf_counter() - self.started) * 1000.0})


class TimedPart:
    """`with timing.part(name):` as a plain class: it runs on every request, where a generator-based
    context manager costs about twice as much."""

    __slots__ = ("timing", "name", "started")

    def __init__(self, timing: ServerTiming, name: str) -> None:
        self.timing, self.name = timing, name

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc_info) -> None:
        self.timing.add(self.name, (time.perf_counter() - self.started) * 1000.0)


def format_parts(parts: Mapping[str, float]) -> str:
    """`validation;dur=0.120, model;dur=0.400, total;dur=0.700` (milliseconds, 3 decimals)."""
    return ", ".join(f"{name};dur={milliseconds:.3f}" for name, milliseconds in parts.items())


def parse_parts(header: str | None) -> dict[str, float]:
    """A Server-Timing header's parts as name -> milliseconds; parts without a finite `dur` are left out."""
    parts = {}
    for entry in (header or "").split(","):
        name, _, params = entry.strip().partition(";")
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if name and key.strip().lower() == "dur":
                try:
                    milliseconds = float(value.strip().strip('"'))
                except ValueError:
                    break
                if math.isfinite(milliseconds):
                    parts[name.strip()] = milliseconds
                break
    return parts
