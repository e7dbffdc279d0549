"""The running async architecture: the web front (ARCHLAB_ARCH=async) and a worker pool on a schedule.

Components: "web" (the front, which stores requests), "worker" (`patterns.async.worker --every S
--workers N`, one process group) and "database". The database is not a process we own: for the
SQLite default, stopping it moves the database file (and its -wal/-shm companions) into
`$ARCHLAB_HOME/async.db.down/`, which every later connection notices at once, since the store
opens the file with `mode=rw` (never re-creating it) and without a pool; starting it moves the
files back. A PostgreSQL server is shared and stays up: stopping it here is refused with a message.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
import time
import urllib.request
from pathlib import Path

from sqlalchemy.engine import make_url

from shared_model import example_record
from shared_model.data import new_houses_records

from patterns.launch.process import ManagedProcess, free_port
from patterns.launch.system import System
from patterns.settings import Settings

from .intake import submit_records
from .job import DEFAULT_CHUNK_SIZE, DEFAULT_LEASE_SECONDS
from .store import Store

SQLITE_SUFFIXES = ("", "-wal", "-shm")
POLL_SECONDS = 0.01


@dataclass(frozen=True)
class RerunReport:
    """A model update of the async architecture: re-run every request, then review the results."""

    version_before: list[str]
    version_after: list[str]
    queued: int
    predicted_seconds: float  # re-run queued -> the job stored every new prediction
    total_seconds: float  # ... -> every new prediction validated (here by a scripted reviewer)
    restarted: tuple[str, ...] = ()
    rebuilt: tuple[str, ...] = ("predictions of every stored request",)

    def as_dict(self) -> dict:
        return asdict(self)


class AsyncSystem(System):
    architecture = "async"
    REVIEWER = "archlab (scripted reviewer)"

    def __init__(
        self,
        port: int | None = None,
        settings: Settings | None = None,
        workers: int = 1,
        every: float = 1.0,
        lease: float = DEFAULT_LEASE_SECONDS,
        version: str | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings.from_env()
        self.port = port or free_port()
        self.workers, self.every, self.lease, self.version = workers, every, lease, version
        self.database_down = False

    def start(self) -> AsyncSystem:
        Store.connect(self.settings.effective_database_url).close()  # create/migrate once, before the race
        env = {**self.settings.to_env(), "ARCHLAB_ARCH": "async"}
        if self.version:  # the front scores too ("score now", /api/async/score): same default version
            env["ARCHLAB_MODEL_VERSION"] = self.version
        self.launch(ManagedProcess(
            "web", [sys.executable, "-m", "patterns.web", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, port=self.port,
        ))
        argv = [sys.executable, "-m", "patterns.async.worker", "--every", str(self.every),
                "--workers", str(self.workers), "--lease", str(self.lease)]
        self.launch(ManagedProcess("worker", argv + (["--version", self.version] if self.version else []),
                                   env=env, port=None))
        return self

    # -- fault injection ------------------------------------------------------------------------

    def _sqlite_files(self) -> tuple[Path, Path]:
        url = make_url(self.settings.effective_database_url)
        if url.get_backend_name() != "sqlite":
            raise NotImplementedError(
                "the async system can only take down its own SQLite database; "
                f"{url.render_as_string(hide_password=True)} is a shared server"
            )
        path = Path(url.database).expanduser().resolve()
        return path, path.with_name(path.name + ".down")

    def stop_component(self, name: str) -> None:
        if name != "database":
            return super().stop_component(name)
        self._take_database_down()

    def kill_component(self, name: str) -> None:
        if name != "database":
            return super().kill_component(name)
        self._take_database_down()

    def _take_database_down(self) -> None:
        path, aside = self._sqlite_files()
        aside.mkdir(exist_ok=True)
        for suffix in SQLITE_SUFFIXES:
            source = path.with_name(path.name + suffix)
            if source.exists():
                source.rename(aside / source.name)
        self.database_down = True

    def start_component(self, name: str, timeout: float = 30.0) -> float:
        if name != "database":
            return super().start_component(name, timeout)
        path, aside = self._sqlite_files()
        for moved in aside.glob(path.name + "*"):
            moved.rename(path.with_name(moved.name))
        aside.rmdir()
        self.database_down = False
        return 0.0

    def status(self) -> dict[str, dict]:
        return {**super().status(), "database": {"running": not self.database_down, "pid": None, "url": None}}

    # -- job and measurement hooks --------------------------------------------------------------

    def _call(self, method: str, path: str, body=None, timeout: float = 60.0):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return json.loads(response.read())

    def run_job_once(self) -> dict:
        """Trigger the scoring job through the front's API (besides the scheduled workers)."""
        return self._call("POST", "/api/async/score", {})

    def submit(self, record: dict | None = None) -> str:
        """Submit one house through the front; returns its status URL path."""
        return self._call("POST", "/predict", record or example_record())["tickets"][0]["status_url"]

    def time_to_prediction(self, record: dict | None = None, timeout: float = 60.0) -> float:
        """Seconds from submitting one house until its prediction is stored (before human review)."""
        started = time.monotonic()
        status_url = self.submit(record)
        deadline = started + timeout
        while time.monotonic() < deadline:
            answer = self._call("GET", status_url)
            if answer["status"] == "predicted":
                return time.monotonic() - started
            if answer["status"] == "failed":
                raise RuntimeError(f"request {status_url} failed: {answer['message']}")
            time.sleep(POLL_SECONDS)
        raise TimeoutError(f"no prediction for {status_url} within {timeout:g} s (is the worker running?)")

    # -- model update hooks, through the front's JSON API as a script (or a reviewer) would ------

    def _listing(self, **filters) -> list[dict]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        return self._call("GET", f"/api/async/requests?{query}")

    def _wait_idle(self, timeout: float) -> None:
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
            body = {"decision": "validated", "reviewer": self.REVIEWER, "prediction_ids": ids}
            updated = self._call("POST", "/api/async/review", body)["updated"]
            if not updated:  # nothing changed: stop rather than ask again forever
                break
            validated += updated
        return validated

    def prepare_served_request(self, record: dict | None = None, count: int = 20, timeout: float = 60.0) -> str:
        """Submit `count` houses, score and validate them; return the absolute status URL of the last."""
        tickets = self._call("POST", "/predict", [record or example_record()] * count)["tickets"]
        self.run_job_once()
        self._wait_idle(timeout)
        self.validate_pending()
        return self.url + tickets[-1]["status_url"]

    def rerun_and_review(self, version: str, timeout: float = 60.0) -> RerunReport:
        """Re-run every stored request with `version`; the scheduled worker predicts, a script reviews."""
        before = sorted({row["model_version"] for row in self._listing() if row["model_version"]})
        started = time.monotonic()
        queued = self._call("POST", "/api/async/rerun", {"version": version})["queued"]
        self._wait_idle(timeout)
        predicted = time.monotonic() - started
        self.validate_pending()
        total = time.monotonic() - started
        after = sorted({row["model_version"] for row in self._listing() if row["model_version"]})
        return RerunReport(before, after, queued, predicted, total)

    def job_throughput(self, rows: int) -> dict:
        """Score `rows` new houses in one job run with the scheduled worker paused: rows/s of the job."""
        houses = new_houses_records()[:rows]
        self.stop_component("worker")
        try:
            store = Store.connect(self.settings.effective_database_url)
            try:
                submit_records(store, houses, source="throughput")
            finally:
                store.close()
            stats = self.run_job_once()
        finally:
            self.start_component("worker")
        return {**stats, "chunk_size": DEFAULT_CHUNK_SIZE}


def create_system(port: int | None = None, settings: Settings | None = None, **options) -> AsyncSystem:
    return AsyncSystem(port=port, settings=settings, **options)
