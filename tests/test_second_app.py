"""A second, different application on the same model (the pricing report), through each
architecture: it prices the same houses the front prices, and a model update reaches it the way
the architecture reaches every consumer (embedded: rebuilt and restarted; API: calls the new
service; streaming: consumes the publish; async: reads the re-run, reviewed predictions)."""

from __future__ import annotations

import time

import pytest
import requests

from launch_helpers import writable_home
from patterns.launch.architectures import launch
from patterns.report_app import create_report_app
from patterns.report_app.report import HOUSES, portfolio
from patterns.settings import Settings
from patterns.web.backend import BackendUnavailable

pytestmark = pytest.mark.slow  # real systems with a second app beside the front

# -- the app itself, on a fake back end (flaskr-style) ------------------------------------------

@pytest.fixture
def report_client(fake_backend):
    return create_report_app(fake_backend, settings=Settings(admin_token="t0ken")).test_client()


def test_the_report_lists_each_house_of_its_portfolio(report_client, fake_backend):
    answer = report_client.get("/report").get_json()
    assert [line["house"] for line in answer["houses"]] == [house for house, _ in portfolio()]
    assert {line["price"] for line in answer["houses"]} == {123_456.0}
    assert len(fake_backend.seen[0]) == HOUSES
    assert report_client.get("/status").get_json()["model_version"] == "v-fake"


def test_an_unavailable_back_end_is_a_503_and_unknown_paths_a_404(report_client, fake_backend):
    fake_backend.error = BackendUnavailable("the model service is away")
    response = report_client.get("/report", headers={"Accept": "application/json"})
    assert response.status_code == 503 and response.get_json()["message"] == "the model service is away"
    page = report_client.get("/report")  # a browser gets the message on a page
    assert page.status_code == 503 and "the model service is away" in page.get_data(as_text=True)
    missing = report_client.get("/predict", headers={"Accept": "application/json"})
    assert missing.status_code == 404 and missing.get_json()["error"] == "Not Found"


def test_re_pointing_the_report_needs_the_admin_and_a_body_of_settings(report_client):
    admin = {"Authorization": "Bearer t0ken"}
    assert report_client.post("/admin/settings", json={"env": {}}).status_code == 401
    assert report_client.post("/admin/settings", data="env", headers=admin).status_code == 415
    bad = report_client.post("/admin/settings", json={"env": {"MODEL_TIMEOUT": 5}}, headers=admin)
    assert bad.status_code == 400 and "env" in bad.get_json()["message"]


# -- through each architecture ------------------------------------------------------------------

OPTIONS = {"embedded": {}, "api": {}, "streaming": {"instances": 2}, "async": {"every": 0.5}}
SCIKIT_LEARN_IN_THE_APP = {"embedded": True, "api": False, "streaming": True, "async": False}


@pytest.fixture(scope="module", params=list(OPTIONS))
def system(request, trained_home, tmp_path_factory):
    arch = request.param
    home = writable_home(trained_home, tmp_path_factory.mktemp(f"second-app-{arch}"))
    with launch(arch, second_app=True, settings=Settings(home=home), version="v1", namespace="second-app",
                **OPTIONS[arch]) as running:
        yield running


def report(system) -> dict:
    response = requests.get(system.second_app_url + "/report", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def report_until(system, predicate, timeout: float = 30.0) -> dict:
    """The report once `predicate(report)` holds (an update reaches a streaming app a moment later)."""
    deadline = time.monotonic() + timeout
    while not predicate(answer := report(system)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return answer


def test_the_report_prices_its_houses_through_the_architecture(system):
    answer = report(system)
    status = requests.get(system.second_app_url + "/status", timeout=10).json()
    assert answer["architecture"] == status["architecture"] == system.architecture
    assert [line["house"] for line in answer["houses"]] == [house for house, _ in portfolio()]
    assert status["runtime"]["scikit_learn_loaded"] is SCIKIT_LEARN_IN_THE_APP[system.architecture]
    if system.capabilities.answers_later:  # stored, not yet reviewed: no price is shown
        assert all(line["price"] is None for line in answer["houses"])
        assert {line["state"] for line in answer["houses"]} <= {"queued", "awaiting review"}
        return
    _, first_house = portfolio()[0]
    front = requests.post(system.url + "/predict", json=first_house, timeout=30).json()
    assert answer["houses"][0]["price"] == pytest.approx(front["predictions"][0], abs=0.01)  # the same model
    assert answer["model_versions"] == [status["model_version"]] == ["v1"]


def test_a_model_update_reaches_the_report(system):
    update = system.update_model("v2")
    answer = report_until(system, lambda r: r["model_versions"] == ["v2"])
    assert answer["model_versions"] == ["v2"] and len(answer["houses"]) == HOUSES
    assert all(line["price"] for line in answer["houses"])
    assert requests.get(system.second_app_url + "/status", timeout=10).json()["model_version"] == "v2"
    # Only the app that carries its own copy of the model is restarted to get the new one.
    assert ("report" in update.restarted) is (system.architecture == "embedded")
    if system.architecture == "embedded":
        assert any("report-env" in item for item in update.rebuilt)
    if system.capabilities.answers_later:  # the report's stored requests were re-run and reviewed
        assert {line["state"] for line in answer["houses"]} == {"available"}

