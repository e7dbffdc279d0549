"""The scoring job on SQLite and PostgreSQL: results, bad rows, re-runs, concurrent and killed workers."""

from __future__ import annotations

import gc
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from pytest import approx

from async_helpers import async_module, houses, predictions_per_request, statuses
from shared_model import ModelStore, validate_batch

job_module = async_module("job")
store_module = async_module("store")
WAIT_SECONDS = 90


def scoring_job(store, home, **options):
    return job_module.ScoringJob(store, ModelStore(home / "models"), **options)


def worker_process(home, database_url, *args) -> subprocess.Popen:
    env = {**os.environ, "ARCHLAB_HOME": str(home), "DATABASE_URL": database_url}
    return subprocess.Popen([sys.executable, "-m", "patterns.async.worker", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture
def processes():
    """Child processes a test starts; whatever is still running at the end is killed."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_job_predicts_what_the_model_predicts(store, home_with_models):
    records = houses(300)
    ids = store.submit(records, source="test")
    stats = scoring_job(store, home_with_models, chunk_size=128).run_once()

    assert (stats.claimed, stats.predicted, stats.failed, stats.chunks) == (300, 300, 0, 3)
    model = ModelStore(home_with_models / "models").load("v2")  # the newest is the default
    expected = model.predict([clean for _, clean in validate_batch(records).valid])
    served = [store.request(i)["predictions"][0] for i in (ids[0], ids[150], ids[299])]
    assert [p["value"] for p in served] == approx([expected[0], expected[150], expected[299]])
    assert {p["model_version"] for p in served} == {"v2"}
    assert statuses(store) == {"predicted": 300}


def test_bad_rows_fail_alone_and_the_chunk_goes_on(store, home_with_models):
    good = houses(4)
    bad = {**good[0], "GrLivArea": "huge", "Neighborhood": "Atlantis"}
    ids = store.submit([good[0], bad, good[1], {"not": "a house"}, good[2]], source="test")
    stats = scoring_job(store, home_with_models, chunk_size=10).run_once()

    assert (stats.predicted, stats.failed) == (3, 2)
    failed = store.request(ids[1])
    assert failed["status"] == "failed"
    assert "GrLivArea: is not a number" in failed["error"] and "Neighborhood: unknown category" in failed["error"]
    assert "not: unknown field" in store.request(ids[3])["error"]
    assert [store.request(i)["status"] for i in (ids[0], ids[2], ids[4])] == ["predicted"] * 3


class ModelThatBreaksOn:
    """A real model whose vectorised call fails when one poisoned value is in the batch."""

    def __init__(self, model, poisoned_area: float):
        self.model, self.poisoned_area = model, poisoned_area
        self.version, self.metadata = model.version, model.metadata

    def predict(self, records):
        if any(r["GrLivArea"] == self.poisoned_area for r in records):
            raise ValueError("numerical trouble")
        return self.model.predict(records)

    def predict_one(self, record):
        if record["GrLivArea"] == self.poisoned_area:
            raise ValueError("numerical trouble")
        return self.model.predict_one(record)


class BreakingModels:
    """The model store, handing out models that break on one poisoned living area."""

    def __init__(self, models: ModelStore, poisoned_area: float):
        self.models, self.poisoned_area = models, poisoned_area

    def load(self, version):
        return ModelThatBreaksOn(self.models.load(version), self.poisoned_area)


def test_a_row_that_breaks_prediction_fails_alone(store, home_with_models):
    records = houses(5)
    poisoned = {**records[2], "GrLivArea": "4321"}
    ids = store.submit([*records[:2], poisoned, *records[3:]], source="test")
    models = BreakingModels(ModelStore(home_with_models / "models"), 4321.0)
    stats = job_module.ScoringJob(store, models, default_version="v2").run_once()
    assert (stats.predicted, stats.failed) == (4, 1)
    assert store.request(ids[2])["error"] == "prediction failed: ValueError: numerical trouble"


def test_a_missing_model_version_fails_only_its_run(store, home_with_models):
    ids = store.submit(houses(2), source="test")
    store.rerun("v9", [ids[0]], source="test")
    stats = scoring_job(store, home_with_models).run_once()
    assert (stats.predicted, stats.failed) == (1, 1)
    assert "model v9 unavailable" in store.request(ids[0])["error"]


def test_rerun_keeps_both_versions_values(store, home_with_models):
    ids = store.submit(houses(20), source="test")
    scoring_job(store, home_with_models, default_version="v1").run_once()
    run_id, queued = store.rerun("v2", None, source="test")
    assert queued == 20
    scoring_job(store, home_with_models, default_version="v1").run_once()  # the run pins v2

    history = store.request(ids[0])["predictions"]
    assert [p["model_version"] for p in history] == ["v2", "v1"]
    assert history[0]["value"] != history[1]["value"]
    assert set(predictions_per_request(store).values()) == {2}


def test_after_every_request_is_rerun_with_a_version_new_submissions_get_it_too(store, home_with_models):
    """An update re-runs every stored request with the new model: a house submitted afterwards must
    not be answered by the old one the worker was started with."""
    job = scoring_job(store, home_with_models, default_version="v1")
    store.submit(houses(5), source="test")
    job.run_once()
    store.rerun("v2", None, source="update")
    job.run_once()
    some = store.submit(houses(2), source="test")
    store.rerun("v1", some[:1], source="one request")  # re-running a few does not move the system
    job.run_once()
    later = store.submit(houses(1), source="test")
    job.run_once()
    assert store.serving_version() == "v2"
    assert store.request(some[1])["predictions"][0]["model_version"] == "v2"
    assert store.request(later[0])["predictions"][0]["model_version"] == "v2"


@pytest.mark.slow
def test_two_worker_processes_predict_every_request_exactly_once(store, home_with_models, database_url, processes):
    total = 2400
    store.submit(houses(total), source="test")
    for _ in range(2):  # small chunks: many claims, so both workers get their turns
        processes.append(worker_process(home_with_models, database_url, "--once", "--chunk-size", "20"))
    outputs = [p.communicate(timeout=WAIT_SECONDS)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs

    counts = predictions_per_request(store)
    assert len(counts) == total and set(counts.values()) == {1}
    assert statuses(store) == {"predicted": total}
    scored = [int(re.search(r": scored (\d+) requests", output).group(1)) for output in outputs]
    assert all(scored) and sum(scored) == total, scored  # both claimed rows, and no row twice


def claimed_rows(store) -> int:
    return statuses(store).get("claimed", 0)


@pytest.mark.slow
def test_a_worker_killed_mid_chunk_loses_nothing(store, home_with_models, database_url, processes):
    total = 3000
    store.submit(houses(total), source="test")
    victim = worker_process(home_with_models, database_url, "--once", "--chunk-size", "200", "--lease", "2")
    processes.append(victim)

    # Catch the worker holding a claim: freeze it, confirm the claim is still there, then SIGKILL.
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and victim.poll() is None:
        if claimed_rows(store):
            victim.send_signal(signal.SIGSTOP)
            if claimed_rows(store):
                break
            victim.send_signal(signal.SIGCONT)
        time.sleep(0.002)
    assert victim.poll() is None, "the worker finished before it could be caught mid-chunk"
    victim.kill()
    victim.wait(10)
    orphaned = claimed_rows(store)
    assert 0 < orphaned <= 200

    rescuer = scoring_job(store, home_with_models, lease_seconds=60)
    while time.monotonic() < deadline and statuses(store) != {"predicted": total}:
        rescuer.run_once()
        time.sleep(0.2)  # until the dead worker's lease runs out

    counts = predictions_per_request(store)
    assert statuses(store) == {"predicted": total}
    assert len(counts) == total and set(counts.values()) == {1}


def test_the_model_cost_knob_is_paid_once_per_vectorised_call_in_the_job(store, home_with_models):
    """MODEL_COST_MS stands in for a heavier model: three chunks spend at least three times its CPU."""
    store.submit(houses(300), source="test")
    job = scoring_job(store, home_with_models, chunk_size=100, model_cost_ms=40.0)
    cpu_before = time.thread_time()
    stats = job.run_once()
    assert (stats.predicted, stats.chunks) == (300, 3)
    assert time.thread_time() - cpu_before >= 3 * 0.040


def test_a_pass_leaves_the_garbage_collector_as_it_found_it(store, home_with_models):
    """The pass freezes the long-lived heap for speed; nothing may stay frozen (never collected) after it."""
    store.submit(houses(50), source="test")
    frozen_before = gc.get_freeze_count()
    job = scoring_job(store, home_with_models, chunk_size=20)
    assert job.run_once().predicted == 50
    assert gc.get_freeze_count() == frozen_before
    store.submit(houses(5), source="test")
    job.score_chunk = lambda version: (_ for _ in ()).throw(RuntimeError("database went away"))
    with pytest.raises(RuntimeError):
        job.run_once()
    assert gc.get_freeze_count() == frozen_before
