"""Helpers for the tests that run real fronts and systems: writable homes, process liveness."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from patterns.embedded.lab.system import EmbeddedSystem
from patterns.launch.process import ManagedProcess, free_port
from patterns.settings import Settings


def writable_home(trained_home: Path, folder: Path) -> Path:
    """A fresh ARCHLAB_HOME with a copy of the trained models (the session's copy stays read-only)."""
    shutil.copytree(trained_home / "models", folder / "models", symlinks=True)
    return folder


def embedded_system(home: Path, version: str = "v2") -> EmbeddedSystem:
    return EmbeddedSystem(version=version, settings=Settings(home=home))


def bare_front(home: Path, arch: str = "embedded") -> ManagedProcess:
    """A front process whose backend has no model package on its path: really unavailable."""
    port = free_port()
    return ManagedProcess(
        "bare-front",
        [sys.executable, "-m", "patterns.web", "--host", "127.0.0.1", "--port", str(port)],
        env={"ARCHLAB_HOME": str(home), "ARCHLAB_ARCH": arch},
        port=port,
    )


def http_server(name: str, log_dir: Path) -> ManagedProcess:
    """A cheap real child server (Python's http.server) for launcher tests."""
    port = free_port()
    return ManagedProcess(
        name, [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        port=port, health_path="/", log_dir=log_dir, cwd=log_dir,
    )


def alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def still_alive(pids, timeout: float = 5.0) -> list[int]:
    """The pids still alive after waiting up to `timeout` s for them to go (signals land asynchronously)."""
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


# Python source that starts a throwaway HTTP server the way a notebook starts a system: in a fresh
# ARCHLAB_HOME, tracked by archlab.notebook (so its registry and watchdog must stop it).
TRACKED_SERVER_SOURCE = """
import os, signal, sys
from archlab import notebook as nb
from patterns.launch.process import ManagedProcess, free_port

home = nb.fresh_home("test")
port = free_port()
server = ManagedProcess("nb-web", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
                        port=port, health_path="/", cwd=home)
nb.track(server.start())
server.wait_healthy()
"""


def postgres_databases(url: str) -> set[str]:
    """The databases on the PostgreSQL server of `url` (to see a run's own database come and go)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
    finally:
        engine.dispose()
