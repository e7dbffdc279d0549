"""`archlab serve`: prints the URL, serves until SIGTERM, then leaves nothing running."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from launch_helpers import still_alive, writable_home
from patterns.launch import free_port
from shared_model import example_record

pytestmark = pytest.mark.slow  # starts real front processes


def serve(home, port):
    env = {**os.environ, "ARCHLAB_HOME": str(home)}
    command = [sys.executable, "-m", "archlab", "serve", "embedded", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_serve_runs_until_sigterm_and_stops_everything(trained_home, tmp_path):
    port = free_port()
    process = serve(writable_home(trained_home, tmp_path), port)
    try:
        assert process.stdout.readline().strip() == f"embedded is running: http://127.0.0.1:{port}"
        web_pid = int(re.search(r"web \(pid (\d+)\)", process.stdout.readline()).group(1))
        response = requests.post(f"http://127.0.0.1:{port}/predict", json=example_record(), timeout=10)
        assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "stopped" in out
    assert still_alive([web_pid]) == []


def test_serve_on_a_busy_port_fails_with_a_message(trained_home, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        process = serve(writable_home(trained_home, tmp_path), busy.getsockname()[1])
        try:
            out, err = process.communicate(timeout=60)
        finally:
            process.kill()
    assert process.returncode == 2
    assert err.startswith("archlab serve: error: could not start the embedded system")
    assert "Address already in use" in err  # the front's log tail says why


@pytest.mark.parametrize("args, message", [
    (["embedded", "--instances", "0"], "--instances takes a positive number; got 0"),
    (["client", "--instances", "2"], "--instances: the client architecture runs as one instance"),
    (["api", "--schedule", "0 2 * * *"], "--schedule applies to the async architecture only"),
    (["async", "--schedule", "0 25 * * *"], "--schedule: hour field '25'"),
])
def test_bad_serve_options_are_refused_before_anything_starts(args, message, trained_home, tmp_path):
    env = {**os.environ, "ARCHLAB_HOME": str(writable_home(trained_home, tmp_path))}
    result = subprocess.run([sys.executable, "-m", "archlab", "serve", *args],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_the_readme_streaming_flow_start_on_v1_then_publish_v2(trained_home, tmp_path):
    """`archlab serve streaming --version v1 --instances 2`, then `archlab publish v2` from another shell."""
    home = writable_home(trained_home, tmp_path)
    env = {**os.environ, "ARCHLAB_HOME": str(home)}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    command = [sys.executable, "-m", "archlab", "serve", "streaming", "--version", "v1", "--instances", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        urls = process.stdout.readline().strip().split("running: ")[1].split()
        assert len(urls) == 2
        served = {requests.get(url + "/status", timeout=10).json()["model_version"] for url in urls}
        assert served == {"v1"}
        published = subprocess.run([sys.executable, "-m", "archlab", "publish", "v2"], env=env,
                                   capture_output=True, text=True, timeout=60)
        assert published.returncode == 0, published.stderr
        deadline = time.monotonic() + 20
        while served != {"v2"} and time.monotonic() < deadline:
            time.sleep(0.1)
            served = {requests.get(url + "/status", timeout=10).json()["model_version"] for url in urls}
        assert served == {"v2"}
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err


def test_an_unknown_start_version_exits_2_with_the_stored_ones(trained_home, tmp_path):
    env = {**os.environ, "ARCHLAB_HOME": str(writable_home(trained_home, tmp_path))}
    result = subprocess.run([sys.executable, "-m", "archlab", "serve", "embedded", "--version", "v9"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "stored versions: v1, v2" in result.stderr


def test_serve_async_keeps_running_when_its_worker_is_killed(trained_home, tmp_path):
    env = {**os.environ, "ARCHLAB_HOME": str(writable_home(trained_home, tmp_path))}
    env.pop("DATABASE_URL", None)
    port = free_port()
    command = [sys.executable, "-m", "archlab", "serve", "async", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == f"async is running: http://127.0.0.1:{port}"
        worker_pid = int(re.search(r"worker \(pid (\d+)\)", process.stdout.readline()).group(1))
        token = re.match(r"admin token for this run \(basic auth as 'admin', or Bearer\): (\S+)$",
                         process.stdout.readline().strip()).group(1)
        assert process.stdout.readline().strip() == "press Ctrl-C to stop"
        dashboard = requests.get(f"http://127.0.0.1:{port}/dashboard", auth=("admin", token), timeout=10)
        assert dashboard.status_code == 200  # the printed token signs a person in
        os.killpg(worker_pid, signal.SIGKILL)
        restarted = process.stdout.readline()
        assert re.match(r"worker exited on its own and was started again \(pid \d+\)", restarted.strip()), restarted
        assert process.poll() is None
        response = requests.post(f"http://127.0.0.1:{port}/predict", json=example_record(), timeout=10)
        assert response.status_code == 202
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "component(s) exited on their own" not in out
