"""The api architecture end to end over HTTP: front process -> model service process.

What a user of the front notices: the same prices as the model itself, a clear 503 while the
model service is down or hung, recovery without a manual step, and no failed request while
the model service is replaced by a new version.
"""

from __future__ import annotations

import threading

import pytest
import requests

from api_helpers import HungServer, api_settings, model_fields
from launch_helpers import writable_home
from patterns.api.lab.system import ApiSystem
from patterns.web.auth import admin_headers
from shared_model import ModelStore, example_record, validate_record
from shared_model.data import new_houses_records


@pytest.fixture(scope="module")
def home(trained_home, tmp_path_factory):
    return writable_home(trained_home, tmp_path_factory.mktemp("api-front"))


@pytest.fixture(scope="module")
def system(home):
    with ApiSystem(version="v1", settings=api_settings(home)) as running:
        yield running


def predict(system, body):
    return requests.post(system.url + "/predict", json=body, timeout=10)


def switch(system, url, headers=None):
    """The admin switch, signed with the launcher's own admin token unless `headers` says otherwise."""
    headers = admin_headers(system.settings) if headers is None else headers
    return requests.post(system.url + "/admin/model-service", json={"url": url}, headers=headers, timeout=10)


def test_the_front_gives_the_same_prices_as_shared_model(system, home):
    model = ModelStore(home / "models").load("v1")
    houses = [model_fields(house) for house in new_houses_records()[:25]]  # with "NA" (missing) values
    one = predict(system, houses[0]).json()
    many = predict(system, houses).json()
    assert (one["architecture"], one["model_version"]) == ("api", "v1")
    assert one["predictions"] == [model.predict_one(validate_record(houses[0]))]
    assert many["predictions"] == pytest.approx(model.predict([validate_record(h) for h in houses]), rel=1e-9)


def test_status_says_which_service_answers(system):
    status = requests.get(system.url + "/status", timeout=10).json()
    assert status["transport"] == "http"
    assert status["runtime"]["scikit_learn_loaded"] is False  # the front stays free of the model's libraries
    service = status["model_service"]
    assert (service["url"], service["ready"], service["model_version"]) == (
        system.component("model-service").url, True, "v1",
    )


def test_service_down_gives_503_then_recovers_by_itself(system):
    system.stop_component("model-service")
    try:
        down = predict(system, example_record())
        page = requests.post(system.url + "/", data={"Neighborhood": "NAmes", "OverallQual": "6", "GrLivArea": "1500"},
                             headers={"Accept": "text/html"}, timeout=10)
    finally:
        system.start_component("model-service")
    assert down.status_code == 503
    assert "is not reachable (connection refused)" in down.json()["message"]
    assert page.status_code == 503
    assert "text/html" in page.headers["Content-Type"]
    assert "Model back end unavailable" in page.text and "Traceback" not in page.text
    back = predict(system, example_record())
    assert (back.status_code, back.json()["model_version"]) == (200, "v1")


def test_a_hung_service_gives_503_within_the_read_timeout(system):
    healthy_url = system.component("model-service").url
    with HungServer() as hung:
        assert switch(system, hung.url).status_code == 200
        try:
            response = predict(system, example_record())
        finally:
            switch(system, healthy_url)
    assert response.status_code == 503
    assert response.json()["message"] == f"the model service at {hung.url} did not answer within 1 s"
    assert predict(system, example_record()).status_code == 200


@pytest.mark.parametrize("body", [{"url": "ftp://127.0.0.1:1"}, {"url": "http://127.0.0.1:99999"}, {}, ["x"]])
def test_the_admin_switch_refuses_what_is_not_a_service_url(system, body):
    response = requests.post(system.url + "/admin/model-service", json=body, headers=admin_headers(system.settings),
                             timeout=10)
    assert response.status_code == 400
    assert response.json()["message"]
    assert predict(system, example_record()).status_code == 200


def test_only_the_admin_may_switch_the_model_service_and_only_from_this_site(system):
    elsewhere = "http://127.0.0.1:1"
    admin = admin_headers(system.settings)
    assert switch(system, elsewhere, headers={}).status_code == 401
    assert switch(system, elsewhere, headers={"Authorization": "Bearer not-the-token"}).status_code == 401
    assert switch(system, elsewhere, headers={**admin, "Origin": "http://evil.example"}).status_code == 403
    plain = requests.post(system.url + "/admin/model-service", data='{"url": "http://127.0.0.1:1"}',
                          headers={**admin, "Content-Type": "text/plain"}, timeout=10)
    assert plain.status_code == 415  # what a cross-site form could send
    status = requests.get(system.url + "/status", timeout=10).json()
    assert status["model_service"]["url"] == system.component("model-service").url  # nothing switched


@pytest.mark.slow
def test_replacing_the_model_service_under_traffic_fails_no_request(system):
    """Last in this module: it leaves the shared system serving v2."""
    failures, stop = [], threading.Event()
    versions = {n: [] for n in range(4)}  # per client: its answers in order

    def traffic(url, n):
        with requests.Session() as session:
            while not stop.is_set():
                try:
                    response = session.post(url + "/predict", json=example_record(), timeout=10)
                    response.raise_for_status()
                    versions[n].append(response.json()["model_version"])
                except requests.RequestException as exc:
                    failures.append(repr(exc))

    old_service = system.component("model-service")
    threads = [threading.Thread(target=traffic, args=(system.url, n)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        report = system.update_model("v2")
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    assert not old_service.running
    assert system.component("model-service").running
    assert failures == []
    assert (report.served_before, report.served_after) == (("v1",), ("v2",))
    assert sorted({v for seen in versions.values() for v in seen}) == ["v1", "v2"]
    for seen in versions.values():  # a client that got v2 never gets v1 again: the switch is one-way
        assert seen == sorted(seen) and seen[-1] == "v2"
    assert report.restarted == ("model-service",)  # observed: a new process id
    assert report.strategy.startswith("blue/green")


def test_front_restarted_after_a_replacement_still_calls_the_new_service(system):
    """Runs after the replacement above: the switch survives a restart of the front itself."""
    system.restart(system.front_name)
    answer = predict(system, [example_record()])
    assert answer.status_code == 200 and answer.json()["model_version"] == "v2"
