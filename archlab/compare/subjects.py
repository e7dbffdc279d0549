"""The four architectures as subjects of one comparison: how to start each, update its model,
which components to break, and the static coupling facts that no request can measure.

Each subject starts on model v1 so that the update to v2 can be watched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from patterns.launch.system import System
from patterns.launch.systems import launch
from patterns.settings import Settings

from ..measure.floors import db_transaction_floor, kafka_roundtrip_floor
from .budget import Budget

FROM_VERSION, TO_VERSION = "v1", "v2"


@dataclass
class UpdateOutcome:
    """What an update hook did, in its own words (the system's report), plus restart/rebuild lists."""

    restarted: list[str]
    rebuilt: list[str]
    steps: list[tuple[str, float]]  # (label, seconds after the update started)
    report: dict


def no_extras(system, budget: Budget, update_report: dict) -> tuple[dict, dict]:
    return {}, {}


def streaming_extras(system, budget: Budget, update_report: dict) -> tuple[dict, dict]:
    """The produce->consume floor on the system's own broker, and the propagation it measured."""
    floor = kafka_roundtrip_floor(system.bootstrap_servers, count=budget.floor_kafka_messages)
    return {floor.name: floor}, {"propagation_s": update_report["propagation_seconds"]}


def async_extras(system, budget: Budget, update_report: dict) -> tuple[dict, dict]:
    """The job's throughput on the system's own store, and the empty-transaction floor beside it."""
    stats = system.job_throughput(budget.async_batch)
    floor = db_transaction_floor(system.settings.effective_database_url, count=budget.floor_db_transactions,
                                 batch=stats["chunk_size"])
    return {floor.name: floor}, {"job_rows_per_s": stats["rows_per_second"], "job_rows": stats["claimed"]}


@dataclass(frozen=True)
class Subject:
    name: str
    latency_floor: str
    faults: tuple[str, ...]  # components stopped in turn; "web" is the user-facing app itself
    update_touches: tuple[str, ...]
    start: Callable[[Settings, Budget], System]
    update: Callable[[System, str], UpdateOutcome]
    answers_later: bool = False  # async: POST /predict stores the request; the answer comes later
    extras: Callable[[System, Budget, dict], tuple[dict, dict]] = no_extras  # own floors, figures
    notes: tuple[str, ...] = field(default_factory=tuple)


def _on_v1(settings: Settings) -> Settings:
    """Start on v1; the async store is the comparison's own SQLite file unless DATABASE_URL is set."""
    database = settings.database_url or f"sqlite:///{comparison_dir(settings) / 'async.db'}"
    return dataclasses.replace(settings, model_version=FROM_VERSION, database_url=database)


def comparison_dir(settings: Settings) -> Path:
    """Scratch space of one comparison run (emptied at its start), apart from the user's own files."""
    return settings.home / "compare"


def _outcome(report, steps: list[tuple[str, float]]) -> UpdateOutcome:
    data = report.as_dict()
    return UpdateOutcome(list(data.get("restarted", ())), list(data.get("rebuilt", ())), steps, data)


def _embedded_update(system, version: str) -> UpdateOutcome:
    report = system.redeploy(version)
    built = report.build_seconds
    installed = built + report.install_seconds
    return _outcome(report, [("wheel built", built), ("wheel installed", installed),
                             ("app restarted", installed + report.restart_seconds)])


def _api_update(system, version: str) -> UpdateOutcome:
    report = system.replace_model_service(version)
    ready = report.start_seconds
    return _outcome(report, [("new service ready", ready), ("front switched", ready + report.switch_seconds),
                             ("old service stopped", report.total_seconds)])


def _streaming_update(system, version: str) -> UpdateOutcome:
    report = system.publish_and_wait(version, traffic=False)
    return _outcome(report, [("published", report.publish_seconds),
                             ("every instance serves it", report.publish_seconds + report.propagation_seconds)])


def _async_update(system, version: str) -> UpdateOutcome:
    """Re-run every stored request with `version`; a scripted reviewer validates what the job predicts."""
    report = system.rerun_and_review(version)
    return _outcome(report, [("re-run queued", 0.0), ("predicted", report.predicted_seconds),
                             ("reviewed", report.total_seconds)])


def _start(arch: str, **options) -> Callable[[Settings, Budget], System]:
    def start(settings: Settings, budget: Budget) -> System:
        extra = {"every": budget.async_every_s} if arch == "async" else {}
        return launch(arch, settings=_on_v1(settings), **options, **extra)

    return start


SUBJECTS = (
    Subject(
        name="embedded", latency_floor="http_constant", faults=("web",),
        update_touches=("model wheel", "web app (reinstalled and restarted)"),
        start=_start("embedded", version=FROM_VERSION), update=_embedded_update,
    ),
    Subject(
        name="api", latency_floor="http_constant", faults=("model-service", "web"),
        update_touches=("model service",),
        start=_start("api", version=FROM_VERSION), update=_api_update,
    ),
    Subject(
        name="streaming", latency_floor="http_constant", faults=("broker", "web"),
        update_touches=("model topic (one message)",),
        start=_start("streaming", instances=2, version=FROM_VERSION), update=_streaming_update,
        extras=streaming_extras,
    ),
    Subject(
        name="async", latency_floor="db_transaction", faults=("worker", "database", "web"),
        update_touches=("stored predictions (re-run)", "review"),
        start=_start("async", version=FROM_VERSION), update=_async_update,
        answers_later=True, extras=async_extras,
        notes=("latency is submission until the prediction is stored; the worker's schedule interval "
               "dominates it, and review before serving adds human time on top",),
    ),
)


def app_carries_model(front_url: str) -> bool:
    """Ask the running front whether scikit-learn is loaded in its own process (measured, not typed)."""
    status = requests.get(front_url + "/status", timeout=5).json()
    return bool(status["runtime"]["scikit_learn_loaded"])
