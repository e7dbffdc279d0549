"""The model service scaled on its own: N model processes behind ONE web front.

What a user and an operator notice: every request through the front is answered, the front's
/status shows each instance and how many calls it answered (so both really served), one instance
down costs no request, and a model update replaces every instance and moves every answer to the
new version. Over RabbitMQ the instances are consumers of the same queue, counted by the broker.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from api_helpers import api_settings
from archlab.notebook.traffic import update_under_traffic
from launch_helpers import writable_home
from patterns.api.amqp import delete_queue
from patterns.api.lab.system import ApiSystem
from patterns.launch.architectures import system_class
from shared_model import example_record

REQUESTS = 20


@pytest.fixture(scope="module")
def home(trained_home, tmp_path_factory):
    return writable_home(trained_home, tmp_path_factory.mktemp("api-scale"))


def scaled(home, transport: str, **settings) -> ApiSystem:
    """Two model processes, asked for the way the comparison asks (`scale_options`)."""
    return ApiSystem(version="v1", transport=transport, settings=api_settings(home, **settings),
                     **ApiSystem.scale_options(2))


@pytest.fixture(scope="module")
def system(home):
    with scaled(home, "http") as running:
        yield running


def send(system, count: int = REQUESTS) -> list[int]:
    """`count` predictions through the front, one after another; their HTTP statuses."""
    with requests.Session() as session:
        return [session.post(system.url + "/predict", json=example_record(), timeout=10).status_code
                for _ in range(count)]


def model_service_status(system) -> dict:
    return requests.get(system.url + "/status", timeout=10).json()["model_service"]


def answered(system) -> dict[str, int]:
    """Calls each model instance answered, as the front's /status reports them (by instance URL)."""
    return {instance["url"]: instance["answered"] for instance in model_service_status(system)["instances"]}


def test_two_model_processes_behind_one_front(system):
    assert list(system.components) == ["model-service", "model-service-2", "web"]
    assert len(system.front_urls) == 1
    instances = model_service_status(system)["instances"]
    assert [i["url"] for i in instances] == [system.component(n).url for n in ("model-service", "model-service-2")]
    assert all(i["ready"] and i["model_version"] == "v1" for i in instances)
    assert [f.component for f in system.faults()] == ["model-service", "model-service-2", "web"]


def test_requests_through_the_front_are_spread_over_both_instances(system):
    before = answered(system)
    assert send(system) == [200] * REQUESTS
    after = answered(system)
    served = {url: after[url] - before[url] for url in after}
    assert sum(served.values()) == REQUESTS  # each answer came from exactly one instance
    assert all(count > 0 for count in served.values()), f"an instance answered nothing: {served}"


def test_one_instance_down_costs_no_request(system):
    down = system.component("model-service-2").url
    system.stop_component("model-service-2")
    try:
        before = answered(system)
        statuses = send(system)
        after = answered(system)
        instances = {i["url"]: i for i in model_service_status(system)["instances"]}
    finally:
        system.start_component("model-service-2")
    assert statuses == [200] * REQUESTS
    assert after[down] == before[down] and instances[down]["answers"] is False
    assert "connection refused" in instances[down]["reason"]
    assert send(system, 4) == [200] * 4  # and back to both once it returns


def test_every_instance_down_is_a_clear_503(home):
    with ApiSystem(version="v1", settings=api_settings(home), model_instances=2) as system:
        system.stop_component("model-service")
        system.stop_component("model-service-2")
        answer = requests.post(system.url + "/predict", json=example_record(), timeout=10)
    assert answer.status_code == 503
    assert "is not reachable (connection refused); tried 3 times" in answer.json()["message"]


@pytest.mark.slow
def test_a_model_update_replaces_every_instance(system):
    """Last of the HTTP tests: it leaves the shared system serving v2."""
    old = {name: system.component(name).url for name in ("model-service", "model-service-2")}
    update, report = update_under_traffic(system, "v2")
    assert update.failed == 0 and (report["served_before"], report["served_after"]) == (["v1"], ["v2"])
    assert sorted(report["restarted"]) == ["model-service", "model-service-2"]
    instances = model_service_status(system)["instances"]
    assert [i["url"] for i in instances] == [system.component(n).url for n in old]
    assert not {i["url"] for i in instances} & set(old.values())  # the front follows the new set
    assert all(i["model_version"] == "v2" for i in instances)
    before = answered(system)
    assert send(system) == [200] * REQUESTS
    after = answered(system)
    assert all(after[url] > before[url] for url in after)


def test_grpc_spreads_over_both_instances(home):
    with scaled(home, "grpc") as system:
        assert send(system) == [200] * REQUESTS
        served = answered(system)
    assert sorted(served) == sorted(system.components[n].url for n in ("model-service", "model-service-2"))
    assert sum(served.values()) == REQUESTS and all(count > 0 for count in served.values())


@pytest.fixture(scope="module")
def amqp_system(home, amqp_url):
    queue = f"archlab.test.{uuid.uuid4().hex[:8]}"
    try:
        with scaled(home, "amqp", amqp_url=amqp_url, model_queue=queue) as running:
            yield running
    finally:
        delete_queue(amqp_url, queue)


def test_amqp_workers_share_one_queue_and_each_answers(amqp_system):
    assert list(amqp_system.components) == ["model-worker", "model-worker-2", "web"]
    assert model_service_status(amqp_system)["workers"] == 2  # the broker counts two consumers
    assert send(amqp_system) == [200] * REQUESTS
    for alone in ("model-worker", "model-worker-2"):  # each one, alone on the queue, answers every request
        other = "model-worker-2" if alone == "model-worker" else "model-worker"
        amqp_system.stop_component(other)
        try:
            assert model_service_status(amqp_system)["workers"] == 1
            assert send(amqp_system, 5) == [200] * 5
        finally:
            amqp_system.start_component(other)
    assert model_service_status(amqp_system)["workers"] == 2


@pytest.mark.slow
def test_amqp_update_replaces_both_workers(amqp_system):
    update, report = update_under_traffic(amqp_system, "v2")
    assert update.failed == 0 and report["served_after"] == ["v2"]
    assert sorted(report["restarted"]) == ["model-worker", "model-worker-2"]
    assert model_service_status(amqp_system)["workers"] == 2  # the old ones left the queue


@pytest.mark.parametrize("count", [0, 9, -1, True, 1.5, "2"])
def test_a_model_instance_count_outside_1_to_8_is_refused(home, count):
    with pytest.raises(ValueError, match=r"model_instances must be a whole number from 1 to 8; got"):
        ApiSystem(settings=api_settings(home), model_instances=count)


def test_scale_options_name_each_architecture_s_scalable_part():
    assert system_class("api").scale_options(3) == {"model_instances": 3}
    assert system_class("async").scale_options(2) == {"workers": 2}
