"""The embedded architecture's guard against a bad model: a canary replica behind the real balancer
(Caddy's weighted round robin), watched by the plausibility rule on its own answers. The faulty v3
is aborted at its first flagged answer; a good version takes its share of the traffic and is
promoted by the rolling update; both read from the traffic users got. Without the balancer there
is no canary to offer."""

from __future__ import annotations

import pytest

from shared_model import example_record

from archlab.compare.budget import QUICK
from archlab.compare.guards import run_guard_drill
from patterns.embedded.deploy import app_env
from patterns.embedded.lab.canary import CANARY_SHARE
from patterns.embedded.lab.system import EmbeddedSystem
from patterns.launch.protocols import ReleasesUnderGuard
from patterns.settings import Settings

from launch_helpers import writable_home

pytestmark = pytest.mark.slow  # real replicas behind a real Caddy

SHARE_TOLERANCE = 0.03  # absolute, around 5 %: about two answers in the ~75 a 1.5 s watch sees
FEW_BAD_ANSWERS = 2  # the flagged answer, and at most one more before the canary left the rotation


@pytest.fixture(scope="module")
def system(faulty_home, tmp_path_factory):
    home = writable_home(faulty_home, tmp_path_factory.mktemp("guards-embedded"))
    with EmbeddedSystem(settings=Settings(home=home), version="v2", instances=2, balancer=True) as running:
        yield running


def test_behind_its_balancer_embedded_offers_a_canary_and_without_one_nothing(system, faulty_home):
    assert isinstance(system, ReleasesUnderGuard) and system.release_guards() == ("canary",)
    naive = EmbeddedSystem(settings=Settings(home=faulty_home), instances=2)  # stop-then-start, no balancer
    assert naive.release_guards() == ()
    with pytest.raises(ValueError, match="without a balancer offers the guards none; got 'canary'"):
        naive.release_under_guard("v3", "canary", 1.0)
    with pytest.raises(ValueError, match="offers the guards canary; got 'shadow'"):
        system.release_under_guard("v3", "shadow", 1.0)


def test_a_faulty_canary_is_aborted_at_its_first_flagged_answer(system):
    drill = run_guard_drill(system, "canary", QUICK, example_record())
    log, observed = drill.timeline, drill.observed
    assert drill.outcome == "aborted" and drill.stopped and drill.rollback_strategy is None
    assert drill.reason.startswith("model v3: price") and "above the highest sale price" in drill.reason
    assert observed["first_flag"] == drill.reason and observed["flagged"] >= 1  # the replica's own count
    bad = sum(point.version == "v3" for point in log)  # what users got, from the traffic log
    assert drill.bad_answers == bad and 1 <= bad <= FEW_BAD_ANSWERS
    assert bad <= observed["answered"]  # users got v3 only from the canary's answers
    assert drill.failed == 0 and drill.requests == len(log)  # it left the rotation before it stopped
    assert drill.extra_processes == 1 and drill.extra_rss_mib > 0
    assert log[-1].version == "v2" and system.served_versions() == ["v2"]
    assert "web-canary" not in system.components and not app_env(system.workdir, "canary").exists()
    assert system.balancer.selection_policy() == {"policy": "round_robin"}  # back to the serving replicas


def test_a_good_canary_takes_its_share_of_the_traffic_and_is_promoted_to_every_replica(system):
    drill = run_guard_drill(system, "canary", QUICK, example_record(), bad="v1", good="v2")
    observed = drill.observed
    assert drill.outcome == "promoted" and not drill.stopped and drill.reason is None
    assert drill.answers_during >= 40
    assert abs(drill.bad_share_during - CANARY_SHARE) <= SHARE_TOLERANCE  # from the traffic users got
    assert abs(observed["share"] - CANARY_SHARE) <= SHARE_TOLERANCE  # the replica's count over the balancer's
    assert observed["flagged"] == 0 and observed["answered"] >= 3
    assert observed["serving_after"] == {"web": "v1", "web-2": "v1"}  # each replica, read after the promotion
    assert observed["promotion"].startswith("rolling")
    assert drill.rollback_strategy  # then rolled back to v2 by the drill (its failed requests: the report's)
    assert system.served_versions() == ["v2"] and "web-canary" not in system.components
