"""Helpers for the classroom tests: `archlab classroom` as a real process, and its snapshot."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests



def start_classroom(home: Path, port: int, *args: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "ARCHLAB_HOME": str(home)}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    return subprocess.Popen([sys.executable, "-m", "archlab", "classroom", "--port", str(port), *args],
                            env=env, stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)


def wait_for_line(process: subprocess.Popen, prefix: str, log: Path) -> str:
    """The first line of its output that starts with `prefix` (its stderr says why if it ended first)."""
    for line in process.stdout:
        if line.startswith(prefix):
            return line.strip()
    raise AssertionError(f"the classroom ended (code {process.wait()}) before printing {prefix!r}: "
                         f"{log.read_text()[-2000:]}")


def snapshot(url: str) -> dict:
    return requests.get(url + "snapshot", timeout=5).json()


def panels(url: str) -> dict[str, dict]:
    return {panel["name"]: panel for panel in snapshot(url)["panels"]}


def wait_until(condition, timeout: float, what: str, poll: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(poll)
    raise AssertionError(f"not within {timeout:g} s: {what}")
