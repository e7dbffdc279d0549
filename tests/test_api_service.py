"""The model service as a real process: its JSON contract, errors, OpenAPI document and lifecycle."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time

import pytest
import requests

from api_helpers import model_fields, model_service
from archlab.testing import require_module
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
        "imputed": [[]],
    }


def test_the_answer_lists_what_was_imputed_per_house(service):
    minimal = {"Neighborhood": "NAmes", "OverallQual": 6, "GrLivArea": 1500}
    response = predict(service, [example_record(), minimal])
    assert response.status_code == 200
    complete, sparse = response.json()["imputed"]
    assert complete == [] and set(sparse) == set(example_record()) - set(minimal)


def test_a_list_is_predicted_in_order(service, model_v1):
    houses = [model_fields(house) for house in new_houses_records()[:40]]
    response = predict(service, houses)
    assert response.status_code == 200
    expected = model_v1.predict([validate_record(house) for house in houses])
    assert response.json()["predictions"] == pytest.approx(expected, rel=1e-9)


def error_body(response, status: int) -> dict:
    """An error in the front's shape: {error, message, ...}, as JSON, never a traceback."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] and body["message"] and "Traceback" not in response.text
    return body


def test_invalid_fields_are_422_with_one_error_per_field_in_the_fronts_shape(service):
    body = error_body(predict(service, {**example_record(), "OverallQual": 11, "Neighborhood": "Atlantis"}), 422)
    assert body["error"] == "Invalid input"  # one title for one 422, the front's and the service's
    errors = {e["field"]: e for e in body["errors"]}
    assert set(errors) == {"OverallQual", "Neighborhood"}
    assert errors["OverallQual"]["expected"] == "an integer from 1 to 10"
    assert errors["OverallQual"]["got"] == 11
    assert "Atlantis" in errors["Neighborhood"]["message"]
    assert body["message"].startswith("invalid house: ") and "row" not in body["message"]


def test_an_empty_house_is_422_naming_the_required_fields(service):
    body = error_body(predict(service, {}), 422)
    assert [e["field"] for e in body["errors"]] == ["Neighborhood", "OverallQual", "GrLivArea"]


def test_invalid_rows_of_a_list_are_named_by_index(service):
    body = error_body(predict(service, [example_record(), {**example_record(), "GrLivArea": "big"}]), 422)
    assert [(row["index"], [e["field"] for e in row["errors"]]) for row in body["rows"]] == [(1, ["GrLivArea"])]


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"42", b'"a house"', b"\xff\xfe"])
def test_a_body_that_is_not_houses_is_400(service, body):
    response = requests.post(f"{service}/v1/predict", data=body, headers={"Content-Type": "application/json"}, timeout=10)
    message = error_body(response, 400)["message"]
    assert "one house as an object" in message or "non-empty list" in message


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_400_not_a_crash(service, depth):
    response = requests.post(f"{service}/v1/predict", data=b"[" * depth + b"]" * depth, timeout=10)
    assert "too deeply" in error_body(response, 400)["message"]


def test_a_body_over_the_limit_is_413(service):
    response = requests.post(f"{service}/v1/predict", data=b" " * (MAX_BODY_BYTES + 1), timeout=10)
    error_body(response, 413)


def test_a_declared_body_over_the_limit_is_413_from_the_header_at_once(service):
    host, port = service.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n{\"a\": 1,")
        head, _, body = sock.makefile("rb").read().partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ") and b"Content-Type: application/json" in head
    assert json.loads(body)["message"] == f"the request body is over the limit of {MAX_BODY_BYTES} bytes"


def test_unknown_paths_answer_json_404(service):
    error_body(requests.get(f"{service}/v2/predict", timeout=10), 404)


def test_a_wrong_method_is_405_with_its_allow_header(service):
    response = requests.get(f"{service}/v1/predict", timeout=10)
    error_body(response, 405)
    assert sorted(response.headers["Allow"].split(", ")) == ["OPTIONS", "POST"]


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
    require_module("openapi_spec_validator").validate(document)
    jsonschema = require_module("jsonschema")

    def check(instance, schema_name):
        schema = {**document, "$ref": f"#/components/schemas/{schema_name}"}
        jsonschema.Draft202012Validator(schema).validate(instance)

    check(example_record(), "House")
    check(predict(service, example_record()).json(), "Predictions")
    check(predict(service, {"OverallQual": 0}).json(), "Error")
    check(predict(service, [example_record(), {}]).json(), "Error")
    check(requests.get(f"{service}/version", timeout=10).json(), "ModelVersion")
    for refused in ({"Neighborhood": "Atlantis"}, {}, {**example_record(), "GrLivArea": "NA"}):
        with pytest.raises(jsonschema.ValidationError):
            check(refused, "House")
        assert predict(service, refused).status_code == 422


def test_the_documented_loose_forms_are_really_accepted(service):
    """Numeric text, a category code as a number and the missing markers: documented and served."""
    house = {**example_record(), "GrLivArea": "1500", "YrSold": "2008", "MSSubClass": 60,
             "LotFrontage": "NA", "BsmtQual": "", "GarageArea": None, "FireplaceQu": "Missing"}
    response = predict(service, house)
    assert response.status_code == 200
    assert response.json()["imputed"] == [["BsmtQual", "FireplaceQu", "LotFrontage", "GarageArea"]]


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
