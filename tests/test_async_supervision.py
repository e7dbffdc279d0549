"""A worker killed mid-batch on PostgreSQL: the system stays up, the worker comes back by itself,
/status names the stuck claims, and after the lease every house is predicted exactly once."""

from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from async_helpers import async_module, predictions_per_request, statuses
from patterns.settings import Settings
from patterns.web.auth import admin_headers
from shared_model import example_record
from shared_model.data import new_houses_records

pytestmark = pytest.mark.slow

LEASE_SECONDS = 20.0  # long enough to watch the stuck claims, short enough to wait for
NEW_HOUSES = 1459


def wait_until(condition, seconds: float = 90.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds:g} s: {condition.__doc__ or condition}")


def front_status(system) -> dict:
    return requests.get(system.url + "/status", timeout=10).json()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_killed_worker_comes_back_and_nothing_is_lost_or_scored_twice(home_with_models, database_url):
    store_module, intake = async_module("store"), async_module("intake")
    settings = Settings(home=home_with_models, arch="async", database_url=database_url)
    store = store_module.Store.connect(database_url)
    with async_module("lab.system").SYSTEM(settings=settings, every=0.2, lease=LEASE_SECONDS) as system:
        worker = system.component("worker")
        victim = worker.pid
        intake.submit_records(store, new_houses_records(), source="test")

        def claimed_all():
            """the worker holds every new house in one claim"""
            return statuses(store).get("claimed") == NEW_HOUSES

        wait_until(claimed_all)
        os.kill(victim, signal.SIGSTOP)  # freeze it holding the claim, then crash it
        assert claimed_all(), "the worker finished its chunk before it could be caught"
        system.kill_component("worker")

        answered = requests.post(system.url + "/predict", json=example_record(), timeout=10)
        assert answered.status_code == 202  # the front takes submissions while no worker runs

        wait_until(lambda: worker.running and worker.pid != victim)
        assert worker.restarts == 1

        def stuck():
            """/status reports the dead worker's claims, with a live worker beside them"""
            status = front_status(system)
            return status if status["stuck_claims"] and status["workers"] == 1 else None

        status = stuck() or wait_until(stuck)
        assert status["stuck_claims"]["rows"] == NEW_HOUSES
        assert status["stuck_claims"]["message"].startswith(
            "1,459 rows claimed by a worker that stopped; the lease expires in ")
        assert status["requests_claimed"] == NEW_HOUSES

        def all_predicted():
            """the lease expired and the new worker predicted everything"""
            return statuses(store) == {"predicted": NEW_HOUSES + 1}

        wait_until(all_predicted, LEASE_SECONDS + 60)
        counts = predictions_per_request(store)
        assert len(counts) == NEW_HOUSES + 1 and set(counts.values()) == {1}
        assert front_status(system)["stuck_claims"] is None

        # "Score now" is answered by the worker; the front process never loads the model.
        asked = system.run_job_once()
        assert (asked["status"], asked["claimed"]) == ("done", 0)
        assert front_status(system)["runtime"]["scikit_learn_loaded"] is False
        listing = requests.get(system.url + "/api/async/requests", headers=admin_headers(system.settings), timeout=10)
        assert listing.status_code == 200 and len(listing.json()) > 0
    store.close()
