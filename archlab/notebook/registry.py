"""What a notebook started, so that it can all be stopped (and its temporary folders removed):
by `stop_all()`, at kernel exit, or by the watchdog (`reaper.py`) when the kernel is killed.

A tracked thing is a launcher `System` (stopped with `close()`) or a `ManagedProcess` (stopped
with `stop()`). Their children run in sessions of their own, so a kernel interrupt (SIGINT to the
kernel's process group) leaves them serving — the notebook can go on — and `stop_all()` or the
end of the kernel is what stops them.
"""

from __future__ import annotations

import atexit
import json
import logging
import shutil
import subprocess
import sys
import threading
import weakref

log = logging.getLogger(__name__)


def _processes(thing) -> dict:
    """name -> ManagedProcess for a System (its `components`) or a single ManagedProcess."""
    components = getattr(thing, "components", None)
    return dict(components) if components is not None else {thing.name: thing}


def _running_pids(thing) -> dict[str, int]:
    return {name: process.pid for name, process in _processes(thing).items() if process.running}


def _describe(thing) -> str:
    if getattr(thing, "components", None) is not None:
        return f"{thing.architecture or type(thing).__name__} system ({', '.join(thing.components)})"
    return f"process {thing.name}"


class Watchdog:
    """The kernel's end of the pipe to `python -m archlab.notebook.reaper`."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "archlab.notebook.reaper"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # outside the kernel's group: survives a killpg of the kernel
            text=True,
        )

    def report(self, pids=(), paths=()) -> None:
        """Tell the watchdog everything it must stop and remove if we die now."""
        try:
            self._process.stdin.write(json.dumps({"pids": sorted(pids), "paths": sorted(paths)}) + "\n")
            self._process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            log.warning("the notebook watchdog is gone; cleanup now relies on a normal kernel exit")

    def close(self) -> None:
        self.report()
        try:
            self._process.stdin.close()
            self._process.wait(timeout=10)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass


class Registry:
    """The systems and processes this kernel started and has not stopped yet."""

    def __init__(self) -> None:
        self._things: list = []
        self._stopped = weakref.WeakSet()  # what stop_all() / stop_where() stopped: closed for good
        self._paths: list[str] = []
        self._lock = threading.RLock()
        self._watchdog: Watchdog | None = None
        self._armed = False

    def track(self, thing):
        """Record `thing` (a started or about-to-start System or ManagedProcess) and return it."""
        with self._lock:
            self._arm()
            if thing not in self._things:
                self._things.append(thing)
        self.report()
        return thing

    def remove_at_exit(self, path) -> None:
        """Delete folder `path` when the kernel ends, however it ends."""
        with self._lock:
            self._arm()
            self._paths.append(str(path))
        self.report()

    def running(self) -> dict[str, int]:
        """`name -> pid` of every tracked process that is running now."""
        with self._lock:
            things = list(self._things)
        return {name: pid for thing in things for name, pid in _running_pids(thing).items()}

    def report(self, *_ignored) -> None:
        """Send the current pids and folders to the watchdog (also called after every cell)."""
        if self._watchdog is not None:
            self._watchdog.report(self.running().values(), self._paths)

    def is_stopped(self, thing) -> bool:
        """Whether `thing` was stopped by `stop_all()` / `stop_where()` (a closed system stays closed)."""
        with self._lock:
            return thing in self._stopped

    def stop_all(self) -> list[str]:
        """Stop everything tracked, newest first; one failing stop does not skip the others."""
        return self.stop_where(lambda _thing: True)

    def stop_where(self, chosen) -> list[str]:
        """Stop the tracked things for which `chosen(thing)` is true, newest first."""
        with self._lock:
            things = [thing for thing in self._things[::-1] if chosen(thing)]
            self._things = [thing for thing in self._things if not chosen(thing)]
            for thing in things:
                self._stopped.add(thing)
        stopped = []
        for thing in things:
            try:
                (thing.close if hasattr(thing, "close") else thing.stop)()
                stopped.append(_describe(thing))
            except Exception:
                log.exception("stopping %s failed", _describe(thing))
        self.report()
        return stopped

    def _shutdown(self) -> None:
        self.stop_all()
        paths, self._paths = self._paths, []
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            watchdog.close()

    def _arm(self) -> None:
        if self._armed:
            return
        self._armed = True
        self._watchdog = Watchdog()
        atexit.register(self._shutdown)
        ipython = _ipython()
        if ipython is not None:
            # After every cell, even one that failed or was interrupted: restarts change pids.
            ipython.events.register("post_run_cell", self.report)


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


_registry = Registry()
track = _registry.track
running = _registry.running
is_stopped = _registry.is_stopped
remove_at_exit = _registry.remove_at_exit


def start(arch: str, **options):
    """Launch architecture `arch` (see `patterns.launch.architectures.launch`), tracked; return the System.

    A system of the same architecture this notebook started before is stopped first, so re-running
    a notebook's launch cell replaces its system instead of running a second one beside it.
    """
    from patterns.launch.architectures import launch

    _registry.stop_where(lambda thing: getattr(thing, "architecture", None) == arch)
    system = _registry.track(launch(arch, **options))
    system.__enter__()  # starts the components; closes what it started if a start fails
    _registry.report()
    return system


def stop_all() -> list[str]:
    """Stop every system and process the notebook started; return what was stopped."""
    return _registry.stop_all()
