"""The pricing report: a fixed set of houses priced through whatever back end the architecture gives.

A synchronous back end prices them on every report. One that answers later (async) gets them once,
as stored requests, and every later report reads what the store holds for them now: a price only
once a reviewer validated it, "awaiting review", "rejected" or "queued" until then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from shared_model import validate_record
from shared_model.data import new_houses_records

from patterns.web.backend import Accepted, Backend

HOUSES = 5  # the first rows of the shipped new houses: a small, fixed portfolio


def portfolio(count: int = HOUSES) -> list[tuple[str, dict]]:
    """(house id, validated record) for the first `count` new houses."""
    rows = new_houses_records()[:count]
    return [(row["Id"], validate_record(row, allow_extra=True)) for row in rows]


class PricingReport:
    """Prices the portfolio through `backend`; `follow(ticket)` reads one stored answer (async)."""

    def __init__(self, backend: Backend, follow: Callable[[dict], dict]) -> None:
        self.backend, self.follow = backend, follow
        self.houses = portfolio()
        self.tickets: list[dict] | None = None  # the stored requests, once submitted
        self.model_versions: list[str] = []  # the versions the last report's prices came from
        self._lock = threading.Lock()

    def use(self, backend: Backend, follow: Callable[[dict], dict]) -> Backend:
        """Go on through another back end (the same model reached at a new address); return the old one."""
        with self._lock:
            previous, self.backend, self.follow = self.backend, backend, follow
        return previous

    def read(self) -> dict:
        """The report: one line per house (`price`, `model_version`, `state`)."""
        with self._lock:
            if self.tickets is None:
                result = self.backend.predict([record for _, record in self.houses])
                if not isinstance(result, Accepted):
                    return self._priced(result.values, result.model_version)
                self.tickets = result.tickets
        return self._stored([self.follow(ticket) for ticket in self.tickets])

    def _priced(self, values: list[float], version: str) -> dict:
        self.model_versions = [version]
        lines = [{"house": house, "price": round(value, 2), "model_version": version, "state": "priced"}
                 for (house, _), value in zip(self.houses, values)]
        return {"architecture": self.backend.architecture, "model_versions": self.model_versions, "houses": lines}

    def _stored(self, answers: list[dict]) -> dict:
        lines = []
        for (house, _), answer in zip(self.houses, answers):
            prediction = answer.get("prediction") or {}
            value = prediction.get("value")
            lines.append({"house": house, "price": None if value is None else round(value, 2),
                          "model_version": prediction.get("model_version"), "state": answer.get("state")})
        self.model_versions = sorted({line["model_version"] for line in lines if line["model_version"]})
        return {"architecture": self.backend.architecture, "model_versions": self.model_versions, "houses": lines}
