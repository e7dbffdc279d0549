"""No child outlives the Python process that launched it: exception, Ctrl-C, SIGTERM, no close()."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from launch_helpers import alive, still_alive

PARENT = """
import json, os, signal, sys, time
sys.path.insert(0, {tests!r})
from launch_helpers import http_server
from patterns.launch import System

class Pair(System):
    def start(self):
        self.launch(http_server("web", {log_dir!r}))
        self.launch(http_server("worker", {log_dir!r}))
        return self

mode = sys.argv[1]
system = Pair()
system.start() if mode == "never-closed" else system.__enter__()
print(json.dumps(list(system.pids().values())), flush=True)
if mode != "wait":
    sys.stdin.readline()  # the test checks the children first, then says go
if mode == "raise":
    raise RuntimeError("the notebook cell failed")
if mode == "ctrl-c":
    os.kill(os.getpid(), signal.SIGINT)
if mode == "never-closed":
    sys.exit(0)
time.sleep(60)
"""


@pytest.mark.parametrize(
    ("mode", "outside_signal"),
    [("raise", None), ("ctrl-c", None), ("never-closed", None), ("wait", signal.SIGTERM), ("wait", signal.SIGHUP)],
)
def test_no_child_is_left_behind(tmp_path, mode, outside_signal):
    script = PARENT.format(tests=str(Path(__file__).parent), log_dir=str(tmp_path))
    parent = subprocess.Popen(
        [sys.executable, "-c", script, mode],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    pids = []
    try:
        pids = json.loads(parent.stdout.readline())
        assert len(pids) == 2 and all(alive(pid) for pid in pids)
        if outside_signal:
            parent.send_signal(outside_signal)
        else:
            parent.stdin.write("go\n")
            parent.stdin.flush()
        parent.wait(timeout=20)
        if outside_signal:
            assert parent.returncode == 128 + outside_signal, "the safety net should exit the parent cleanly"
        assert still_alive(pids) == []
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in still_alive(pids, timeout=0):  # a failed test must not leave its own orphans
            os.kill(pid, signal.SIGKILL)
