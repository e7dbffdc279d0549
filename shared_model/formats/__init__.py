"""The formats a stored version carries, and loading a version from the one a service chooses.

Every version holds the pickle and the pickle-free `model.json` (see `artifacts`), and, since
the ONNX and MLflow exports were added, `model.onnx` and `model.mlflow.zip`. All are listed with
their SHA-256 in the signed metadata.json, so each is verified before it is loaded.
"""

from __future__ import annotations

import json
from dataclasses import replace

from ..artifacts import PICKLE_FILE, PORTABLE_FILE
from ..compiled import CompiledLinearModel
from ..errors import ModelNotFoundError
from ..model import Model
from . import mlflow, onnx

FORMATS = {"pickle": PICKLE_FILE, "onnx": onnx.ONNX_FILE, "mlflow": mlflow.MLFLOW_FILE, "json": PORTABLE_FILE}


def export_files(estimator, features: tuple[str, ...], libraries: dict[str, str]) -> dict[str, bytes]:
    """The ONNX and MLflow files for a fitted pipeline (training time: needs skl2onnx and mlflow)."""
    return {
        onnx.ONNX_FILE: onnx.export(estimator, features),
        mlflow.MLFLOW_FILE: mlflow.export(estimator, features, libraries),
    }


def formats_in(metadata: dict) -> list[str]:
    """The formats whose file the signed metadata vouches for."""
    return [name for name, file in FORMATS.items() if file in metadata.get("files", {})]


def check_format(name: str) -> str:
    if name not in FORMATS:
        raise ValueError(f"unknown model format {name!r}: expected one of {', '.join(FORMATS)}")
    return name


def load_model(store, version: str | None = None, format: str = "pickle") -> Model:
    """The verified model, predicting with the chosen format's own runtime.

    `pickle` unpickles the pipeline (scikit-learn needed) and answers on the fast path the same
    signed artifact carries; `json` uses model.json alone; `onnx` runs the graph in onnxruntime
    (no scikit-learn imported); `mlflow` loads the MLflow model with `mlflow.pyfunc`.
    """
    check_format(format)
    if format in ("pickle", "json"):
        return replace(store.load(version, portable=format == "json"), format=format)
    metadata, files = store.verified_files(version)
    file = FORMATS[format]
    if file not in metadata["files"]:
        raise ModelNotFoundError(
            f"model {metadata['version']} has no {format} export ({file}): it was stored before archlab "
            f"exported that format. Run `archlab train {metadata['version']}` to store it again with every format."
        )
    run = onnx.runner(files[file]) if format == "onnx" else mlflow.runner(files[file], tuple(metadata["features"]))
    compiled = CompiledLinearModel.from_json_dict(json.loads(files[PORTABLE_FILE]))
    return Model(metadata=metadata, compiled=compiled, runner=run, format=format)
