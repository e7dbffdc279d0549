"""The streaming architecture end to end: a real broker, real front processes, real HTTP traffic."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from shared_model import example_record

from archlab.measure.load import start_load
from archlab.notebook.traffic import update_under_traffic
from measure_helpers import model_version
from patterns.launch.architectures import launch
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

    update, report = update_under_traffic(system, "v2")  # traffic to both instances

    assert report["served_after"] == ["v2", "v2"]
    assert report["rebuilt"] == [] and report["restarted"] == []
    assert update.failed == 0 and update.converged_s is not None
    assert update.details["bundle_bytes"] > 1000  # what every instance fetched: the plan's fan-out reads it
    for worker in (0, 1):  # each instance, on its own: v1 first, then v2 and never v1 again
        served = [p.version for p in update.timeline if p.worker == worker]
        assert served[0] == "v1" and served[-1] == "v2" and never_back(served), served


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
    client = start_load(system.url + "/predict", method="POST", json=example_record(), extract=model_version,
                        count=100_000, duration_s=60, interval_s=0.02, progress=False)
    try:
        system.stop_component("broker")
        wait_until(lambda: get(system.url + "/status")["broker"] == "unavailable", "the app to report the broker down")
        answered_while_down = len(client.snapshot())
        wait_until(lambda: len(client.snapshot()) > answered_while_down + 5, "requests while the broker is down")

        system.start_component("broker")  # comes back empty; the publisher side re-publishes v1
        report = system.update_model("v2")
    finally:
        client.stop()
    samples = client.result().samples

    assert report.served_after == ("v2",)
    assert [s for s in samples if not s.ok] == []
    assert never_back([s.value for s in samples])
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
