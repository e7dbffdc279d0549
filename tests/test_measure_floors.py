"""Each floor measured for real: in-process arithmetic, waitress on loopback, Tansu, SQLite and PostgreSQL."""

import math

import pytest
import sqlalchemy as sa

from archlab.measure import floors
from archlab.measure.floors import (
    db_transaction_floor,
    http_constant_floor,
    kafka_roundtrip_floor,
    linear_form,
    model_arithmetic_floor,
)
from patterns.launch.process import free_port, http_status
from patterns.streaming.broker import LocalBroker
from shared_model import ModelStore, example_record, validate_record


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


def test_kafka_roundtrip_floor_on_a_real_broker(archlab_home):
    with LocalBroker(log_dir=archlab_home / "logs") as broker:
        floor = kafka_roundtrip_floor(broker.bootstrap_servers, count=30)
    assert floor.name == "kafka_roundtrip"
    assert (len(floor.samples_ms), floor.failed) == (30, 0)
    assert broker.bootstrap_servers in floor.description


def _floor_on(url, batch):
    floor = db_transaction_floor(url, count=20, batch=batch)
    assert floor.name == "db_transaction"
    assert (len(floor.samples_ms), floor.failed) == (20, 0)
    assert f"claim {batch} row" in floor.description
    engine = sa.create_engine(url)
    try:
        leftovers = [t for t in sa.inspect(engine).get_table_names() if t.startswith("archlab_floor_")]
    finally:
        engine.dispose()
    assert leftovers == []  # the scratch table is dropped
    return floor


@pytest.mark.parametrize("batch", [1, 100])
def test_db_transaction_floor_on_sqlite(tmp_path, batch):
    floor = _floor_on(f"sqlite:///{tmp_path / 'floor.db'}", batch)
    assert "sqlite" in floor.description


@pytest.mark.parametrize("batch", [1, 100])
def test_db_transaction_floor_on_postgresql(postgres_url, batch):
    floor = _floor_on(postgres_url, batch)
    assert "postgresql" in floor.description
