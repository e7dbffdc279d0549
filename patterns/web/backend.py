"""The one interface the front knows; each architecture implements it (see docs/DESIGN.md).

The front validates records itself, times `predict`, and maps `BackendUnavailable` to 503 and
`shared_model.ValidationError` to 422, so a backend contains only what its architecture differs in.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import flask

    from patterns.settings import Settings


class BackendUnavailable(Exception):
    """The model back end cannot answer now (service down, broker away, no model yet): HTTP 503."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Prediction:
    """Prices for the submitted records, in order, and the model version that produced them;
    `timing`: where the back end's time went, in milliseconds (`model`, `hop`...), for the answer's
    Server-Timing header (not part of what the prediction is, so not compared)."""

    values: list[float]
    model_version: str
    timing: dict[str, float] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Accepted:
    """Stored for later scoring (async): one ticket `{"id", "status_url"}` per submitted record;
    `timing` as in Prediction (`database`: storing them)."""

    tickets: list[dict] = field(default_factory=list)
    timing: dict[str, float] = field(default_factory=dict, compare=False)


@runtime_checkable
class Backend(Protocol):
    architecture: str

    def predict(self, records: list[dict]) -> Prediction | Accepted:
        """Records are already cleaned by `shared_model.validate_record`."""

    def status(self) -> dict:
        """JSON-able state for GET /status: model version, broker state, rejected messages..."""

    def blueprint(self) -> flask.Blueprint | None:
        """Extra routes the architecture needs, or None."""

    def close(self) -> None:
        """Release connections and threads."""


def load_backend(settings: Settings) -> Backend:
    """`patterns.<arch>.backend.create_backend(settings)` for the architecture the settings name;
    ValueError when that architecture has no backend for this front (`archlab serve --help` lists them)."""
    try:
        module = importlib.import_module(f"patterns.{settings.arch}.backend")
    except ModuleNotFoundError as exc:
        if exc.name not in (f"patterns.{settings.arch}", f"patterns.{settings.arch}.backend"):
            raise  # a library the backend needs is missing: say so, not "unknown architecture"
        module = None
    if not hasattr(module, "create_backend"):
        raise ValueError(f"ARCHLAB_ARCH names no architecture with a backend for this front "
                         f"(patterns/{settings.arch}/backend.py); got {settings.arch!r}")
    return module.create_backend(settings)


def timed_predict(backend: Backend, records: list[dict]) -> tuple[Prediction | Accepted, float]:
    """The backend's answer and how long it took in milliseconds (what the result page shows)."""
    started = time.perf_counter()
    result = backend.predict(records)
    return result, (time.perf_counter() - started) * 1000.0
