"""The async system as real processes: front + scheduled worker, fault injection, the latency hook."""

from __future__ import annotations

import pytest
import requests

from async_helpers import async_module
from patterns.web.auth import admin_headers
from shared_model import example_record

pytestmark = pytest.mark.slow


def launch(home, database_url=None, **options):
    settings = async_module("settings").AsyncSettings(home=home, arch="async", database_url=database_url)
    return async_module("lab.system").SYSTEM(settings=settings, every=0.2, **options)


def status(system, status_url) -> dict:
    return requests.get(system.url + status_url, headers={"Accept": "application/json"}, timeout=10).json()


def test_worker_on_schedule_predicts_a_submitted_house(home_with_models, database_url):
    with launch(home_with_models, database_url) as system:
        seconds = system.time_to_answer()
        assert seconds > 0
        signed = admin_headers(system.settings)  # the launcher's own admin token
        [row] = requests.get(system.url + "/api/async/requests", headers=signed, timeout=10).json()
        assert (row["status"], row["model_version"], row["review_status"]) == ("predicted", "v2", "pending")
        assert requests.get(system.url + "/dashboard", headers=signed, timeout=10).status_code == 200
        assert requests.get(system.url + "/dashboard", timeout=10).status_code == 401
    assert not any(p.running for p in system.components.values())


def test_an_answer_splits_into_the_wait_for_the_schedule_the_scoring_and_the_review(home_with_models, database_url):
    with launch(home_with_models, database_url) as system:
        system.time_to_answer()  # the worker's first pass loads its model
        answer = system.answer_time()
        waiting, scoring, review = answer.parts.values()
        assert list(answer.parts) == ["waiting for the schedule", "scoring (claim, model, gate, write)",
                                      "review (here a script approves at once)"]
        assert min(waiting, scoring, review) >= 0
        assert waiting > scoring  # a 0.2 s schedule against one row's scoring
        # the store's clock (to the ms) inside the client's: both parts happened before the client saw the answer
        assert waiting + scoring <= answer.seconds + 0.002
        newest = requests.get(system.url + "/api/async/requests", headers=admin_headers(system.settings),
                              timeout=10).json()[0]
        assert status(system, f"/requests/{newest['id']}")["state"] == "available"  # after the review, users see it


def test_faults_database_away_and_worker_killed(home_with_models):
    with launch(home_with_models) as system:
        system.stop_component("database")
        refused = requests.post(system.url + "/predict", json=example_record(), timeout=10)
        assert refused.status_code == 503
        assert requests.get(system.url + "/status", timeout=10).json()["database_ok"] is False
        assert system.status()["database"]["running"] is False

        system.start_component("database")
        assert system.time_to_answer() > 0  # front and worker both recovered

        system.kill_component("worker")  # a crash: the launcher starts it again by itself
        assert system.time_to_answer() > 0
        assert system.run_job_once()["status"] == "done"  # "score now" is answered by the worker


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # a throw-away schema on the shared server
def test_postgres_system_cannot_take_the_shared_server_down(home_with_models, database_url):
    with launch(home_with_models, database_url) as system:
        with pytest.raises(PermissionError, match="archlab does not take this database down"):
            system.stop_component("database")
        assert system.time_to_answer() > 0  # still up
