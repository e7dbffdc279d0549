"""The streaming canary on a real broker and two real app instances: a new version reaches one
instance first; the faulty v3 is aborted at that instance's first flagged answer and never reaches
the other; a good version is promoted to every instance; a restarted instance ends on the serving
version. Read from the traffic log (which instance gave which answer) and the instances' /status.

The tests share one system and run in order: v1, the good canary of v2 promoted, the faulty canary
of v3 aborted (twice: the second after the first's pin took that build off), restarts."""

from __future__ import annotations

import pytest

from shared_model import ModelStore, example_record

from archlab.compare.budget import QUICK
from archlab.compare.drill import steady_traffic
from archlab.compare.guards import run_guard_drill
from patterns import http
from patterns.launch.protocols import ReleasesUnderGuard
from patterns.settings import Settings
from patterns.streaming.lab.system import StreamingSystem
from patterns.streaming.pin import PIN_FILE, PinRefused, make_pin, verified_pin

from launch_helpers import writable_home

pytestmark = pytest.mark.slow

SHARE_TOLERANCE = 0.1  # absolute, around one instance's share of two; both load workers are paced alike


@pytest.fixture(scope="module")
def system(faulty_home, tmp_path_factory):
    home = writable_home(faulty_home, tmp_path_factory.mktemp("guards-streaming"))
    with StreamingSystem(settings=Settings(home=home, arch="streaming"), version="v1", instances=2) as running:
        yield running


def statuses(system) -> dict[str, dict]:
    return {name: http.call_json("GET", system.component(name).url + "/status", timeout=5)
            for name in system.front_names}


def test_a_canary_pin_serves_a_newer_version_on_its_instance_and_cannot_be_readdressed(faulty_home):
    store = ModelStore(faulty_home / "models")
    metadata, files = store.verified_files("v3")
    pin, pin_files = make_pin(metadata, store.metadata("v2"), store.key, audience="web-2")
    assert verified_pin({**files, **pin_files}, metadata, store.trusted) == pin
    assert pin.headers()["audience"] == "web-2"  # a hint to skip it unopened; the signed pin.json decides
    with pytest.raises(ValueError, match="v3 is not older than v2"):  # for every instance: a rollback only
        make_pin(metadata, store.metadata("v2"), store.key)
    for everyone in (b'""', b'"web"'):
        with pytest.raises(PinRefused, match="not a trusted key"):
            verified_pin({**files, **pin_files, PIN_FILE: pin_files[PIN_FILE].replace(b'"web-2"', everyone)},
                         metadata, store.trusted)


def test_streaming_offers_a_canary_with_two_instances_and_none_with_one(system):
    assert isinstance(system, ReleasesUnderGuard)
    assert system.release_guards() == ("canary",)
    assert StreamingSystem(settings=system.settings, instances=1).release_guards() == ()
    with pytest.raises(ValueError, match="offers the guards canary; got 'shadow'"):
        system.release_under_guard("v3", "shadow", 1.0)


def test_a_good_canary_reaches_one_instance_then_every_instance(system):
    with steady_traffic(system, QUICK, example_record(), bad="v2", good="v1") as (run, _):
        started = run.clock()
        report = system.release_under_guard("v2", "canary", QUICK.drill_watch_s)
    assert report.outcome == "promoted" and report.reason is None and report.started == ()
    observed = report.observed
    assert observed["instance"] == "web-2" and observed["flagged"] == 0 and observed["answers"] >= 3
    assert report.live_s >= QUICK.drill_watch_s
    assert abs(observed["share"] - 1 / observed["instances"]) <= SHARE_TOLERANCE
    assert observed["served_after"] == ["v2", "v2"] and "hot swap" in observed["promotion"]
    log = [p for p in run.result().samples if p.t_s >= started]
    # web-2 served v2 while web still served v1: the canary went to one instance first
    first_v2_on_web = min((p.t_s for p in log if p.worker == 0 and p.value == "v2"), default=float("inf"))
    assert sum(p.value == "v2" for p in log if p.worker == 1 and p.t_s < first_v2_on_web) >= 3
    assert all(p.ok for p in log)
    assert system.served_versions() == ["v2", "v2"]


def test_a_faulty_canary_reaches_only_one_instance_and_is_aborted_at_its_first_flagged_answer(system):
    drill = run_guard_drill(system, "canary", QUICK, example_record())
    check_aborted(system, drill)


def test_the_same_faulty_build_can_be_tried_again_after_its_abort(system):
    """A rollback pin took v3's build off every instance (as the drill before a guard drill does):
    the next canary of it is a later pin and still reaches the canary instance alone."""
    drill = run_guard_drill(system, "canary", QUICK, example_record())
    check_aborted(system, drill)


def check_aborted(system, drill) -> None:
    log = drill.timeline
    assert drill.outcome == "aborted" and drill.stopped and drill.rollback_strategy is None
    assert drill.reason.startswith("model v3: price") and "above the highest sale price" in drill.reason
    observed = drill.observed
    assert observed["first_flag"] == drill.reason  # the canary instance judged its own answer
    assert drill.bad_answers == sum(p.version == "v3" for p in log) == observed["flagged"] == 1
    assert [p.version for p in log if p.worker == 0 and p.version != "v2"] == []  # web never served v3
    web_2 = [p.version for p in log if p.worker == 1]
    assert web_2.index("v3") < len(web_2) - 1 and set(web_2[web_2.index("v3") + 1:]) == {"v2"}
    assert drill.failed == 0 and drill.extra_processes == 0 and "starts no process" in drill.strategy
    assert "signed rollback" in observed["abort"] and observed["served_after"] == ["v2", "v2"]
    pins = [s["pin"] for s in statuses(system).values()]
    assert [(p["serve"], p["replaces"], p["audience"]) for p in pins] == [("v2", "v3", "")] * 2


def test_instances_restarted_after_an_aborted_canary_serve_the_serving_version(system):
    for name in reversed(system.front_names):  # the canary instance first: it read the canary's pin
        system.restart(name)
        system.wait_until_serving()
        assert system.served_versions() == ["v2", "v2"], f"{name} restarted on another version"
    after = statuses(system)
    assert after["web-2"]["canary"] is None  # the aborted canary was never served again
    assert [s["pin"]["replaces"] for s in after.values()] == ["v3", "v3"]
