"""`LiveSystems`: systems kept running across a comparison's repetitions, each stopped on its own
or, at the end, all of them, last started first; one that failed to start is not kept."""

from contextlib import contextmanager

import pytest

from archlab.compare.live import LiveSystems


@contextmanager
def launched(name: str, log: list[str], fail: bool = False):
    if fail:
        raise RuntimeError(f"{name} did not start")
    log.append(f"start {name}")
    try:
        yield name
    finally:
        log.append(f"stop {name}")


def test_each_system_runs_until_stopped_and_the_rest_stop_last_started_first():
    log = []
    with LiveSystems() as live:
        for name in ("a", "b", "c"):
            live.start(name, launched(name, log))
        assert live["b"] == "b" and "b" in live
        live.stop("b")
        live.stop("b")  # nothing runs there any more: nothing happens
        assert "b" not in live
    assert log == ["start a", "start b", "start c", "stop b", "stop c", "stop a"]


def test_a_system_that_fails_to_start_is_not_kept_and_the_others_still_stop():
    log = []
    with pytest.raises(RuntimeError, match="x did not start"), LiveSystems() as live:
        live.start("a", launched("a", log))
        try:
            live.start("x", launched("x", log, fail=True))
        finally:
            assert "x" not in live
    assert log == ["start a", "stop a"]


class Readings(LiveSystems):
    """CPU seconds read from a script instead of /proc: busy while just started, then idle."""

    def __init__(self, per_window: list[float]) -> None:
        super().__init__()
        self.per_window, self.total, self.reads = iter(per_window), 0.0, 0

    def cpu_seconds(self, but) -> float:
        self.reads += 1
        if self.reads % 2 == 0:  # the second read of a window: what was used in it
            self.total += next(self.per_window)
        return self.total


def test_waiting_for_quiet_lasts_until_the_systems_idle_below_the_share():
    live = Readings([0.2, 0.1, 0.001, 5.0])  # CPU seconds in each 10 ms window
    assert live.wait_quiet(below_pct=10, window_s=0.01) < 10
    assert live.reads == 6  # three windows: two busy, the third quiet


def test_systems_that_never_settle_are_waited_for_at_most_the_timeout():
    live = Readings([1.0] * 1000)
    assert live.wait_quiet(below_pct=10, window_s=0.01, timeout_s=0.05) > 10
