"""The front's backend in async mode: a prediction request is stored, answered 202 with a ticket.

The front validates the record; this backend only writes it to the request store. The scoring job
(`worker`) predicts it later, a reviewer validates it, and `/requests/<id>` serves it.
"""

from __future__ import annotations

import time

from shared_model import ModelStore

from patterns.settings import Settings
from patterns.web.backend import Accepted, BackendUnavailable

from .public_status import iso
from .settings import AsyncSettings
from .store import DATABASE_DOWN_ERRORS, Store

DATABASE_DOWN = "the request database is unavailable; try again shortly"


def status_url(request_id: int) -> str:
    return f"/requests/{request_id}"


class AsyncBackend:
    architecture = "async"

    def __init__(self, store: Store, models: ModelStore, settings: Settings):
        self.store = store
        self.models = models
        self.settings = settings

    def predict(self, records: list[dict]) -> Accepted:
        """Tickets for the stored requests; `timing`: the `database` part (the insert)."""
        started = time.perf_counter()
        try:
            ids = self.store.submit(records, source="web")
        except DATABASE_DOWN_ERRORS as exc:
            raise BackendUnavailable(f"{DATABASE_DOWN} (the request was not stored)") from exc
        database_ms = (time.perf_counter() - started) * 1000.0
        return Accepted([{"id": request_id, "status_url": status_url(request_id)} for request_id in ids],
                        timing={"database": database_ms})

    def status(self) -> dict:
        database = self.store.where
        try:
            counts = self.store.counts()
            workers = len(self.store.live_workers())
            stuck = self.store.stuck_claims()
            schedules = self.store.schedules()
        except DATABASE_DOWN_ERRORS as exc:
            return {"database": database, "database_ok": False, "error": str(exc.orig or exc).splitlines()[0]}
        return {"database": database, "database_ok": True, "model_versions": self.models.versions(), **counts,
                "workers": workers,  # the schedule each worker runs on, not who it is (this page is public)
                "schedules": [{"schedule": s["schedule"], "next_run": iso(s["next_run"])} for s in schedules],
                "stuck_claims": None if stuck is None else
                {"rows": stuck.rows, "lease_expires_in_s": round(stuck.expires_in, 1), "message": stuck.message()}}

    def blueprint(self):
        from .views import bp

        return bp

    def close(self) -> None:
        self.store.close()


def create_backend(settings: Settings) -> AsyncBackend:
    settings = AsyncSettings.from_settings(settings)
    store = Store.connect(settings.effective_database_url)
    return AsyncBackend(store, ModelStore(settings.home / "models"), settings)
