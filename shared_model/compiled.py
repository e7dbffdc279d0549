"""The fitted linear pipeline reduced to plain numbers: the fast single-record path and the
pickle-free, language-agnostic format (`model.json`).

A ridge on standardised log features is a sum of per-feature terms, so one record needs no
DataFrame, no ColumnTransformer and no matrix: `log(price) = b + sum(w_j * log1p(x_j)) + sum(c[cat])`.
The scikit-learn performance guide's point — feature extraction, not the model, dominates
single-row latency — is exactly what this removes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FORMAT = "archlab.linear-log-price/1"


@dataclass(frozen=True)
class CompiledLinearModel:
    """`intercept` folds the scalers' means; `numeric` maps name -> (weight, log1p of the fill value)."""

    intercept: float
    numeric: dict[str, tuple[float, float]]
    categorical: dict[str, dict[str, float]]

    @classmethod
    def from_pipeline(cls, estimator) -> "CompiledLinearModel":
        regressor = estimator.regressor_
        features = regressor.named_steps["features"]
        ridge = regressor.named_steps["ridge"]
        coefs = iter(ridge.coef_.tolist())
        intercept = float(ridge.intercept_)
        numeric, categorical = {}, {}
        for name, transformer, columns in features.transformers_:
            if name == "num":
                fills = transformer.named_steps["impute"].statistics_
                scaler = transformer.named_steps["scale"]
                for column, fill, mean, scale in zip(columns, fills, scaler.mean_, scaler.scale_):
                    weight = next(coefs) / scale
                    intercept -= weight * mean
                    numeric[column] = (weight, math.log1p(fill))
            elif name == "cat":
                encoder = transformer.named_steps["onehot"]
                for column, categories in zip(columns, encoder.categories_):
                    categorical[column] = {str(c): next(coefs) for c in categories}
        return cls(intercept=intercept, numeric=numeric, categorical=categorical)

    def log_price(self, record: dict) -> float:
        total = self.intercept
        for name, (weight, fill) in self.numeric.items():
            value = record.get(name)
            total += weight * (fill if value is None else math.log1p(value))
        for name, table in self.categorical.items():
            total += table.get(record.get(name), 0.0)
        return total

    def predict_one(self, record: dict) -> float:
        """Price of one cleaned record (see shared_model.validation)."""
        return math.exp(self.log_price(record))

    def predict_many(self, records: list[dict]):
        """Prices of many cleaned records, vectorised column by column with numpy (no pandas, no
        scikit-learn): the same sums as `predict_one`, for batch jobs."""
        import numpy as np

        total = np.full(len(records), self.intercept)
        for name, (weight, fill) in self.numeric.items():
            column = np.array([record.get(name) for record in records], dtype=float)  # None -> nan
            total += weight * np.where(np.isnan(column), fill, np.log1p(column))
        for name, table in self.categorical.items():
            total += np.fromiter((table.get(record.get(name), 0.0) for record in records), float, len(records))
        return np.exp(total)

    def to_json_dict(self) -> dict:
        return {
            "format": FORMAT,
            "intercept": self.intercept,
            "numeric": {k: {"weight": w, "log1p_fill": f} for k, (w, f) in self.numeric.items()},
            "categorical": self.categorical,
            "target": "price = exp(intercept + sum(weight * log1p(value or fill)) + sum(categorical[field][value]))",
        }

    @classmethod
    def from_json_dict(cls, data: dict) -> "CompiledLinearModel":
        if data.get("format") != FORMAT:
            raise ValueError(f"unsupported model format {data.get('format')!r}; expected {FORMAT!r}")
        return cls(
            intercept=float(data["intercept"]),
            numeric={k: (float(v["weight"]), float(v["log1p_fill"])) for k, v in data["numeric"].items()},
            categorical={k: {c: float(x) for c, x in t.items()} for k, t in data["categorical"].items()},
        )
