"""The api architecture over gRPC: front process -> gRPC model service process, for real.

What a user of the front notices is what it notices over HTTP: the same prices, the same 422
details, a clear 503 while the service is down or hung, recovery without a manual step, and no
failed request while the model service is replaced by a new version.
"""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from statistics import median

import pytest
import requests

from api_helpers import api_settings, model_fields, model_service
from launch_helpers import writable_home
from patterns.api.grpc_client import GrpcModelClient
from patterns.api.lab.grpc_floor import grpc_constant_roundtrip
from patterns.api.grpc_process import GrpcServiceProcess
from patterns.api.grpc_service import ModelServicer, create_server, run
from patterns.api.http_client import HttpModelClient
from patterns.api.proto import generate
from patterns.api.service import ModelSlot
from patterns.api.lab.system import ApiSystem
from patterns.launch.process import ProcessFailed, free_port
from patterns.web.backend import Prediction
from shared_model import ValidationError, example_record, validate_record
from shared_model.data import new_houses_records


@pytest.fixture(scope="module")
def home(trained_home, tmp_path_factory):
    return writable_home(trained_home, tmp_path_factory.mktemp("api-grpc"))


@pytest.fixture(scope="module")
def system(home):
    with ApiSystem(version="v1", transport="grpc", settings=api_settings(home)) as running:
        yield running


@pytest.fixture(scope="module")
def http_service(home):
    """The HTTP model service on the same model version: what gRPC must agree with."""
    with model_service(home, "v1", name="http-model-service") as service:
        yield service


def predict(system, body):
    return requests.post(system.url + "/predict", json=body, timeout=10)


def test_generated_code_matches_the_proto(tmp_path):
    """Fails when someone edits model_service.proto and forgets `python -m patterns.api.proto.generate`."""
    for fresh in generate.generate(tmp_path):
        committed = generate.PROTO.with_name(fresh.name)
        assert committed.read_text() == fresh.read_text(), f"{committed} is stale: run python -m patterns.api.proto.generate"


def test_the_front_over_grpc_gives_the_same_prices_as_over_http(system, http_service):
    houses = [model_fields(house) for house in new_houses_records()]  # all 1,459, with "NA" (missing) values
    over_http = HttpModelClient(http_service.url)
    try:
        expected = over_http.predict([validate_record(house) for house in houses])
    finally:
        over_http.close()
    one = predict(system, houses[0]).json()
    many = predict(system, houses).json()
    assert (one["architecture"], one["model_version"]) == ("api", "v1")
    # one house takes the model's scalar path, a list the vectorised one: equal up to float rounding
    assert one["predictions"] == pytest.approx(expected.values[:1], rel=1e-12)
    assert many["predictions"] == expected.values


def test_status_says_grpc_and_which_service_answers(system):
    status = requests.get(system.url + "/status", timeout=10).json()
    assert status["transport"] == "grpc"
    service = status["model_service"]
    assert service["url"] == system.component("model-service").url
    assert service["url"].startswith("grpc://127.0.0.1:")
    assert (service["ready"], service["model_version"]) == (True, "v1")


def test_the_grpc_service_refuses_bad_houses_with_the_http_service_s_details(system, http_service):
    bad = [validate_record(example_record()), {**example_record(), "OverallQual": 99, "Neighborhood": "Atlantis"}]
    refusals = []
    for client in (GrpcModelClient(system.component("model-service").url), HttpModelClient(http_service.url)):
        with pytest.raises(ValidationError) as refused:
            client.predict(bad)
        client.close()
        refusals.append(refused.value)
    over_grpc, over_http = refusals
    assert over_grpc.row_errors == over_http.row_errors
    assert {error["field"] for error in over_grpc.row_errors[1]} == {"OverallQual", "Neighborhood"}


def test_service_down_gives_503_then_recovers_by_itself(system):
    url = system.component("model-service").url
    system.stop_component("model-service")
    try:
        down = predict(system, example_record())
    finally:
        system.start_component("model-service")
    assert down.status_code == 503
    assert down.json()["message"] == f"the model service at {url} is not reachable (connection refused); tried 3 times"
    back = predict(system, example_record())
    assert (back.status_code, back.json()["model_version"]) == (200, "v1")


def test_a_hung_service_gives_503_at_the_deadline_then_recovers(system):
    service = system.component("model-service")
    os.kill(service.pid, signal.SIGSTOP)  # the connection stays open; nothing answers on it
    try:
        hung = predict(system, example_record())
    finally:
        os.kill(service.pid, signal.SIGCONT)
    assert hung.status_code == 503
    assert hung.json()["message"] == f"the model service at {service.url} did not answer within 1 s"
    assert predict(system, example_record()).json()["model_version"] == "v1"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8001", "grpc://127.0.0.1", "grpc://127.0.0.1:99999"])
