"""Embedded's best-practice update: two replicas behind a real load balancer (Caddy), rolled one at
a time: both replicas serve through it, each is restarted exactly once (observed by pid). Its
failed requests (0 is the target) are measured and printed by the report, not asserted here."""

from __future__ import annotations

import shutil
import threading

import pytest

from archlab.compare.budget import QUICK
from archlab.compare.measurements import measure_update
from launch_helpers import writable_home
from patterns import http
from patterns.embedded import balancer
from patterns.embedded.balancer import UntrustedBinary, caddy_binary
from patterns.embedded.lab.system import EmbeddedSystem
from patterns.launch.binary import file_sha256
from patterns.settings import Settings
from shared_model import example_record

pytestmark = pytest.mark.slow  # starts real replicas and a real Caddy


@pytest.fixture
def home(trained_home, tmp_path):
    return writable_home(trained_home, tmp_path / "home")


def test_the_installed_caddy_is_the_pinned_build():
    assert file_sha256(caddy_binary()) in balancer.CADDY_SHA256


def test_a_changed_caddy_is_refused_with_its_digest_and_the_fix(tmp_path, monkeypatch):
    changed = tmp_path / "caddy"
    shutil.copyfile(caddy_binary(), changed)
    with changed.open("ab") as handle:
        handle.write(b"\0")
    monkeypatch.setattr(balancer.sysconfig, "get_path", lambda name: str(tmp_path))
    with pytest.raises(UntrustedBinary, match=f"SHA-256 {file_sha256(changed)} is not the Caddy v2.11.7 build"):
        caddy_binary()


def upstreams_during(system, stop: threading.Event, seen: list) -> None:
    """What a user sees through the balancer while the update runs: the replica that answered each
    request, or why there was no answer (kept, not raised: the watch goes on to the end)."""
    while not stop.is_set():
        try:
            answer = http.call("POST", system.front_urls[0] + "/predict", json=example_record(), timeout=10)
        except http.NoAnswer as exc:
            seen.append((None, str(exc)))
            continue
        seen.append((answer.status, answer.headers.get("X-Upstream") or answer.headers.get("x-upstream")))


def test_rolling_update_behind_the_balancer_keeps_both_replicas_serving_and_restarts_each_once(home):
    with EmbeddedSystem(version="v1", settings=Settings(home=home), instances=2, balancer=True) as system:
        assert system.front_urls == [system.component("balancer").url]  # users reach the balancer
        assert "balancer" in system.components and [f.component for f in system.faults()].count("balancer") == 1
        replicas = {name: system.component(name).port for name in ("web", "web-2")}
        seen, stop = [], threading.Event()
        watcher = threading.Thread(target=upstreams_during, args=(system, stop, seen))
        watcher.start()
        try:
            update, report = measure_update(system, QUICK, example_record(), "v2")
        finally:
            stop.set()
            watcher.join()
        assert system.served_versions() == ["v2"]
    assert update.converged_s is not None
    assert report["strategy"].startswith("rolling")
    assert set(report["restarted"]) >= {"web", "web-2"}
    assert update.pids_seen["web"] and len(update.pids_seen["web"]) == 2  # each replica restarted once
    assert len(update.pids_seen["web-2"]) == 2 and len(update.pids_seen["balancer"]) == 1
    ports = {f"127.0.0.1:{port}" for port in replicas.values()}
    assert {upstream for status, upstream in seen if status == 200} == ports  # both replicas served
