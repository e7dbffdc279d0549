"""The async system as real processes: front + scheduled worker, fault injection, the latency hook."""

from __future__ import annotations

import pytest
import requests

from async_helpers import async_module
from patterns.settings import Settings
from shared_model import example_record

pytestmark = pytest.mark.slow


def launch(home, database_url=None, **options):
    settings = Settings(home=home, arch="async", database_url=database_url)
    return async_module("system").create_system(settings=settings, every=0.2, **options)


def status(system, status_url) -> dict:
    return requests.get(system.url + status_url, headers={"Accept": "application/json"}, timeout=10).json()


def test_worker_on_schedule_predicts_a_submitted_house(home_with_models, database_url):
    with launch(home_with_models, database_url) as system:
        seconds = system.time_to_prediction()
        assert seconds > 0
        [row] = requests.get(system.url + "/api/async/requests", timeout=10).json()
        assert (row["status"], row["model_version"], row["review_status"]) == ("predicted", "v2", "pending")
        assert requests.get(system.url + "/dashboard", timeout=10).status_code == 200
    assert not any(p.running for p in system.components.values())


def test_faults_database_away_and_worker_killed(home_with_models):
    with launch(home_with_models) as system:
        system.stop_component("database")
        refused = requests.post(system.url + "/predict", json=example_record(), timeout=10)
        assert refused.status_code == 503
        assert requests.get(system.url + "/status", timeout=10).json()["database_ok"] is False
        assert system.status()["database"]["running"] is False

        system.start_component("database")
        assert system.time_to_prediction() > 0  # front and worker both recovered

        system.kill_component("worker")
        queued = system.submit()
        assert status(system, queued)["state"] == "queued"
        assert system.run_job_once()["predicted"] == 1  # the API trigger works without any worker
        assert status(system, queued)["state"] == "awaiting review"

        system.start_component("worker")
        assert system.time_to_prediction() > 0


def test_postgres_system_cannot_take_the_shared_server_down(home_with_models, postgres_url):
    system = launch(home_with_models, postgres_url)
    with pytest.raises(NotImplementedError, match="shared server"):
        system.stop_component("database")
