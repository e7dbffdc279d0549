"""The plan against the report it was calibrated from: its predictions for what was measured.

Concurrency 1, 8, 32 through the front: the asymptotic bounds of a closed system of N clients,
X(N) = min(N / R1, capacity), R(N) = N / X(N) (Little's law), with R1 the measured p50 at one
client and the capacity the slowest tier's (calibration points: their error is small by
construction). One and two instances: the scale-out runs, n x 1000 / (ms per request + knob).
An update that failed requests: the requests sent to a replica while it restarted.
"""

from __future__ import annotations

from dataclasses import dataclass

from .calibration import MS_PER_S, Calibration
from .sizing import database_rows_per_s, worker_rows_per_s


@dataclass(frozen=True)
class Check:
    what: str
    predicted: float
    measured: float
    unit: str

    @property
    def error(self) -> float | None:
        """(predicted - measured) / measured; None when nothing was measured."""
        return (self.predicted - self.measured) / self.measured if self.measured else None


def checks(data: dict, c: Calibration) -> list[Check]:
    arch = data["architectures"][c.name]
    return [*_concurrency(arch, c), *_instances(data, c), *_update(c)]


def _capacity_per_s(c: Calibration, model_cost_ms: float = 0.0, instances: int | None = None) -> float:
    """Requests/s of the slowest tier with `instances` of the model-holding one (default: as measured)."""
    if c.model_ms is None:
        return (instances or len(c.fronts)) * MS_PER_S / (c.front_ms + model_cost_ms)
    return min(len(c.fronts) * MS_PER_S / c.front_ms, (instances or 1) * MS_PER_S / (c.model_ms + model_cost_ms))


def _concurrency(arch: dict, c: Calibration) -> list[Check]:
    runs = {run["concurrency"]: run for run in arch.get("throughput", [])}
    if c.answers_later or 1 not in runs:
        return []
    one_client_s = runs[1]["p50_ms"] / MS_PER_S
    found = []
    for clients, run in sorted(runs.items()):
        rate = min(clients / one_client_s, _capacity_per_s(c))
        who = f"{clients} client{'s' if clients > 1 else ''}"
        found += [Check(f"{who}: requests/s", rate, run["requests_per_s"], "/s"),
                  Check(f"{who}: latency (mean predicted, p50 measured)", clients / rate * MS_PER_S,
                        run["p50_ms"], "ms")]
    return found


def _instances(data: dict, c: Calibration) -> list[Check]:
    found = []
    for run in data.get("scale_out", []):
        if run["architecture"] != c.name:
            continue
        n, cost = run["instances"], run["model_cost_ms"]
        label = f"{n} x {run['scaled']}, model cost {cost:g} ms"
        if c.answers_later:
            rate = min(n * worker_rows_per_s(c, cost), database_rows_per_s(c))
            found.append(Check(f"{label}: rows/s", rate, run["throughput"]["rows_per_s"], "/s"))
        else:
            found.append(Check(f"{label}: requests/s", _capacity_per_s(c, cost, n),
                               run["throughput"]["requests_per_s"], "/s"))
    return found


def _update(c: Calibration) -> list[Check]:
    """Requests an update that restarts replicas in place failed: the naive one where the report
    measured it beside a best practice that drains each replica first."""
    u = c.naive_update or c.update
    if "front_restart_s" not in u or not u.get("load_per_s") or not u["failed"]:
        return []
    return [Check("requests failed by the measured update (load x restart time)",
                  u["load_per_s"] * sum(u["front_restart_s"]), u["failed"], "")]
