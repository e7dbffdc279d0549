"""MLflow: the fitted pipeline as an MLflow model (sklearn flavor), loadable with `mlflow.pyfunc`.

An MLflow model is a folder (`MLmodel`, the pickled estimator, environment files). The artifact
store and the transport bundle are flat sets of signed files, so the folder travels as one zip,
`model.mlflow.zip`, whose SHA-256 is signed like every other file; it is unpacked into a temporary
folder only after that check. Only `mlflow-skinny` is needed, and nothing talks to a tracking
server: `save_model` and `pyfunc.load_model` work on local paths. MLflow 3 also sends usage
telemetry to its own servers from the moment it is imported; archlab switches that off
(`MLFLOW_DISABLE_TELEMETRY`, unless set otherwise) before importing it, since it reaches no network.

The sklearn flavor stores a pickle too, so it carries the pickle's coupling: loading it needs
scikit-learn and, because the pipeline names `shared_model.pipeline.category_strings`, this package.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from ..config import NUMERIC_FEATURES
from ..pipeline import records_to_frame

MLFLOW_FILE = "model.mlflow.zip"
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def export(estimator, features: tuple[str, ...], libraries: dict[str, str]) -> bytes:
    """The MLflow model folder for `estimator`, zipped. The requirements are written from
    `libraries` (MLflow would otherwise infer them by loading the model in a subprocess)."""
    _no_telemetry()
    import mlflow.sklearn
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    signature = ModelSignature(
        inputs=Schema([ColSpec("double" if name in NUMERIC_FEATURES else "string", name, required=False)
                       for name in features]),
        outputs=Schema([ColSpec("double", "price")]),
    )
    requirements = [f"{name}=={libraries[name]}" for name in ("scikit-learn", "numpy", "pandas")]
    with tempfile.TemporaryDirectory(prefix="archlab-mlflow-") as folder:
        path = Path(folder) / "model"
        with _quiet("mlflow.sklearn"):  # its pickle warning is what the signed digest answers
            mlflow.sklearn.save_model(estimator, path, serialization_format="pickle",
                                      signature=signature, pip_requirements=requirements)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                archive.writestr(zipfile.ZipInfo(file.relative_to(path).as_posix(), date_time=_ZIP_DATE),
                                 file.read_bytes())
        return buffer.getvalue()


def _no_telemetry() -> None:
    """Before the first `import mlflow`: its telemetry client starts (and calls out) on import."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@contextmanager
def _quiet(logger_name: str):
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def runner(data: bytes, features: tuple[str, ...]) -> Callable[[list[dict]], list[float]]:
    """Unzip the (already verified) MLflow model, load it with `mlflow.pyfunc`, and return a predict
    function over cleaned records. The folder is removed once loaded: pyfunc keeps the estimator."""
    _no_telemetry()
    import mlflow.pyfunc

    with tempfile.TemporaryDirectory(prefix="archlab-mlflow-") as folder:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(folder)
        model = mlflow.pyfunc.load_model(folder)

    def predict(records: list[dict]) -> list[float]:
        if not records:
            return []
        return [float(price) for price in model.predict(records_to_frame(records, features))]

    return predict
