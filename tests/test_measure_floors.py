"""Each floor measured for real: in-process arithmetic, waitress on loopback, Tansu, SQLite and PostgreSQL."""

import dataclasses
import math

import pytest
from kafka import KafkaAdminClient

from archlab.compare.budget import QUICK
from archlab.compare.floor_rounds import FloorRounds
from archlab.measure import floors
from archlab.measure.floors import http_constant_floor, linear_form, model_arithmetic_floor
from patterns import http
from patterns.launch.process import free_port, http_status
from patterns.streaming.broker import LocalBroker
from patterns.streaming.lab.floor import kafka_roundtrip
from shared_model import ModelStore, example_record, validate_record
from shared_model.data import load_new_houses


@pytest.fixture(scope="module")
def models(trained_home):
    store = ModelStore(trained_home / "models")
    return [store.load(version) for version in ("v1", "v2")]


def test_the_dot_product_is_the_models_own_arithmetic(models):
    records = [validate_record(example_record()), validate_record({**example_record(), "LotFrontage": None})]
    for model in models:
        for record in records:
            coef, x, intercept = linear_form(model.compiled, record)
            assert math.exp(float(x @ coef) + intercept) == pytest.approx(model.predict_one(record), rel=1e-9)


def test_model_arithmetic_floor_times_every_call(models):
    floor = model_arithmetic_floor(models[1], validate_record(example_record()), count=500)
    assert floor.name == "model_arithmetic"
    assert len(floor.samples_ms) == 500 and floor.failed == 0
    assert "v2" in floor.description
    assert floor.summary().n == 500


def test_http_constant_floor_runs_its_own_server_and_stops_it(archlab_home, monkeypatch):
    port = free_port()
    monkeypatch.setattr(floors, "free_port", lambda: port)
    floor = http_constant_floor(json=example_record(), count=100)
    assert floor.name == "http_constant"
    assert (len(floor.samples_ms), floor.failed) == (100, 0)
    assert (archlab_home / "logs" / "floor-http-constant.log").exists()
    assert http_status(f"http://127.0.0.1:{port}/") is None  # nothing answers any more


def test_kafka_roundtrip_floor_on_a_real_broker_leaves_no_topic(archlab_home):
    with LocalBroker(log_dir=archlab_home / "logs") as broker:
        floor = kafka_roundtrip(broker.bootstrap_servers, "archlab.floor-test", count=30)
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
        try:
            topics = admin.list_topics()
        finally:
            admin.close()
    assert floor.name == "kafka_roundtrip"
    assert (len(floor.samples_ms), floor.failed) == (30, 0)
    assert broker.bootstrap_servers in floor.description
    assert "archlab.floor-test" not in topics


def test_two_roundtrip_floor_runs_a_front_and_a_back_end_and_stops_both(archlab_home, monkeypatch):
    ports = [free_port(), free_port()]
    monkeypatch.setattr(floors, "free_port", iter(ports).__next__)
    floor = floors.constant_floor("http_two_roundtrips", count=60)
    assert floor.name == "http_two_roundtrips"
    assert (len(floor.samples_ms), floor.failed) == (60, 0)
    assert "two round trips" in floor.description
    logs = archlab_home / "logs"
    assert (logs / "floor-two-roundtrips-front.log").exists() and (logs / "floor-two-roundtrips-back.log").exists()
    assert [http_status(f"http://127.0.0.1:{port}/health") for port in ports] == [None, None]


def test_flask_floor_parses_the_body_as_the_front_does(archlab_home):
    with floors.constant_server("flask_constant") as url:
        good = http.call("POST", url, json=example_record())
        bad = http.call("POST", url, headers={"Content-Type": "application/json"}, json=None)
    assert (good.status, good.json()["model_version"]) == (200, "constant")
    assert bad.status == 400  # no JSON body: refused like the front refuses it


def test_raw_batch_rate_scores_a_dataframe(models):
    houses = load_new_houses().head(200)
    assert floors.raw_batch_rate(models[1], houses) > 0
    with pytest.raises(ValueError, match="at least one row"):
        floors.raw_batch_rate(models[1], houses.head(0))


def test_the_constant_floors_latency_is_pooled_over_the_repetitions_it_was_measured_in(trained_home):
    budget = dataclasses.replace(QUICK, floor_http_requests=30, floor_model_calls=100, throughput_requests=50,
                                 throughput_seconds=0.2, repetitions=2)
    with FloorRounds(budget, example_record()) as rounds:
        rounds.measure_once(ModelStore(trained_home / "models"), "v2")
        for _ in range(budget.repetitions):
            rounds.measure_latency()
        measured = rounds.floors()
    assert set(measured) == {"model_arithmetic", *floors.CONSTANT_FLOORS}
    for kind in floors.CONSTANT_FLOORS:  # 15 requests in each repetition, every one answered
        assert len(measured[kind].samples_ms) == 30 and measured[kind].failed == 0
        assert "2 repetitions" in measured[kind].description
        assert [run["concurrency"] for run in rounds.throughput[kind]] == list(budget.concurrencies)
    assert not any(http_status(url.rsplit("/", 1)[0] + "/health") for url in rounds.urls.values())  # servers stopped
