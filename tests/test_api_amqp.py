"""The api architecture over RabbitMQ: front process -> queue -> model worker process, for real.

Needs a broker (the `amqp_url` fixture skips on a laptop without one and fails in CI).
"""

from __future__ import annotations

import uuid
from statistics import median

import pika
import pytest

from archlab.notebook.traffic import update_under_traffic
import requests

from api_helpers import api_settings, model_fields
from launch_helpers import writable_home
from patterns.api.amqp import connection_parameters
from patterns.api.lab.amqp_floor import amqp_constant_roundtrip
from patterns.api.amqp_client import AmqpModelClient
from patterns.api.lab.system import ApiSystem
from patterns.launch.process import free_port
from patterns.web.backend import BackendUnavailable
from shared_model import ModelStore, example_record, validate_record
from shared_model.data import new_houses_records


@pytest.fixture(scope="module")
def queue(amqp_url):
    """A queue of this test module's own, deleted afterwards (the broker may be shared)."""
    name = f"archlab.test.{uuid.uuid4().hex[:8]}"
    yield name
    connection = pika.BlockingConnection(connection_parameters(amqp_url))
    try:
        connection.channel().queue_delete(name)
    finally:
        connection.close()


@pytest.fixture(scope="module")
def home(trained_home, tmp_path_factory):
    return writable_home(trained_home, tmp_path_factory.mktemp("api-amqp"))


@pytest.fixture(scope="module")
def system(home, amqp_url, queue):
    settings = api_settings(home, amqp_url=amqp_url, model_queue=queue)
    with ApiSystem(version="v1", transport="amqp", settings=settings) as running:
        yield running


def predict(system, body):
    return requests.post(system.url + "/predict", json=body, timeout=10)


def test_a_round_trip_through_rabbitmq_gives_the_model_s_prices(system, home):
    model = ModelStore(home / "models").load("v1")
    houses = [model_fields(house) for house in new_houses_records()[:10]]
    one = predict(system, houses[0]).json()
    many = predict(system, houses).json()
    assert (one["architecture"], one["model_version"]) == ("api", "v1")
    assert one["predictions"] == [model.predict_one(validate_record(houses[0]))]
    assert many["predictions"] == pytest.approx(model.predict([validate_record(h) for h in houses]), rel=1e-9)
    status = requests.get(system.url + "/status", timeout=10).json()
    assert status["transport"] == "amqp"
    assert (status["model_service"]["queue"], status["model_service"]["workers"]) == (system.settings.model_queue, 1)


def test_no_worker_gives_a_clear_503_after_the_timeout_then_recovers(system):
    system.stop_component("model-worker")
    try:
        response = predict(system, example_record())
    finally:
        system.start_component("model-worker")
    assert response.status_code == 503
    message = response.json()["message"]
    assert message.startswith(f"no reply from a model worker on queue '{system.settings.model_queue}'")
    assert "within 1 s" in message and "guest:guest" not in message
    assert predict(system, example_record()).json()["model_version"] == "v1"


def test_a_missing_broker_is_a_clear_error():
    client = AmqpModelClient(f"amqp://guest:secret@127.0.0.1:{free_port()}/%2F", "archlab.predict", timeout=1.0)
    with pytest.raises(BackendUnavailable, match=r"RabbitMQ at amqp://guest:\*\*\*@127\.0\.0\.1:\d+/%2F is not reachable"):
        client.predict([validate_record(example_record())])
    client.close()


@pytest.mark.slow
def test_replacing_the_worker_fails_no_request(system):
    """Last in this module: it leaves the shared system serving v2."""
    update, report = update_under_traffic(system, "v2")
    assert (report["served_before"], report["served_after"]) == (["v1"], ["v2"])
    assert update.failed == 0 and len(update.timeline) > 0
    assert sorted({p.version for p in update.timeline}) == ["v1", "v2"]
    assert report["restarted"] == ["model-worker"]


def test_the_amqp_floors_time_the_transport_alone_and_behind_an_http_front(amqp_url):
    queue = f"archlab.test.floor.{uuid.uuid4().hex[:8]}"
    alone, fronted = amqp_constant_roundtrip(amqp_url, queue, validate_record(example_record()), count=40)
    assert [(f.name, f.failed, len(f.samples_ms)) for f in (alone, fronted)] == [
        ("amqp_constant", 0, 40), ("http_then_amqp", 0, 40)]
    assert median(fronted.samples_ms) > median(alone.samples_ms)
    assert "guest:guest" not in fronted.description  # the broker's password is never printed
