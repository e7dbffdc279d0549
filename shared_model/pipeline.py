"""The scikit-learn pipeline definition and the record -> DataFrame conversion both paths share."""

from __future__ import annotations

import numpy as np

from . import config


def category_text(value) -> str:
    """One categorical value as text, missing as the 'Missing' category (runtimes without pandas use it)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return config.MISSING_CATEGORY
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    return str(value)


def category_strings(frame):
    """Categorical columns as text, with missing values as the 'Missing' category (as in training)."""
    return frame.map(category_text).astype(object)


def build_pipeline(spec: config.VersionSpec):
    """Imputation, log scaling and standardisation of numerics, one-hot categoricals, then ridge.

    The target is trained on log(price) (the competition's metric) and predictions are turned back
    into prices by the TransformedTargetRegressor.
    """
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric = [f for f in spec.features if f in config.NUMERIC_FEATURES]
    categorical = [f for f in spec.features if f in config.CATEGORICAL_FEATURES]
    features = ColumnTransformer(
        [
            ("num", Pipeline([
                ("impute", SimpleImputer(strategy="median")),
                ("log", FunctionTransformer(np.log1p, feature_names_out="one-to-one")),
                ("scale", StandardScaler()),
            ]), numeric),
            ("cat", Pipeline([
                ("text", FunctionTransformer(category_strings, feature_names_out="one-to-one")),
                ("onehot", OneHotEncoder(handle_unknown="ignore")),
            ]), categorical),
        ],
        sparse_threshold=0.0,
    )
    regressor = Pipeline([("features", features), ("ridge", Ridge(alpha=spec.alpha))])
    return TransformedTargetRegressor(regressor=regressor, func=np.log, inverse_func=np.exp, check_inverse=False)


def records_to_frame(records, features):
    """A DataFrame with the given feature columns from cleaned records or any DataFrame."""
    import pandas as pd

    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame.from_records(list(records))
    missing = [name for name in features if name not in frame.columns]
    if missing:
        frame = frame.assign(**{name: None for name in missing})
    frame = frame[list(features)].copy()
    for name in features:
        if name in config.NUMERIC_FEATURES:
            frame[name] = pd.to_numeric(frame[name], errors="raise").astype(float)
    return frame
