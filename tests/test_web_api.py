"""The JSON contract of the front and every error case, through a real embedded front on loopback."""

from __future__ import annotations

import json

import pytest
import requests

from launch_helpers import bare_front, embedded_system, writable_home
from patterns.web import MAX_CONTENT_LENGTH, create_app
from patterns.web.backend import Accepted
from shared_model import example_record

pytestmark = pytest.mark.slow  # starts real front processes

CONTRACT_KEYS = {"architecture", "model_version", "predictions", "imputed", "elapsed_ms"}
MINIMAL = {"Neighborhood": "NAmes", "OverallQual": 6, "GrLivArea": 1500}  # shared_model.REQUIRED_FIELDS


@pytest.fixture(scope="module")
def front(trained_home, tmp_path_factory):
    home = writable_home(trained_home, tmp_path_factory.mktemp("front-home"))
    with embedded_system(home, "v2") as system:
        yield system.url


@pytest.fixture(scope="module")
def unavailable_front(tmp_path_factory):
    """A front started without its model package: the embedded back end really cannot answer."""
    with bare_front(tmp_path_factory.mktemp("bare-home")) as process:
        yield process.url


def assert_clean_error(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text and 'File "' not in response.text
    body = response.json()
    assert body["error"] and body["message"]
    return body


def bigger(record: dict) -> dict:
    return {**record, "OverallQual": 9, "GrLivArea": 3000, "GarageCars": 3}


def test_one_house_gets_a_price_with_version_and_architecture(front):
    response = requests.post(f"{front}/predict", json=example_record(), timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == CONTRACT_KEYS
    assert body["architecture"] == "embedded"
    assert body["model_version"] == "v2"
    [price] = body["predictions"]
    assert 50_000 < price < 500_000
    assert body["imputed"] == [[]]  # the example gives every field
    assert body["elapsed_ms"] >= 0


def test_an_empty_house_is_refused_naming_the_fields_a_price_needs(front):
    body = assert_clean_error(requests.post(f"{front}/predict", json={}, timeout=10), 422)
    assert [error["field"] for error in body["errors"]] == ["Neighborhood", "OverallQual", "GrLivArea"]
    assert all("is required" in error["message"] for error in body["errors"])


def test_a_minimal_house_is_priced_and_the_answer_lists_what_was_imputed(front):
    response = requests.post(f"{front}/predict", json=[MINIMAL, {**MINIMAL, "LotFrontage": 80}], timeout=10)
    assert response.status_code == 200
    first, second = response.json()["imputed"]
    assert len(first) == len(example_record()) - len(MINIMAL) and "LotFrontage" in first
    assert set(first) - set(second) == {"LotFrontage"}


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_400_not_a_crash(front, depth):
    response = requests.post(f"{front}/predict", data=b"[" * depth + b"]" * depth, timeout=10)
    assert "too deeply" in assert_clean_error(response, 400)["message"]
    assert requests.post(f"{front}/predict", json=example_record(), timeout=10).status_code == 200


def test_a_list_gets_one_price_per_house_in_order_same_as_singly(front):
    houses = [example_record(), bigger(example_record())]
    batch = requests.post(f"{front}/predict", json=houses, timeout=10).json()["predictions"]
    singly = [requests.post(f"{front}/predict", json=house, timeout=10).json()["predictions"][0] for house in houses]
    assert batch == pytest.approx(singly, rel=1e-9)
    assert batch[1] > batch[0]


def test_example_is_a_valid_house_that_round_trips(front):
    example = requests.get(f"{front}/example", timeout=10).json()
    assert example == json.loads(json.dumps(example_record()))
    assert requests.post(f"{front}/predict", json=example, timeout=10).status_code == 200


def test_health_and_status_report_the_running_model(front):
    assert requests.get(f"{front}/health", timeout=10).json() == {"status": "ok", "architecture": "embedded"}
    status = requests.get(f"{front}/status", timeout=10).json()
    assert status["architecture"] == "embedded" and status["model_version"] == "v2"
    assert status["runtime"]["scikit_learn_loaded"]  # the embedded app carries the model's libraries


def test_invalid_fields_get_422_with_one_error_per_field(front):
    house = {**example_record(), "OverallQual": 11, "GrLivArea": "huge", "Neighborhood": "Atlantis"}
    body = assert_clean_error(requests.post(f"{front}/predict", json=house, timeout=10), 422)
    assert body["error"] == "Invalid input"  # the model service's 422 has the same title
    errors = {error["field"]: error for error in body["errors"]}
    assert set(errors) == {"OverallQual", "GrLivArea", "Neighborhood"}
    assert errors["OverallQual"]["got"] == 11 and "1 to 10" in errors["OverallQual"]["message"]
    assert errors["GrLivArea"]["got"] == "huge" and "number" in errors["GrLivArea"]["expected"]
    assert "NAmes" in errors["Neighborhood"]["expected"]


def test_unknown_field_is_named_in_the_422(front):
    body = assert_clean_error(requests.post(f"{front}/predict", json={**MINIMAL, "Bedrooms": 3}, timeout=10), 422)
    assert [error["field"] for error in body["errors"]] == ["Bedrooms"]


def test_a_list_with_bad_rows_gets_errors_per_row(front):
    good = example_record()
    houses = [good, {**good, "YrSold": 1700}, good, {**good, "GarageCars": 1.5}, "not a house"]
    body = assert_clean_error(requests.post(f"{front}/predict", json=houses, timeout=10), 422)
    rows = {row["index"]: [error["field"] for error in row["errors"]] for row in body["rows"]}
    assert rows == {1: ["YrSold"], 3: ["GarageCars"], 4: ["_record"]}


@pytest.mark.parametrize("body", [b"{not json", b'{"OverallQual": 5', b"\xff\xfe"])
def test_malformed_json_is_400(front, body):
    response = requests.post(f"{front}/predict", data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert "not valid JSON" in assert_clean_error(response, 400)["message"]


@pytest.mark.parametrize("body", [b"42", b'"house"', b"[]", b"null"])
def test_json_that_is_not_a_house_or_list_is_400(front, body):
    response = requests.post(f"{front}/predict", data=body, timeout=10)
    assert "GET /example" in assert_clean_error(response, 400)["message"]


def test_body_over_the_documented_limit_is_413(front):
    body = b"[" + b" " * MAX_CONTENT_LENGTH + b"]"
    response = requests.post(f"{front}/predict", data=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert str(MAX_CONTENT_LENGTH) in assert_clean_error(response, 413)["message"]


def test_all_new_houses_fit_under_the_limit(front):
    from shared_model.data import new_houses_records

    body = json.dumps(new_houses_records()).encode()
    assert len(body) < MAX_CONTENT_LENGTH


def test_unknown_route_and_wrong_method_are_clean(front):
    wrong_method = requests.get(f"{front}/predict", timeout=10)
    assert_clean_error(wrong_method, 405)
    assert sorted(wrong_method.headers["Allow"].split(", ")) == ["OPTIONS", "POST"]
    response = requests.get(f"{front}/nowhere", headers={"Accept": "application/json"}, timeout=10)
    assert_clean_error(response, 404)


def test_model_back_end_unavailable_is_503_json_and_page(unavailable_front):
    response = requests.post(f"{unavailable_front}/predict", json=example_record(), timeout=10)
    assert "not installed" in assert_clean_error(response, 503)["message"]
    page = requests.post(unavailable_front, data=MINIMAL, timeout=10)
    assert page.status_code == 503 and "text/html" in page.headers["Content-Type"]
    assert "not installed" in page.text and "Traceback" not in page.text
    assert requests.get(f"{unavailable_front}/health", timeout=10).status_code == 200
    assert requests.get(f"{unavailable_front}/status", timeout=10).json()["model_version"] is None


class BrokenBackend:
    """A back end with a bug: the front must answer a clean 500 and log, never leak the details."""

    architecture = "embedded"

    def predict(self, records):
        raise RuntimeError("secret internal detail")

    def status(self):
        return {}

    def blueprint(self):
        return None

    def close(self):
        pass


def test_unexpected_error_is_a_clean_500_without_details():
    client = create_app(BrokenBackend()).test_client()
    response = client.post("/predict", json=example_record())
    assert response.status_code == 500
    assert response.json["error"] == "Internal error"
    page = client.post("/", data=MINIMAL)
    assert page.status_code == 500 and b"Internal error" in page.data
    for text in (response.get_data(as_text=True), page.get_data(as_text=True)):
        assert "secret internal detail" not in text and "Traceback" not in text


def test_prediction_of_async_backend_is_202_with_tickets():
    class Storing(BrokenBackend):
        architecture = "async"

        def predict(self, records):
            return Accepted([{"id": str(i), "status_url": f"/requests/{i}"} for i, _ in enumerate(records)])

    response = create_app(Storing()).test_client().post("/predict", json=[example_record(), example_record()])
    assert response.status_code == 202
    assert response.json == {
        "architecture": "async",
        "tickets": [{"id": "0", "status_url": "/requests/0"}, {"id": "1", "status_url": "/requests/1"}],
        "imputed": [[], []],
    }
