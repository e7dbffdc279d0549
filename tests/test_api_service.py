"""The model service as a real process: its JSON contract, errors, OpenAPI document and lifecycle."""

from __future__ import annotations

import signal
import threading
import time

import pytest
import requests

from api_helpers import model_fields, model_service
from launch_helpers import writable_home
from patterns.api.graceful import GracefulServer
from patterns.api.service import MAX_BODY_BYTES
from patterns.launch.process import ProcessFailed, free_port
from shared_model import ModelStore, example_record, validate_record
from shared_model.data import new_houses_records


@pytest.fixture(scope="module")
def home(trained_home, tmp_path_factory):
    return writable_home(trained_home, tmp_path_factory.mktemp("api-service"))


@pytest.fixture(scope="module")
def service(home):
    with model_service(home, "v1") as process:
        yield process.url


@pytest.fixture(scope="module")
def model_v1(home):
    return ModelStore(home / "models").load("v1")


def predict(service, body, **kwargs):
    return requests.post(f"{service}/v1/predict", json=body, timeout=10, **kwargs)


def test_one_house_gets_the_same_price_as_shared_model(service, model_v1):
    response = predict(service, example_record())
    assert response.status_code == 200
    assert response.json() == {
        "predictions": [model_v1.predict_one(validate_record(example_record()))],
        "model_version": "v1",
        "model_name": "house-price",
    }


def test_a_list_is_predicted_in_order(service, model_v1):
    houses = [model_fields(house) for house in new_houses_records()[:40]]
    response = predict(service, houses)
    assert response.status_code == 200
    expected = model_v1.predict([validate_record(house) for house in houses])
    assert response.json()["predictions"] == pytest.approx(expected, rel=1e-9)


def test_invalid_fields_are_422_with_one_detail_per_field(service):
    response = predict(service, {**example_record(), "OverallQual": 11, "Neighborhood": "Atlantis"})
    assert response.status_code == 422
    details = {d["field"]: d for d in response.json()["details"]}
    assert set(details) == {"OverallQual", "Neighborhood"}
    assert details["OverallQual"]["expected"] == "an integer from 1 to 10"
    assert details["OverallQual"]["got"] == 11
    assert "Atlantis" in details["Neighborhood"]["message"]


def test_invalid_rows_of_a_list_are_named_by_index(service):
    response = predict(service, [example_record(), {"GrLivArea": "big"}])
    assert response.status_code == 422
    assert [(d["index"], d["field"]) for d in response.json()["details"]] == [(1, "GrLivArea")]


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"42", b'"a house"'])
def test_a_body_that_is_not_houses_is_400(service, body):
    response = requests.post(f"{service}/v1/predict", data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400
    assert "one house as an object" in response.json()["error"] or "non-empty list" in response.json()["error"]


def test_a_body_over_the_limit_is_413(service):
    response = requests.post(f"{service}/v1/predict", data=b" " * (MAX_BODY_BYTES + 1), timeout=10)
    assert response.status_code == 413
    assert "error" in response.json()


def test_unknown_paths_answer_json_404(service):
    response = requests.get(f"{service}/v2/predict", timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"


def test_health_ready_and_version(service, model_v1):
    assert requests.get(f"{service}/health", timeout=10).json() == {"status": "ok"}
    assert requests.get(f"{service}/ready", timeout=10).json() == {"ready": True, "model_version": "v1"}
    version = requests.get(f"{service}/version", timeout=10).json()
    assert version["version"] == "v1"
    assert version["digest"] == model_v1.digest
    assert version["created"] == model_v1.metadata["created"]
    assert version["metrics"] == model_v1.metadata["metrics"]


def test_the_openapi_document_is_valid_and_describes_real_answers(service):
    document = requests.get(f"{service}/openapi.json", timeout=10).json()
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)
    jsonschema = pytest.importorskip("jsonschema")

    def check(instance, schema_name):
        schema = {**document, "$ref": f"#/components/schemas/{schema_name}"}
        jsonschema.Draft202012Validator(schema).validate(instance)

    check(example_record(), "House")
    check(predict(service, example_record()).json(), "Predictions")
    check(predict(service, {"OverallQual": 0}).json(), "Error")
    check(requests.get(f"{service}/version", timeout=10).json(), "ModelVersion")
    with pytest.raises(jsonschema.ValidationError):
        check({"Neighborhood": "Atlantis"}, "House")


def test_sigterm_stops_the_service_cleanly(home):
    process = model_service(home, "v1", name="model-service-sigterm").start()
    try:
        process.wait_healthy()
        process._popen.send_signal(signal.SIGTERM)
        assert process._popen.wait(10) == 0
    finally:
        process.stop()
    assert "stopped" in process.log_tail()


def test_an_unknown_model_version_fails_fast_with_a_clear_message(home):
    process = model_service(home, "v9", name="model-service-v9").start()
    try:
        with pytest.raises(ProcessFailed, match="no model version 'v9'"):
            process.wait_healthy(timeout=30)
    finally:
        process.stop()
    assert process.returncode == 1


def test_stop_finishes_requests_in_flight_and_refuses_new_ones():
    """The drain that makes replacement safe: stop() mid-request, the answer still arrives."""
    release, entered = threading.Event(), threading.Event()

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            entered.set()
            release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"finished"]

    port = free_port()
    server = GracefulServer(app, "127.0.0.1", port)
    serving = threading.Thread(target=server.serve)
    serving.start()
    answers = []
    client = threading.Thread(target=lambda: answers.append(requests.get(f"http://127.0.0.1:{port}/slow", timeout=10)))
    client.start()
    try:
        assert entered.wait(10)
        server.stop()
        deadline = time.monotonic() + 5
        while serving.is_alive() and time.monotonic() < deadline:
            try:  # the listener closes within one poll interval; then new connections are refused
                requests.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            except requests.ConnectionError:
                break
        else:
            pytest.fail("the server kept accepting connections after stop()")
        assert serving.is_alive(), "the server exited with a request still in flight"
    finally:
        release.set()
        client.join(10)
        serving.join(10)
    assert [(a.status_code, a.text) for a in answers] == [(200, "finished")]
    assert not serving.is_alive()
