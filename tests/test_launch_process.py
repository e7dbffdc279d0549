"""ManagedProcess and System with real child processes: health, stop, escalation, restart, cleanup."""

from __future__ import annotations

import re
import sys
import time

import pytest

from launch_helpers import alive, http_server, still_alive
from patterns.launch import ManagedProcess, ProcessFailed, System, free_port, wait_for_http
from patterns.launch.architectures import launch
from patterns.launch.process import http_status

STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
print("grandchild", child.pid, flush=True)
time.sleep(120)
"""


def test_free_port_is_bindable():
    port = free_port()
    assert 1024 < port < 65536


def test_started_server_is_healthy_and_logs_to_its_file(tmp_path):
    with http_server("files", tmp_path) as process:
        assert http_status(process.url + "/") == 200
        assert process.running and alive(process.pid)
    assert not process.running and not alive(process.pid)
    assert "starting files" in (tmp_path / "files.log").read_text()


def test_default_log_dir_is_under_archlab_home(archlab_home):
    process = ManagedProcess("x", [sys.executable, "-c", "pass"])
    assert process.log_path == archlab_home / "logs" / "x.log"


def test_child_that_exits_early_fails_fast_with_its_log(tmp_path):
    port = free_port()
    process = ManagedProcess(
        "crasher", [sys.executable, "-c", "print('cannot start: bad config'); raise SystemExit(3)"],
        port=port, log_dir=tmp_path,
    )
    with pytest.raises(ProcessFailed, match="(?s)exit code 3.*cannot start: bad config"):
        with process:
            pass


def test_server_that_never_answers_times_out(tmp_path):
    process = ManagedProcess("mute", [sys.executable, "-c", "import time; time.sleep(60)"], port=free_port(), log_dir=tmp_path)
    process.start()
    try:
        with pytest.raises(ProcessFailed, match="did not answer"):
            process.wait_healthy(timeout=0.5)
    finally:
        process.stop()
    assert not alive(process.pid)


def test_stop_kills_a_child_that_ignores_sigterm_and_its_grandchildren(tmp_path):
    process = ManagedProcess("stubborn", [sys.executable, "-c", STUBBORN], log_dir=tmp_path).start()
    grandchild = None
    deadline = time.monotonic() + 10
    while grandchild is None and time.monotonic() < deadline:
        words = process.log_tail().split()
        grandchild = int(words[words.index("grandchild") + 1]) if "grandchild" in words else None
        time.sleep(0.05)
    assert grandchild and alive(grandchild)
    assert process.stop(grace=0.3) == -9
    assert still_alive([process.pid, grandchild]) == []


def test_kill_and_restart_on_the_same_port(tmp_path):
    with http_server("flaky", tmp_path) as process:
        first_pid = process.pid
        process.kill()
        assert http_status(process.url + "/") is None
        process.restart()
        assert process.pid != first_pid and http_status(process.url + "/") == 200
        assert not alive(first_pid)


def wait_until(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_a_supervised_child_that_crashes_is_started_again_until_stopped(tmp_path):
    process = ManagedProcess("worker", [sys.executable, "-c", "import time; time.sleep(120)"], log_dir=tmp_path,
                             supervised=True).start()
    try:
        first = process.pid
        process.kill()  # a crash, as far as the supervisor can tell
        assert wait_until(lambda: process.running and process.pid != first)
        assert process.restarts == 1 and not alive(first)
        assert "worker exited on its own (code -9); restarting in 0.5 s" in process.log_tail()
        second = process.pid
    finally:
        assert process.stop() is not None
    assert not process.running and not alive(second)
    process._supervisor.join(10)  # the supervisor ends with stop(): nothing starts it again
    assert not process._supervisor.is_alive() and not process.running and process.restarts == 1


def test_restarts_back_off_while_a_child_keeps_crashing(tmp_path, monkeypatch):
    monkeypatch.setattr("patterns.launch.process.RESTART_FIRST_DELAY", 0.05)
    process = ManagedProcess("crasher", [sys.executable, "-c", "raise SystemExit(3)"], log_dir=tmp_path,
                             supervised=True).start()
    try:
        assert wait_until(lambda: process.restarts >= 3)
    finally:
        process.stop()
    delays = re.findall(r"exited on its own \(code 3\); restarting in ([\d.]+) s", process.log_tail())
    assert delays[:3] == ["0.05", "0.1", "0.2"]


def test_wait_for_http_gives_up_on_a_closed_port():
    with pytest.raises(TimeoutError):
        wait_for_http(f"http://127.0.0.1:{free_port()}/health", timeout=0.3)


class Pair(System):
    architecture = "pair"

    def __init__(self, log_dir, fail_second=False):
        super().__init__()
        self.log_dir = log_dir
        self.fail_second = fail_second

    def start(self):
        self.launch(http_server("web", self.log_dir))
        second = http_server("worker", self.log_dir)
        if self.fail_second:
            second.argv = [sys.executable, "-c", "raise SystemExit(1)"]
        self.launch(second)
        return self


def test_system_components_can_be_stopped_started_and_restarted(tmp_path):
    with Pair(tmp_path) as system:
        assert system.url == system.components["web"].url
        system.stop_component("worker")
        assert not system.components["worker"].running and system.components["web"].running
        system.start_component("worker")
        system.kill_component("worker")
        assert http_status(system.components["worker"].url + "/") is None
        system.start_component("worker")
        old = system.pids()["web"]
        system.restart("web")
        assert system.pids()["web"] != old
        assert all(state["running"] for state in system.status().values())
        with pytest.raises(KeyError, match="has: web, worker"):
            system.stop_component("broker")
        pids = list(system.pids().values())
    assert still_alive(pids) == []


def test_system_that_fails_to_start_stops_what_it_started(tmp_path):
    system = Pair(tmp_path, fail_second=True)
    with pytest.raises(ProcessFailed):
        with system:
            pass
    assert not system.components["web"].running and not alive(system.pids()["web"])


def test_registry_rejects_unknown_architectures():
    with pytest.raises(ValueError, match="embedded, api, streaming, async"):
        launch("serverless")
