"""The embedded backend: the model package installed in this app's environment, called in-process
(after MODEL_COST_MS of CPU per call, `patterns.model_cost`).

Each replica counts the answers it gave and those the plausibility rule flags against the training
prices its own model package carries, and reports them in GET /status (`answers`): the metrics a
canary's deploy script polls (`lab/canary.py`) to abort a bad version at its first flagged answer.
"""

from __future__ import annotations

import importlib
import threading

from shared_model import ModelError

from patterns.model_cost import predict as predict_at_cost
from patterns.settings import Settings
from patterns.web.backend import BackendUnavailable, Prediction
from patterns.web.judge import Judge

from .wheel import PACKAGE


class AnswerCounts:
    """The answers this replica gave and how many of them the plausibility rule flagged."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        self.answered = self.flagged = 0
        self.first_flag: str | None = None
        self._lock = threading.Lock()

    def count(self, prediction: Prediction) -> None:
        why = self.judge.why(prediction)
        with self._lock:
            self.answered += 1
            if why:
                self.flagged += 1
                self.first_flag = self.first_flag or why

    def state(self) -> dict:
        with self._lock:
            return {"answered": self.answered, "flagged": self.flagged, "first_flag": self.first_flag}


class EmbeddedBackend:
    """Predicts with the model loaded once at start-up; without one, every prediction is a 503."""

    architecture = "embedded"

    def __init__(self, model=None, problem: str | None = None, package_file: str | None = None,
                 cost_ms: float = 0.0) -> None:
        self.model = model
        self.problem = problem
        self.package_file = package_file
        self.cost_ms = cost_ms
        # judged by the training prices its package carries: a replica needs no model store
        self.answers = AnswerCounts(Judge(lambda version: model.metadata)) if model is not None else None

    def predict(self, records: list[dict]) -> Prediction:
        if self.model is None:
            raise BackendUnavailable(self.problem)
        values, model_ms = predict_at_cost(self.model, records, self.cost_ms)
        prediction = Prediction(values, self.model.version, timing={"model": model_ms})
        self.answers.count(prediction)
        return prediction

    def status(self) -> dict:
        return {
            "model_version": None if self.model is None else self.model.version,
            "model_package": self.package_file,
            "problem": self.problem,
            "answers": None if self.answers is None else self.answers.state(),
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
