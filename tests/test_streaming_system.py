"""The streaming architecture end to end: a real broker, real front processes, real HTTP traffic."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from shared_model import example_record

from patterns.launch.probe import Prober
from patterns.launch.systems import launch
from patterns.settings import Settings


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def predict(url: str) -> tuple[int, dict]:
    request = urllib.request.Request(url + "/predict", data=json.dumps(example_record()).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, json.loads(response.read())


def wait_until(predicate, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def never_back(versions: list[str]) -> bool:
    """True if the sequence only moves forward: once v2 was served, v1 never again."""
    seen: list[str] = []
    for version in versions:
        if version in seen and version != seen[-1]:
            return False
        if not seen or version != seen[-1]:
            seen.append(version)
    return True


@pytest.fixture
def start_system(home_with_models, monkeypatch):
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    systems = []

    def start(**options):
        systems.append(launch("streaming", settings=Settings.from_env(), **options))
        return systems[-1].__enter__()

    yield start
    for system in systems:
        system.close()


@pytest.mark.slow
def test_publishing_v2_under_traffic_switches_two_instances_with_no_failed_request(start_system):
    system = start_system(instances=2, version="v1")
    assert system.served_versions() == ["v1", "v1"]

    with Prober(system.front_urls[0], example_record()) as client:
        report = system.publish_and_wait("v2")
        wait_until(lambda: len(client.probes) >= 10 and client.probes[-10].model_version == "v2",
                   "ten more answers after the switch")

    assert report.version_after == ["v2", "v2"]
    assert report.failed_requests == 0 and report.probe_requests > 0, report.errors
    # each instance's prober stops as soon as the last instance switched: it may not have seen v2 yet
    assert all(seen in (["v1"], ["v1", "v2"]) for seen in report.versions_seen), report.versions_seen
    assert report.rebuilt == () and report.restarted == ()
    assert client.failures == 0
    served = [probe.model_version for probe in client.probes]
    assert served[0] == "v1" and served[-1] == "v2"
    assert never_back(served), served


@pytest.mark.slow
def test_a_tampered_model_is_rejected_by_the_running_app_and_v1_keeps_serving(start_system):
    system = start_system(version="v1")

    system.publish_tampered("v2")
    wait_until(lambda: get(system.url + "/status")["rejected"] == 1, "the app to reject the message")

    status, body = predict(system.url)
    assert status == 200 and body["model_version"] == "v1"
    assert "tampered" in get(system.url + "/status")["last_error"]


@pytest.mark.slow
def test_the_app_answers_through_a_broker_restart_and_then_receives_a_new_version(start_system):
    system = start_system(version="v1")
    with Prober(system.url, example_record()) as client:
        system.stop_component("broker")
        wait_until(lambda: get(system.url + "/status")["broker"] == "unavailable", "the app to report the broker down")
        answered_while_down = len(client.probes)
        wait_until(lambda: len(client.probes) > answered_while_down + 5, "requests while the broker is down")

        system.start_component("broker")  # comes back empty; the publisher side re-publishes v1
        report = system.publish_and_wait("v2")

    assert report.version_after == ["v2"]
    assert client.failures == 0
    assert never_back([probe.model_version for probe in client.probes])
    assert get(system.url + "/status")["broker"] == "available"


@pytest.mark.slow
def test_archlab_publish_finds_the_running_local_broker(start_system, capsys):
    from archlab.cli import main

    system = start_system(version="v1")

    assert main(["publish", "v2"]) == 0
    assert "published v2" in capsys.readouterr().out
    system.wait_until_serving("v2", timeout=20)
    assert main(["publish", "v9"]) == 2
    assert "no model version 'v9'" in capsys.readouterr().err
