"""What the plan is asked: the traffic and the requirements (`PlanInputs`), and the prices.

Every default here is an assumption a student is meant to change, printed with the plan; no price
is one. Prices come from `--core-hour-price` / `--gib-hour-price` or a prices file (TOML, keys
`core_hour` and `gib_hour`, default `$ARCHLAB_HOME/prices.toml`); without them the plan has no cost.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

HOURS_PER_MONTH = 730.0  # 365 * 24 / 12


@dataclass(frozen=True)
class PlanInputs:
    requests_per_s: float = 10_000.0
    p99_budget_ms: float = 250.0
    model_cost_ms: float = 20.0  # CPU ms per prediction call, as the MODEL_COST_MS knob spends it
    applications: int = 1  # applications using the same model
    updates_per_day: float = 24.0
    rescore_rows: int = 10_000_000  # stored requests an async model update predicts again
    rescore_hours: float = 1.0  # the window the async re-score must fit in
    rolling_batch_percent: float = 10.0  # replicas restarted at once in a rolling update
    broker_egress_mib_s: float = 100.0  # what one broker sends to its consumers, MiB/s
    lb_connections: int = 512  # nginx's default worker_connections (not set in docker/nginx.model-service.conf)
    core_hour_price: float | None = None
    gib_hour_price: float | None = None

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None:
                continue
            if not math.isfinite(value) or value < 0 or (value == 0 and field.name not in ZERO_ALLOWED):
                expected = "0 or more" if field.name in ZERO_ALLOWED else "more than 0"
                raise ValueError(f"{field.name.replace('_', '-')}={value:g}: expected a finite number {expected}")
        if self.rolling_batch_percent > 100:
            raise ValueError(f"rolling-batch-percent={self.rolling_batch_percent:g}: expected at most 100")

    @property
    def priced(self) -> bool:
        return self.core_hour_price is not None and self.gib_hour_price is not None


ZERO_ALLOWED = {"model_cost_ms", "updates_per_day", "rescore_rows", "core_hour_price", "gib_hour_price"}


def read_prices(path: Path) -> dict[str, float]:
    """`core_hour_price` and `gib_hour_price` from a prices file; {} when it does not exist."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not TOML ({exc}); expected core_hour = <price> and gib_hour = <price>") from None
    unknown = sorted(set(data) - {"core_hour", "gib_hour"})
    if unknown:
        raise ValueError(f"{path}: unknown keys {unknown}; expected core_hour and gib_hour (prices per hour)")
    prices = {}
    for key in ("core_hour", "gib_hour"):
        if key in data:
            if not isinstance(data[key], (int, float)) or isinstance(data[key], bool):
                raise ValueError(f"{path}: {key} = {data[key]!r}; expected a number (price per hour)")
            prices[f"{key}_price"] = float(data[key])
    return prices
