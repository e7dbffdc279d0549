"""The bad-model drill on real systems: the faulty v3 rolled out under traffic, detected by the
plausibility rule on users' answers, rolled back; its counts agree with the traffic log."""

from __future__ import annotations

import pytest

from shared_model import example_record

from archlab.compare.budget import QUICK
from archlab.compare.drill import run_drill
from patterns.launch.architectures import launch, system_class
from patterns.settings import Settings

pytestmark = pytest.mark.slow


def check_drill(drill, instances: int) -> None:
    """What every architecture that serves answers at once must show."""
    log = drill.timeline
    assert drill.bad_answers == sum(p.version == "v3" for p in log) > 0  # users got v3: the monitor's count
    assert drill.detection.startswith("model v3: price") and "above the highest sale price" in drill.detection
    assert drill.detected_after_s is not None and drill.rollback_s is not None
    first_bad = min(p.t_s for p in log if p.version == "v3")
    detected = next(e.t_s for e in drill.events if e.label.startswith("detected"))
    assert detected >= first_bad  # detected from an answer a user received, not before
    assert drill.requests == len(log) and drill.failed == sum(p.error is not None for p in log)
    workers = {p.worker for p in log}
    assert len(workers) == instances
    for worker in workers:  # every instance ends on v2 (a publish fast enough may give an instance's
        # users v3 from their first answer of the drill on, or roll it back before any of them got v3)
        served = [p.version for p in log if p.worker == worker and p.version]
        assert served[-1] == "v2"
    assert drill.as_dict()["bad_answers"] == drill.bad_answers


@pytest.fixture
def started(home_with_v3, monkeypatch):
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    systems = []

    def start(arch: str, **options):
        systems.append(launch(arch, settings=Settings.from_env(), version="v2", **options))
        return systems[-1].__enter__()

    yield start
    for system in systems:
        system.close()


def test_the_drill_on_the_embedded_system_rebuilds_twice_and_ends_on_v2(started):
    system = started("embedded")
    with pytest.raises(ValueError, match=r"starts from v1 on every instance; they serve \['v2'\]"):
        run_drill(system, QUICK, example_record(), good="v1")
    drill = run_drill(system, QUICK, example_record())
    check_drill(drill, instances=1)
    assert "rebuil" in drill.rollback_strategy.lower() or "restart" in drill.rollback_strategy.lower()
    assert system.served_versions() == ["v2"]


def test_the_drill_on_two_streaming_instances_rolls_back_with_the_signed_pin(started):
    system = started("streaming", instances=2)
    drill = run_drill(system, QUICK, example_record())
    check_drill(drill, instances=2)
    assert "signed rollback" in drill.rollback_strategy and drill.failed == 0
    assert system.served_versions() == ["v2", "v2"]


def test_the_drill_on_the_async_system_serves_no_v3_answer_behind_its_review_gate(started):
    system = started("async", **system_class("async").comparison_options)
    assert system.capabilities.answers_later and system.capabilities.review_gate
    drill = run_drill(system, QUICK, example_record())
    assert drill.bad_answers == sum(p.version == "v3" for p in drill.timeline) == 0
    assert drill.detected_after_s is None and drill.detection is None  # no user ever read a flagged answer
    assert drill.failed == 0 and drill.requests > 0
    assert "review gate" in drill.rollout_strategy
    assert system.served_versions() == ["v2"]
