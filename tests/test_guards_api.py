"""Guards against a bad model on the running api system (HTTP): the faulty v3 released as a canary
(aborted by the plausibility rule on its answers) and as a shadow (rejected, its answers never
reaching a user), and a good canary's share of the traffic, all read from the traffic log."""

from __future__ import annotations

import pytest

from shared_model import example_record

from archlab.compare.budget import QUICK
from archlab.compare.guards import run_guard_drill
from patterns import http
from patterns.launch.protocols import ReleasesUnderGuard
from patterns.api.lab.system import ApiSystem
from patterns.settings import Settings
from patterns.web.auth import admin_headers

from launch_helpers import writable_home

pytestmark = pytest.mark.slow

CANARY_SHARE_TOLERANCE = 0.03  # absolute: about one answer in the ~60 a 1.5 s watch sees


@pytest.fixture(scope="module")
def system(faulty_home, tmp_path_factory):
    home = writable_home(faulty_home, tmp_path_factory.mktemp("guards-api"))
    with ApiSystem(settings=Settings(home=home, arch="api"), version="v2", transport="http") as running:
        yield running


def test_the_api_offers_a_canary_and_a_shadow_over_http(system):
    assert isinstance(system, ReleasesUnderGuard)
    assert system.release_guards() == ("canary", "shadow")
    with pytest.raises(ValueError, match="offers the guards canary, shadow; got 'blue'"):
        system.release_under_guard("v3", "blue", 1.0)


def test_a_faulty_canary_is_aborted_at_its_first_flagged_answer(system):
    drill = run_guard_drill(system, "canary", QUICK, example_record())
    log = drill.timeline
    assert drill.outcome == "aborted" and drill.stopped and drill.rollback_strategy is None
    assert drill.reason.startswith("model v3: price") and "above the highest sale price" in drill.reason
    assert drill.observed["ended"] == drill.reason  # the front itself took it out of rotation
    assert drill.bad_answers == sum(p.version == "v3" for p in log) >= 1
    assert drill.bad_answers <= drill.observed["answers"]  # users got v3 only from the canary's answers
    assert drill.failed == 0 and drill.requests == len(log)
    assert drill.extra_processes == 1 and drill.extra_rss_mib > 0
    assert log[-1].version == "v2" and system.served_versions() == ["v2"]
    assert "model-service-canary" not in system.components


def test_a_faulty_shadow_is_rejected_and_none_of_its_answers_reach_a_user(system):
    drill = run_guard_drill(system, "shadow", QUICK, example_record())
    assert drill.outcome == "rejected" and drill.stopped
    assert [p for p in drill.timeline if p.version not in ("v2", None)] == []  # the traffic log: v2 only
    assert drill.bad_answers == 0 and drill.failed == 0
    observed = drill.observed
    assert observed["mirrored"] >= 3 and observed["flagged"] == observed["mirrored"]
    assert observed["agreement"] == 0.0  # v3's prices are ten times v2's
    assert drill.extra_processes == 1 and observed["shadow_ms_p50"] > 0
    assert system.served_versions() == ["v2"]


def test_a_good_canary_takes_its_share_of_the_traffic_and_is_promoted(system):
    drill = run_guard_drill(system, "canary", QUICK, example_record(), bad="v1", good="v2")
    assert drill.outcome == "promoted" and not drill.stopped and drill.reason is None
    assert drill.answers_during >= 30
    assert abs(drill.bad_share_during - drill.observed["share"]) <= CANARY_SHARE_TOLERANCE
    assert drill.rollback_strategy  # promoted everywhere, then rolled back to v2 by the drill
    assert system.served_versions() == ["v2"]


def test_the_front_refuses_a_bad_guard_request(system):
    url = system.url + "/admin/canary"
    headers = admin_headers(system.settings)
    with pytest.raises(http.BadStatus) as refused:
        http.call_json("POST", url, json={"url": "http://127.0.0.1:1", "share": 2}, headers=headers)
    assert refused.value.status == 400 and "between 0 and 1" in str(refused.value)
    with pytest.raises(http.BadStatus) as missing:
        http.call_json("GET", url, headers=headers)
    assert missing.value.status == 404