def test_the_admin_switch_refuses_what_is_not_a_grpc_address(system, url):
    admin = {"Authorization": f"Bearer {system.settings.admin_token}"}
    response = requests.post(system.url + "/admin/model-service", json={"url": url}, headers=admin, timeout=10)
    assert response.status_code == 400
    assert "grpc://host:port" in response.json()["message"] or "65535" in response.json()["message"]
    assert predict(system, example_record()).status_code == 200


def test_the_grpc_service_serves_the_format_model_format_names(home, system):
    """MODEL_FORMAT reaches the gRPC service as it reaches the HTTP one: here the ONNX file (float32)."""
    houses = [validate_record(model_fields(house)) for house in new_houses_records()[:20]]
    env = {"ARCHLAB_HOME": str(home), "ARCHLAB_MODEL_VERSION": "v1", "MODEL_FORMAT": "onnx"}
    with GrpcServiceProcess("grpc-onnx", free_port(), env=env) as onnx_service:
        onnx, pickled = GrpcModelClient(onnx_service.url), GrpcModelClient(system.component("model-service").url)
        try:
            from_onnx, from_pickle = onnx.predict(houses), pickled.predict(houses)
        finally:
            onnx.close()
            pickled.close()
    assert from_onnx.model_version == from_pickle.model_version
    assert from_onnx.values == pytest.approx(from_pickle.values, rel=1e-4)
    assert from_onnx.values != from_pickle.values  # float32 arithmetic: really the other file


def test_a_service_that_cannot_load_its_model_exits_and_says_why(home):
    service = GrpcServiceProcess("grpc-no-model", free_port(), env={"ARCHLAB_HOME": str(home), "ARCHLAB_MODEL_VERSION": "v999"})
    with pytest.raises(ProcessFailed, match="could not be loaded"):
        with service:
            pass
    assert service.returncode == 1


class HeldModel:
    """A model whose predictions wait until the test lets them go: a call held in flight."""

    name, version = "held", "v-held"

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def predict_many(self, records):
        self.entered.set()
        self.release.wait(30)
        return [1.0] * len(records)


def test_a_stopping_service_lets_the_call_in_flight_finish():
    """What the zero-failure replacement rests on: stopping the old service cancels no call."""
    slot, model = ModelSlot(), HeldModel()
    slot.model = model
    port, stopping = free_port(), threading.Event()
    serving = threading.Thread(target=run, args=(create_server(ModelServicer(slot), "127.0.0.1", port), stopping, 10.0))
    serving.start()
    client = GrpcModelClient(f"grpc://127.0.0.1:{port}", timeout=30)
    try:
        with ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(client.predict, [validate_record(example_record())])
            assert model.entered.wait(30)
            stopping.set()  # what SIGTERM does in the service process
            model.release.set()
            assert in_flight.result(30) == Prediction(values=[1.0], model_version="v-held")
    finally:
        stopping.set()
        model.release.set()
        serving.join(30)
        client.close()
    assert not serving.is_alive()


def test_the_grpc_floors_time_the_transport_alone_and_behind_an_http_front():
    alone, fronted = grpc_constant_roundtrip(validate_record(example_record()), count=50)
    assert [(f.name, f.failed, len(f.samples_ms)) for f in (alone, fronted)] == [
        ("grpc_constant", 0, 50), ("http_then_grpc", 0, 50)]
    assert all(sample > 0 for sample in alone.samples_ms)
    assert median(fronted.samples_ms) > median(alone.samples_ms)  # the HTTP round trip in front costs its share


@pytest.mark.slow
def test_replacing_the_model_service_under_traffic_fails_no_request(system):
    """Last but one in this module: it leaves the shared system serving v2."""
    failures, stop = [], threading.Event()
    versions = {n: [] for n in range(4)}  # per client: its answers in order

    def traffic(n):
        with requests.Session() as session:
            while not stop.is_set():
                try:
                    response = session.post(system.url + "/predict", json=example_record(), timeout=10)
                except requests.RequestException as exc:
                    failures.append(repr(exc))
                    continue
                if response.status_code == 200:
                    versions[n].append(response.json()["model_version"])
                else:
                    failures.append(f"{response.status_code}: {response.text}")

    old_service = system.component("model-service")
    threads = [threading.Thread(target=traffic, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        system.replace_model_service("v2")
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    assert failures == []
    assert not old_service.running and old_service.returncode == 0  # it drained and exited by itself
    assert system.component("model-service").running
    for seen in versions.values():  # every client got answers, and once v2, never v1 again
        assert seen and seen == sorted(seen) and seen[-1] == "v2"
    assert "v1" in {v for seen in versions.values() for v in seen}


def test_front_restarted_after_a_replacement_still_calls_the_new_service(system):
    """Runs after the replacement above: the switch survives a restart of the front itself."""
    system.restart(system.front_name)
    answer = predict(system, [example_record()])
    assert answer.status_code == 200 and answer.json()["model_version"] == "v2"
