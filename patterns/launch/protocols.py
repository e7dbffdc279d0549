"""What only some architectures have, as optional protocols beside the `System` contract: a caller
asks `isinstance(system, AnswersLater)` instead of calling a method that would raise elsewhere, and
`check_system` exercises each protocol a system satisfies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from .contract import AnswerTime, FloorSamples
from .guards import GuardReport


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
class PredictsInClient(Protocol):
    """A system whose app carries the model and prices houses on the user's device
    (`capabilities.predicts_in_client`): no server answers a prediction, so it is measured in the
    client, and an update reaches an open client only when that client reloads."""

    def client_prediction_seconds(self, batches: int) -> list[float]:
        """`batches` samples of the time one prediction takes in the client's own engine, no network."""

    def bundle_bytes(self) -> int:
        """What a new visitor downloads now, model included."""

    def open_pages(self, browser):
        """Pages of the app in `browser` (Playwright, launched by the caller): `open(count)` visitors
        under alternating reload policies, `outcomes(released_epoch_s, version)` of each, and
        `answers_from(version, house, times)`, the prices given by the pages still on `version`;
        `close()`."""


@runtime_checkable
class ReleasesUnderGuard(Protocol):
    """A system that can let a new model version meet real traffic under a guard before it serves
    everyone (`patterns.launch.guards`): a canary, a shadow, the way its practitioners add them."""

    def release_guards(self) -> tuple[str, ...]:
        """The guards it offers as it runs now (`"canary"`, `"shadow"`), possibly none."""

    def release_under_guard(self, version: str, guard: str, watch_s: float,
                            while_live: Callable[[], None] | None = None) -> GuardReport:
        """Release `version` under `guard`, watched for about `watch_s` of traffic, and decide
        automatically (a canary promoted or aborted, a shadow passed or rejected); `while_live` is
        called once while the guard runs beside the serving version (to measure what it costs)."""



@runtime_checkable
class FrontInProcess(Protocol):
    """A system whose web front holds the model in its own process, so the front can also be called
    here as a WSGI app, with no server or socket between (`archlab bench --front` times both ways)."""

    def front_app(self, version: str):
        """Its front as a WSGI callable in this process, answering from stored model `version`."""


OPTIONAL_PROTOCOLS: tuple[type, ...] = (AnswersLater, MeasuresOwnFloors, MeasuresOwnFigures, ReleasesUnderGuard,
                                         PredictsInClient, FrontInProcess)
