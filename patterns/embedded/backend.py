"""The embedded backend: the model package installed in this app's environment, called in-process
(after MODEL_COST_MS of CPU per call, `patterns.model_cost`)."""

from __future__ import annotations

import importlib

from shared_model import ModelError

from patterns.model_cost import predict as predict_at_cost
from patterns.settings import Settings
from patterns.web.backend import BackendUnavailable, Prediction

from .wheel import PACKAGE


class EmbeddedBackend:
    """Predicts with the model loaded once at start-up; without one, every prediction is a 503."""

    architecture = "embedded"

    def __init__(self, model=None, problem: str | None = None, package_file: str | None = None,
                 cost_ms: float = 0.0) -> None:
        self.model = model
        self.problem = problem
        self.package_file = package_file
        self.cost_ms = cost_ms

    def predict(self, records: list[dict]) -> Prediction:
        if self.model is None:
            raise BackendUnavailable(self.problem)
        values, model_ms = predict_at_cost(self.model, records, self.cost_ms)
        return Prediction(values, self.model.version, timing={"model": model_ms})

    def status(self) -> dict:
        return {
            "model_version": None if self.model is None else self.model.version,
            "model_package": self.package_file,
            "problem": self.problem,
        }

    def blueprint(self):
        return None

    def close(self) -> None:
        """Nothing to release: the model lives and dies with the process."""


def create_backend(settings: Settings) -> EmbeddedBackend:
    """Import the installed model package and verify its bundle; keep serving 503s if that fails."""
    try:
        package = importlib.import_module(PACKAGE)
    except ModuleNotFoundError as exc:
        if exc.name != PACKAGE:
            raise
        return EmbeddedBackend(problem=(
            f"the model package {PACKAGE!r} is not installed in this application's environment; "
            "deploy one with `archlab serve embedded` or patterns.embedded.lab.system"
        ))
    try:
        model = package.load()
    except ModelError as exc:
        return EmbeddedBackend(problem=f"the installed model package was refused: {exc}", package_file=package.__file__)
    return EmbeddedBackend(model=model, package_file=package.__file__, cost_ms=settings.model_cost_ms)
