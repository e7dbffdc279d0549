"""What only some architectures have, as optional protocols beside the `System` contract: a caller
asks `isinstance(system, AnswersLater)` instead of calling a method that would raise elsewhere, and
`check_system` exercises each protocol a system satisfies.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .contract import AnswerTime, FloorSamples


@runtime_checkable
class AnswersLater(Protocol):
    """A system whose front stores the request and answers later (a batch job, a worker pool):
    its latency is the time until the answer is there, its throughput its workers' rows/s."""

    def time_to_answer(self, record: dict | None = None, timeout: float = 60.0) -> float:
        """Seconds from submitting one house until its answer is stored."""

    def answer_time(self, record: dict | None = None, timeout: float = 60.0) -> AnswerTime:
        """One submission until its answer is stored, then reviewed, with the parts of that time
        as the system recorded them."""

    def workers_rows_per_s(self, rows: int) -> float:
        """Stored rows scored per second by the running workers."""


@runtime_checkable
class MeasuresOwnFloors(Protocol):
    """A system with a floor of its own kind of work (its broker, store or transport), measured
    on its own parts with its own settings."""

    def floors(self, count: int) -> list[FloorSamples]:
        """`count` samples of each of its own floors."""


@runtime_checkable
class MeasuresOwnFigures(Protocol):
    """A system with figures of its own kind beside latency and throughput (a batch job's rows/s)."""

    def figures(self, rows: int) -> dict[str, float]:
        """Its own figures, measured on `rows` rows of work."""


@runtime_checkable
class FrontInProcess(Protocol):
    """A system whose web front holds the model in its own process, so the front can also be called
    here as a WSGI app, with no server or socket between (`archlab bench --front` times both ways)."""

    def front_app(self, version: str):
        """Its front as a WSGI callable in this process, answering from stored model `version`."""


OPTIONAL_PROTOCOLS: tuple[type, ...] = (AnswersLater, MeasuresOwnFloors, MeasuresOwnFigures, FrontInProcess)
