"""The running async architecture: the web front (ARCHLAB_ARCH=async), a worker pool on a
schedule, and the database between them.

The database is a component too (`patterns/async/database.py`): its own SQLite file, or in a run
(`namespace`) its own PostgreSQL database, can be taken down and brought back; a user's shared
PostgreSQL database is reported and never stopped. Everything a user or reviewer does goes
through the front's JSON API, as a script would.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import make_url

from shared_model import example_record

from patterns import http
from patterns.launch.contract import (
    AnswerTime, AppliedUpdate, Capabilities, FaultSpec, FloorSamples, PerformanceTarget, ServedRequest, Step,
)
from patterns.launch.guards import GuardReport
from patterns.launch.process import ManagedProcess, free_port
from patterns.launch.system import System
from patterns.settings import Settings
from patterns.web.auth import admin_headers, with_admin_token

from ..database import own_database
from ..job import DEFAULT_CHUNK_SIZE, DEFAULT_LEASE_SECONDS, new_owner
from ..schedule import Cron
from ..settings import AsyncSettings
from ..store import Store
from ..worker import build_job, release_claims
from .bench import fill, new_houses
from .guarded import GUARDS, release

POLL_SECONDS = 0.01
# The parts of an answer's time (`answer_time`), in the order a request meets them.
WAITING_PART, SCORING_PART, REVIEW_PART = ("waiting for the schedule", "scoring (claim, model, gate, write)",
                                           "review (here a script approves at once)")
MAX_BATCH = 500  # houses per POST /predict when submitting many: well under the front's 4 MiB body limit


class AsyncSystem(System):
    architecture = "async"
    settings_class = AsyncSettings
    capabilities = Capabilities(answers_later=True, scalable_component="worker", review_gate=True,
                                latency_floor="db_transaction")
    comparison_options = {"every": 0.5}  # a compressed schedule: the comparison cannot wait for 02:00
    targets = (
        PerformanceTarget("async_job_rows_per_s", "async job throughput on its store (rows/s; 20,000 on SQLite, "
                          "10,000 on PostgreSQL)", "value", ("figures", "job_rows_per_s"), ">=",
                          {"postgresql": 10_000, "default": 20_000}),
    )

    def __init__(self, settings: Settings | None = None, version: str | None = None, port: int | None = None,
                 namespace: str | None = None, workers: int = 1, every: float = 1.0,
                 lease: float = DEFAULT_LEASE_SECONDS, schedule: str | None = None) -> None:
        """`schedule`, a cron expression (e.g. "0 2 * * *"), replaces the `every` seconds interval."""
        super().__init__(settings, version, port or free_port(), namespace)
        self.workers, self.every, self.lease = workers, every, lease
        self.schedule = None if schedule is None else Cron.parse(schedule).expression  # refused here if malformed
        self.database = None
        self.database_down = False
        self._served_url: str | None = None

    @classmethod
    def scale_options(cls, count: int) -> dict:
        """`count` workers sharing the request store (row claiming: none scores a row twice)."""
        return {"workers": count}

    def start(self) -> AsyncSystem:
        self.database = own_database(self.settings.effective_database_url, self.namespace)
        self.settings = dataclasses.replace(self.settings, database_url=self.database.url)
        Store.connect(self.settings.effective_database_url).close()  # create/migrate once, before the race
        self.settings = with_admin_token(self.settings)  # the reviewers' API needs a credential
        env = {**self.settings.to_env(), "ARCHLAB_ARCH": "async"}
        if self.version:  # the worker's default version
            env["ARCHLAB_MODEL_VERSION"] = self.version
        front = ManagedProcess(
            self.front_name,
            [sys.executable, "-m", "patterns.web", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, port=self.port,
        )
        when = ["--schedule", self.schedule] if self.schedule else ["--every", str(self.every)]
        claims_under = new_owner()  # the launched workers claim as claims_under/...: ours to release
        argv = [sys.executable, "-m", "patterns.async.worker", *when, "--workers", str(self.workers),
                "--lease", str(self.lease), "--owner-prefix", claims_under]
        url = self.settings.effective_database_url
        worker = ManagedProcess("worker", argv + (["--version", self.version] if self.version else []),
                                env=env, port=None, supervised=True, on_crash=lambda: release_claims(claims_under, url))
        self.launch_all([front, worker])  # both only need the store, migrated above: they boot side by side
        return self

    # -- components and faults ------------------------------------------------------------------

    def faults(self) -> list[FaultSpec]:
        return [*super().faults(), FaultSpec("database", self.database.how, self.database.breakable)]

    def stop_component(self, name: str) -> None:
        if name != "database":
            return super().stop_component(name)
        self._take_database_down()

    def kill_component(self, name: str) -> None:
        if name != "database":
            return super().kill_component(name)
        self._take_database_down()

    def _take_database_down(self) -> None:
        if not self.database.breakable:
            raise PermissionError(f"archlab does not take this database down: {self.database.how}")
        self.database.take_down()
        self.database_down = True

    def start_component(self, name: str, timeout: float = 30.0) -> float:
        if name != "database":
            return super().start_component(name, timeout)
        self.database.bring_up()
        self.database_down = False
        return 0.0

    def status(self) -> dict[str, dict]:
        return {**super().status(), "database": {"running": not self.database_down, "pid": None, "url": None}}

    # -- the run's namespace --------------------------------------------------------------------

    def namespace_resources(self) -> dict[str, str]:
        resources = super().namespace_resources()
        if self.database is not None:
            resources["database"] = make_url(self.database.url).render_as_string(hide_password=True)
        return resources

    def remove_namespace(self) -> None:
        if self.database is not None:
            self.database.remove()
        super().remove_namespace()

    # -- the front's JSON API, as a script (or a reviewer) calls it -----------------------------

    def _call(self, method: str, path: str, body=None, timeout: float = 60.0):
        return http.call_json(method, self.url + path, json=body, timeout=timeout, headers=admin_headers(self.settings))

    def run_job_once(self) -> dict:
        """Trigger the scoring job through the front's API (besides the scheduled workers)."""
        return self._call("POST", "/api/async/score", {})

    def submit(self, record: dict | None = None) -> str:
        """Submit one house through the front; returns its status URL path."""
        return self._call("POST", "/predict", record or example_record())["tickets"][0]["status_url"]

    def time_to_answer(self, record: dict | None = None, timeout: float = 60.0) -> float:
        """Seconds from submitting one house until its prediction is stored (before human review)."""
        started = time.monotonic()
        self._wait_stored(self.submit(record), started, timeout)
        return time.monotonic() - started

    def answer_time(self, record: dict | None = None, timeout: float = 60.0) -> AnswerTime:
        """`time_to_answer`, then a reviewer (this script, at once) validates every prediction
        awaiting review, this one included; the parts come from the request's own timeline, read
        from the front as its user would."""
        started = time.monotonic()
        status_url = self.submit(record)
        self._wait_stored(status_url, started, timeout)
        seconds = time.monotonic() - started
        self.validate_pending()
        moments = self._call("GET", status_url)["timeline"]
        at = {name: datetime.fromisoformat(moments[name]) for name in
              ("submitted_at", "scoring_started_at", "predicted_at", "reviewed_at")}
        return AnswerTime(seconds, {
            WAITING_PART: (at["scoring_started_at"] - at["submitted_at"]).total_seconds(),
            SCORING_PART: (at["predicted_at"] - at["scoring_started_at"]).total_seconds(),
            REVIEW_PART: (at["reviewed_at"] - at["predicted_at"]).total_seconds(),
        })

    def _wait_stored(self, status_url: str, started: float, timeout: float) -> None:
        while time.monotonic() < started + timeout:
            answer = self._call("GET", status_url)
            if answer["status"] == "predicted":
                return
            if answer["status"] == "failed":
                raise RuntimeError(f"request {status_url} failed: {answer['message']}")
            time.sleep(POLL_SECONDS)
        raise TimeoutError(f"no prediction for {status_url} within {timeout:g} s (is the worker running?)")

    def _listing(self, **filters) -> list[dict]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        return self._call("GET", f"/api/async/requests?{query}")

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Until no request is pending or claimed: the job has caught up."""
        deadline = time.monotonic() + timeout
        while True:
            status = self._call("GET", "/status")
            if not status.get("requests_pending") and not status.get("requests_claimed"):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the job did not catch up within {timeout:g} s (is the worker running?)")
            time.sleep(POLL_SECONDS * 5)

    def validate_pending(self) -> int:
        """Validate every prediction awaiting review (what the human reviewer does, scripted)."""
        validated = 0
        while ids := [row["prediction_id"] for row in self._listing(review="pending")]:
            body = {"decision": "validated", "prediction_ids": ids}  # the reviewer is the credential's name
            updated = self._call("POST", "/api/async/review", body)["updated"]
            if not updated:  # nothing changed: stop rather than ask again forever
                break
            validated += updated
        return validated

    def prepare_served_request(self, record: dict | None = None, count: int = 20, timeout: float = 60.0) -> str:
        """Submit `count` houses, score and validate them; return the absolute status URL of the last."""
        tickets = self._call("POST", "/predict", [record or example_record()] * count)["tickets"]
        self.run_job_once()
        self.wait_idle(timeout)
        self.validate_pending()
        return self.url + tickets[-1]["status_url"]

    def served_requests(self, record: dict | None = None) -> list[ServedRequest]:
        """A user reads a stored, reviewed prediction: one request prepared on first use."""
        if self._served_url is None:
            self._served_url = self.prepare_served_request(record)
        return [ServedRequest("GET", self._served_url, None, ("prediction", "model_version"))]

    # -- the model update -----------------------------------------------------------------------

    def apply_update(self, version: str, timeout: float = 60.0) -> AppliedUpdate:
        """Re-run every stored request with `version`; the worker predicts, the review gate rejects the
        implausible predictions as they are stored, a script reviews the rest.

        This is also the rollback (`System.rollback` is not overridden): re-running with the good
        version answers every request again, the ones whose bad prediction the gate rejected included,
        and the gate compares the good answers with the last ones it did not reject."""
        started = time.monotonic()
        rerun = self._call("POST", "/api/async/rerun", {"version": version})
        queued = rerun["queued"]
        self.wait_idle(timeout)
        predicted = time.monotonic() - started
        rejected = self._call("GET", f"/api/async/runs/{rerun['run_id']}")["reviews"].get("rejected", 0)
        validated = self.validate_pending()
        reviewed = time.monotonic() - started - predicted
        return AppliedUpdate(
            strategy="re-run and review: every stored request is predicted again with the new model on the "
                     "worker's next pass; the review gate rejects a prediction outside the prices training saw "
                     "or more than 3x off the request's previous one, which is then never served; a reviewer "
                     "(here a script, in production a person) validates the rest. A rollback is the same "
                     "re-run with the good model: it answers the rejected requests too",
            better_strategy="",
            steps=(Step(f"{queued} stored requests re-predicted by the worker, {rejected} rejected by the review "
                        f"gate", predicted, "build"),
                   Step(f"{validated} new predictions reviewed and served", reviewed, "switch")),
            rebuilt=(f"{queued} predictions of stored requests",),
            details={"queued": queued, "rejected": rejected, "validated": validated},
        )

    # -- a new version released under a guard -------------------------------------------------

    def release_guards(self) -> tuple[str, ...]:
        """A shadow pass over the stored requests (`guarded.py`)."""
        return GUARDS

    def release_under_guard(self, version: str, guard: str, watch_s: float,
                            while_live: Callable[[], None] | None = None) -> GuardReport:
        """Decided when the shadow pass has answered every served request: the traffic it judges is
        already stored, so there is no `watch_s` to wait for."""
        if guard not in GUARDS:
            raise ValueError(f"the async system offers the guards {', '.join(GUARDS)}; got {guard!r}")
        return release(self, version, while_live)

    # -- what the system measures about itself --------------------------------------------------

    def floors(self, count: int) -> list[FloorSamples]:
        """One-row claim-and-write transactions through the store's own claim and finish, on this
        system's database with its connection settings, the worker paused so it takes no row."""
        self.wait_idle(60.0)
        self.stop_component("worker")
        store = Store.connect(self.settings.effective_database_url)
        try:
            store.submit([example_record()] * count, source="floor")
            owner, samples = new_owner(), []
            for _ in range(count):
                started = time.perf_counter()
                claims = store.claim(owner, 1, self.lease)
                store.finish(owner, [(claim, "floor", 0.0, None) for claim in claims], [])
                samples.append((time.perf_counter() - started) * 1000.0)
        finally:
            store.close()
            self.start_component("worker")
        return [FloorSamples("db_transaction", f"claim one row and write its result through the store "
                                               f"({store.engine.dialect.name}, the system's own database)", samples)]

    def workers_rows_per_s(self, rows: int, timeout: float = 120.0) -> float:
        """Rows/s of the running workers: `rows` new houses submitted through the front while the
        workers are stopped, then the workers started; timed from the first row claimed (process
        start and model load left out) until no row is pending or claimed."""
        self.wait_idle(timeout)
        records = new_houses(rows)  # model columns only: the CSV also has columns the API refuses (Id...)
        self.stop_component("worker")
        try:
            for start in range(0, rows, MAX_BATCH):
                self._call("POST", "/predict", records[start:start + MAX_BATCH])
        finally:
            self.start_component("worker")
        deadline = time.monotonic() + timeout
        while self._call("GET", "/status").get("requests_pending", 0) >= rows:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no worker claimed a row within {timeout:g} s")
            time.sleep(POLL_SECONDS)
        started = time.monotonic()
        self.wait_idle(timeout)
        return rows / (time.monotonic() - started)

    def figures(self, rows: int) -> dict[str, float]:
        """The job's rows/s: `rows` requests (the new houses over and over, several chunks so the
        first chunk's warm-up does not set the rate) scored by one pass of the real job on this
        system's store, with the scheduled worker paused so that one pass takes them all (and only them)."""
        self.wait_idle(60.0)
        self.stop_component("worker")
        try:
            job = build_job(self.settings, self.version, DEFAULT_CHUNK_SIZE, self.lease)
            try:
                fill(job.store, rows, source="throughput")
                stats = job.run_once()
            finally:
                job.store.close()
        finally:
            self.start_component("worker")
        return {"job_rows_per_s": stats.rows_per_second, "job_rows": stats.claimed,
                "job_chunk_size": DEFAULT_CHUNK_SIZE}

SYSTEM = AsyncSystem
