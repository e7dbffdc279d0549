""""Score now" asks a worker and never scores in the front; /status shows workers and stuck claims."""

from __future__ import annotations

import threading

import pytest

from async_helpers import ANN, REVIEWERS, async_module, csrf_token, houses, statuses
from patterns.web import create_app

job_module = async_module("job")
schedule_module = async_module("schedule")


@pytest.fixture
def front(database_url, home_with_models):
    settings = async_module("settings").AsyncSettings(home=home_with_models, arch="async", database_url=database_url, reviewers=REVIEWERS)
    backend = async_module("backend").create_backend(settings)
    yield backend, create_app(backend, settings=settings).test_client()
    backend.close()


@pytest.fixture
def start_worker(front):
    """Starts a scheduled worker in a thread (passes far apart: only "score now" makes it score)."""
    backend, _ = front
    stop = threading.Event()
    threads = []

    def start():
        job = job_module.ScoringJob(backend.store, backend.models)
        thread = threading.Thread(target=job.run_on, args=(schedule_module.Every(3600.0), stop), daemon=True)
        thread.start()
        threads.append(thread)

    yield start
    stop.set()
    for thread in threads:
        thread.join(30)


def score_now(client, **body):
    return client.post("/api/async/score", json=body, headers=ANN)


def test_without_a_worker_waiting_is_a_clear_503_and_the_request_withdrawn(front, monkeypatch):
    monkeypatch.setattr(async_module("views"), "WORKER_GRACE_SECONDS", 0.5)  # no worker is starting either
    backend, client = front
    backend.store.submit(houses(2), source="test")
    refused = score_now(client)
    assert refused.status_code == 503
    assert "no scoring worker is running, so the request was withdrawn" in refused.get_json()["message"]
    assert backend.store.score_request(1)["status"] == "failed"  # no worker starting later picks it up
    assert statuses(backend.store) == {"pending": 2}


def test_the_worker_runs_the_pass_and_the_caller_gets_its_stats(front, start_worker):
    backend, client = front
    start_worker()
    assert score_now(client, timeout=60).status_code == 200  # the worker's first pass is behind it now
    backend.store.submit(houses(3), source="test")
    answer = score_now(client, timeout=60)
    assert answer.status_code == 200
    stats = answer.get_json()
    assert (stats["status"], stats["claimed"], stats["predicted"], stats["requested_by"]) == ("done", 3, 3, "ann")
    assert stats["rows_per_second"] > 0 and stats["worker"] in backend.store.live_workers()
    assert statuses(backend.store) == {"predicted": 3}


def test_a_request_queued_without_a_worker_is_answered_when_one_starts(front, start_worker):
    backend, client = front
    backend.store.submit(houses(4), source="test")
    queued = score_now(client, wait=False)
    assert queued.status_code == 202 and queued.get_json()["status"] == "queued"
    status_url = queued.get_json()["status_url"]
    assert client.get(status_url, headers=ANN).get_json()["status"] == "queued"

    start_worker()  # it answers the queued request before its own schedule
    done = client.get(status_url + "?wait=60", headers=ANN).get_json()
    assert (done["status"], done["claimed"], done["predicted"]) == ("done", 4, 4)
    assert client.get(status_url + "?wait=never", headers=ANN).status_code == 422
    assert client.get("/api/async/score/99", headers=ANN).status_code == 404


def test_the_dashboard_button_queues_a_request_for_the_worker(front):
    backend, client = front
    token = csrf_token(client.get("/dashboard", headers=ANN).get_data(as_text=True))
    backend.store.submit(houses(1), source="test")
    pressed = client.post("/dashboard/score", data={"csrf_token": token}, headers=ANN)
    assert pressed.status_code == 303 and "no+worker+is+running" in pressed.headers["Location"]
    assert backend.store.score_request(1)["status"] == "queued"
    assert statuses(backend.store) == {"pending": 1}  # the front scored nothing itself


def test_status_counts_live_workers_and_reports_stuck_claims(front, start_worker):
    backend, client = front
    backend.store.submit(houses(1459), source="test")
    backend.store.claim("a-worker-that-stopped", limit=5000, lease_seconds=60)
    start_worker()
    assert score_now(client, timeout=60).get_json()["claimed"] == 0  # the live worker cannot take them

    status = client.get("/status").get_json()
    assert status["workers"] == 1
    stuck = status["stuck_claims"]
    assert stuck["rows"] == 1459 and 0 < stuck["lease_expires_in_s"] <= 60
    assert stuck["message"].startswith("1,459 rows claimed by a worker that stopped; the lease expires in ")
    page = client.get("/dashboard", headers=ANN).get_data(as_text=True)
    assert "1,459 rows claimed by a worker that stopped" in page
