"""A loaded, verified model version: loading is kept apart from predicting (as MLflow's pyfunc)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .compiled import CompiledLinearModel
from .pipeline import records_to_frame


@dataclass(frozen=True)
class Model:
    """One model version ready to predict. `estimator` is None when loaded from the pickle-free format;
    `runner` predicts cleaned records when another format (ONNX, MLflow) serves it (see `formats`)."""

    metadata: dict
    compiled: CompiledLinearModel
    estimator: object | None = None
    runner: Callable[[list[dict]], list[float]] | None = None
    format: str = "pickle"

    @property
    def name(self) -> str:
        return self.metadata["name"]

    @property
    def version(self) -> str:
        return self.metadata["version"]

    @property
    def digest(self) -> str:
        return self.metadata["digest"]

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self.metadata["features"])

    def predict_one(self, record: dict) -> float:
        """Fast path for one cleaned record: plain float arithmetic, same numbers as `predict`."""
        if self.runner is not None:
            return self.runner([record])[0]
        return self.compiled.predict_one(record)

    def predict_many(self, records: list[dict]) -> list[float]:
        """Vectorised fast path for many cleaned records: the same numbers as `predict`, without
        the DataFrame and ColumnTransformer overhead (what a batch job or a list request wants)."""
        if self.runner is not None:
            return self.runner(records)
        if len(records) <= 1:  # one record: plain floats beat numpy's per-call overhead
            return [self.compiled.predict_one(r) for r in records]
        return self.compiled.predict_many(records).tolist()

    def predict(self, records) -> list[float]:
        """Batch path: cleaned records (or a DataFrame of raw columns) through the fitted pipeline."""
        if self.estimator is None:
            return self.predict_many(records.to_dict("records") if hasattr(records, "to_dict") else list(records))
        frame = records_to_frame(records, self.features)
        if frame.empty:
            return []
        return self.estimator.predict(frame).tolist()
