"""archlab.notebook's registry and watchdog: what a notebook starts is stopped, however it ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from archlab.notebook import money, show
from archlab.notebook.registry import Registry
from launch_helpers import TRACKED_SERVER_SOURCE, http_server, still_alive

CHILD_SCRIPT = TRACKED_SERVER_SOURCE + """
print(server.pid, home, flush=True)
{ending}
"""

ENDINGS = {
    "killed": "os.kill(os.getpid(), signal.SIGKILL)",  # what nbval and a kernel restart do
    "raised": "raise RuntimeError('a cell failed')",  # the atexit path
    "interrupted": "raise KeyboardInterrupt",
}


def _gone(path: Path, timeout: float) -> bool:
    """Whether `path` disappears within `timeout` s (the watchdog works after its kernel is gone)."""
    deadline = time.monotonic() + timeout
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not path.exists()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_a_dying_kernel_leaves_no_server_behind(ending, tmp_path):
    script = textwrap.dedent(CHILD_SCRIPT).format(ending=ENDINGS[ending])
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    pid_text, home = result.stdout.split()
    pid = int(pid_text)
    try:
        assert result.returncode != 0, result.stderr
        assert still_alive([pid], timeout=10) == [], f"server pid {pid} outlived its kernel ({ending})"
        assert _gone(Path(home), timeout=10), "the temporary ARCHLAB_HOME should be removed"
    finally:
        _kill_group(pid)


def test_stop_all_stops_what_was_tracked_and_reports_it(tmp_path):
    registry = Registry()
    server = http_server("nb-web", tmp_path)
    try:
        registry.track(server.start())
        server.wait_healthy()
        assert registry.running() == {"nb-web": server.pid}
        assert registry.stop_all() == ["process nb-web"]
        assert still_alive([server.pid]) == []
        assert registry.running() == {}
        assert registry.stop_all() == []  # a second call has nothing left to do
    finally:
        server.stop()
        registry._shutdown()


def test_one_failing_stop_does_not_skip_the_others(tmp_path):
    class Broken:
        name = "broken"
        running = False
        pid = None

        def stop(self):
            raise RuntimeError("cannot stop")

    registry = Registry()
    server = http_server("nb-web", tmp_path)
    try:
        registry.track(server.start())
        registry.track(Broken())  # stopped first (newest first), and fails
        assert registry.stop_all() == ["process nb-web"]
        assert still_alive([server.pid]) == []
    finally:
        server.stop()
        registry._shutdown()


def test_fresh_home_sets_the_environment_for_this_process_and_its_children():
    script = (
        "import os, subprocess, sys\n"
        "from archlab import notebook as nb\n"
        "home = nb.fresh_home('env')\n"
        "child = subprocess.run([sys.executable, '-c', 'import os; print(os.environ[\"ARCHLAB_HOME\"])'],"
        " capture_output=True, text=True).stdout.strip()\n"
        "print(home, child, home.is_dir())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    home, child_home, existed = result.stdout.split()
    assert child_home == home and existed == "True"
    assert Path(home).name.startswith("archlab-nb-env-")
    assert not Path(home).exists()


def test_output_helpers_print_stable_text(capsys):
    show("R2", 0.912345678)
    show("served", "v2")
    assert capsys.readouterr().out == "R2: 0.9123\nserved: v2\n"
    assert money(181234.56) == "$181,235"


SYSTEM_SCRIPT = """
import json, os, shutil, signal
from archlab import notebook as nb

key = os.environ["ARCHLAB_SIGNING_KEY"]  # the key the copied models were signed with
home = nb.fresh_home("system")
os.environ["ARCHLAB_SIGNING_KEY"] = key
shutil.copytree({models!r}, home / "models", symlinks=True)
system = nb.start("api")
print(json.dumps(nb.running()), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.slow
def test_a_killed_kernel_leaves_no_component_of_a_started_system_behind(trained_home):
    script = textwrap.dedent(SYSTEM_SCRIPT).format(models=str(trained_home / "models"))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout, result.stderr
    pids = json.loads(result.stdout)
    try:
        assert set(pids) == {"model-service", "web"}
        assert still_alive(list(pids.values()), timeout=10) == []
    finally:
        for pid in pids.values():
            _kill_group(pid)
