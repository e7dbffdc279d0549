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
