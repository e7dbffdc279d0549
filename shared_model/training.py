"""Training: seeded, reproducible fits with holdout and cross-validated metrics."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from . import config
from .artifacts import build_files
from .compiled import CompiledLinearModel
from .data import load_training_data, training_data_sha256
from .pipeline import build_pipeline, records_to_frame
from .plausibility import PRICE_RANGE_KEY
from .store import ModelStore


def training_frame():
    """Training rows after the outlier policy in config (two huge, cheap partial sales dropped)."""
    data = load_training_data()
    outliers = (data["GrLivArea"] > config.OUTLIER_MIN_LIVING_AREA) & (data[config.TARGET] < config.OUTLIER_MAX_PRICE)
    return data.loc[~outliers].reset_index(drop=True), int(outliers.sum())


def _scores(y_true, y_pred) -> dict[str, float]:
    log_true, log_pred = np.log(y_true), np.log(y_pred)

    def r2(a, b):
        return float(1 - np.sum((a - b) ** 2) / np.sum((a - a.mean()) ** 2))

    return {
        "rmse_log": float(np.sqrt(np.mean((log_true - log_pred) ** 2))),
        "r2_log": r2(log_true, log_pred),
        "rmse_price": float(np.sqrt(np.mean((y_true - y_pred) ** 2))),
        "r2_price": r2(np.asarray(y_true, float), np.asarray(y_pred, float)),
    }


def evaluate(spec: config.VersionSpec, data) -> dict:
    """Holdout (80/20, seeded) and 5-fold CV RMSE on log price; a single split alone swings too much."""
    from sklearn.model_selection import KFold, cross_val_score, train_test_split

    X, y = records_to_frame(data, spec.features), data[config.TARGET].to_numpy(float)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=config.HOLDOUT_FRACTION, random_state=config.SEED
    )
    holdout = _scores(y_test, build_pipeline(spec).fit(X_train, y_train).predict(X_test))
    folds = KFold(config.CV_FOLDS, shuffle=True, random_state=config.SEED)
    # RMSE of log price: score the inner regressor on log(y), as the competition does.
    cv = -cross_val_score(build_pipeline(spec).regressor, X, np.log(y), cv=folds,
                          scoring="neg_root_mean_squared_error")
    return {
        "holdout": holdout,
        "cv_rmse_log": float(cv.mean()),
        "cv_rmse_log_std": float(cv.std()),
        "cv_folds": config.CV_FOLDS,
    }


def price_range(data) -> dict[str, float]:
    """The sale prices the training rows record (the plausibility rule's range, see plausibility.py)."""
    return {"min": float(data[config.TARGET].min()), "max": float(data[config.TARGET].max())}


def train_version(spec: config.VersionSpec, key: bytes | None = None) -> dict[str, bytes]:
    """Fit on all training rows, evaluate, and return the signed artifact files.

    A faulty spec (`price_factor` != 1) fits and evaluates on its mis-scaled prices, as the
    mistake would; the metadata still records the data's own price range, and the fault."""
    data, dropped = training_frame()
    recorded_prices = price_range(data)
    data = data.assign(**{config.TARGET: data[config.TARGET] * spec.price_factor})
    metrics = evaluate(spec, data)
    X, y = records_to_frame(data, spec.features), data[config.TARGET].to_numpy(float)
    estimator = build_pipeline(spec).fit(X, y)
    metadata = {
        "name": config.MODEL_NAME,
        "version": spec.version,
        "description": spec.description,
        "features": list(spec.features),
        "hyperparameters": {"alpha": spec.alpha},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data_sha256": training_data_sha256(),
        "training_rows": len(data),
        "outliers_dropped": dropped,
        "seed": config.SEED,
        "metrics": metrics,
        PRICE_RANGE_KEY: recorded_prices,
        **({"fault": spec.fault} if spec.fault else {}),
    }
    return build_files(estimator, CompiledLinearModel.from_pipeline(estimator), metadata, key or config.signing_key())


def train_and_store(store: ModelStore | None = None, versions: tuple[str, ...] | None = None) -> list[str]:
    """Train and store every recipe in config.VERSIONS (or the named ones, faulty ones included);
    return their versions."""
    store = store or ModelStore()
    specs = [config.version_spec(v) for v in versions] if versions else list(config.VERSIONS)
    for spec in specs:
        store.write(spec.version, train_version(spec, store.key))
    return [spec.version for spec in specs]

