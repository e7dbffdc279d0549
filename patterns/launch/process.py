"""Child processes on loopback ports that never outlive the Python process that started them.

Each child runs in its own session (so its whole process group can be signalled at once, and a
Ctrl-C in the terminal reaches only the parent, which then stops the children in order). Every
started child is recorded in a module-level table; an `atexit` hook and a SIGTERM/SIGHUP handler
stop whatever is still in the table, so an exception, a KeyboardInterrupt or a `kill` of the
parent leaves no orphan behind. (Only SIGKILL of the parent cannot be caught.)

A `supervised` child that exits on its own (a crash, a SIGKILL) is started again by a watcher
thread, after a delay that doubles with each crash in a row; only `stop()` ends it for good. The
watcher first kills what is left of the child's group and calls `on_crash`, which cleans up after
the dead (the async worker's claims go back to the queue at once, not after their lease).
"""

from __future__ import annotations

import atexit
import os
import shlex
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from patterns import http
from patterns.settings import Settings

LOG_TAIL_BYTES = 3000
RESTART_FIRST_DELAY = 0.5  # seconds before a crashed supervised child is started again
RESTART_MAX_DELAY = 30.0  # the delay doubles with each crash in a row, up to this
STEADY_SECONDS = 30.0  # a child up this long crashed "for the first time" again: the delay starts over


class ProcessFailed(RuntimeError):
    """A child exited early or never became healthy; the message carries the tail of its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float = 1.0) -> int | None:
    """The HTTP status `url` answers with, or None if nothing answers (refused, reset, timeout)."""
    try:
        return http.call("GET", url, timeout=timeout).status
    except http.NoAnswer:
        return None


def wait_for_http(
    url: str,
    timeout: float = 30.0,
    interval: float = 0.05,
    alive: Callable[[], bool] | None = None,
) -> float:
    """Poll `url` until it answers 200 and return the seconds waited.

    Raises TimeoutError after `timeout` seconds, or ProcessFailed as soon as `alive()` turns false
    (no point waiting for a server whose process has exited).
    """
    started = time.monotonic()
    deadline = started + timeout
    while True:
        if http_status(url, timeout=max(0.1, min(1.0, deadline - time.monotonic()))) == 200:
            return time.monotonic() - started
        if alive is not None and not alive():
            raise ProcessFailed(f"the process serving {url} exited before answering")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{url} did not answer 200 within {timeout:g} s")
        time.sleep(interval)


class ManagedProcess:
    """One child process (usually an HTTP server on `port`) with start, health wait, stop and restart.

    Output goes to `<log_dir>/<name>.log`, by default `$ARCHLAB_HOME/logs/` (the child's
    ARCHLAB_HOME if `env` sets one). `stop()` sends SIGTERM to the child's process group and
    SIGKILL after `grace` seconds; `kill()` is the fault-injection variant (SIGKILL at once): a
    crash, which a `supervised` process survives (`restarts` counts how often it was restarted).
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        health_path: str | None = "/health",
        log_dir: str | os.PathLike | None = None,
        cwd: str | os.PathLike | None = None,
        supervised: bool = False,
        on_crash: Callable[[], str | None] | None = None,
    ) -> None:
        self.name = name
        self.argv = [str(arg) for arg in argv]
        self.env = dict(env or {})
        self.port = port
        self.health_path = health_path
        if log_dir is None:
            log_dir = Settings.from_env({**os.environ, **self.env}).log_dir
        self.log_path = Path(log_dir) / f"{name}.log"
        self.cwd = cwd
        self.supervised = supervised
        self.on_crash = on_crash  # called once the crashed child's group is dead; its answer is logged
        self.restarts = 0
        self._popen: subprocess.Popen | None = None
        self._lock = threading.RLock()  # start/stop here vs a restart by the supervisor thread
        self._stopping = threading.Event()  # set by stop(): an exit now is wanted, not a crash
        self._supervisor: threading.Thread | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ManagedProcess {self.name} pid={self.pid} port={self.port} {state}>"

    @property
    def url(self) -> str | None:
        return None if self.port is None else f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._popen is None else self._popen.pid

    @property
    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self._popen is None else self._popen.poll()

    def start(self) -> ManagedProcess:
        with self._lock:
            if self.running:
                raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
            self._stopping.clear()
            self._spawn()
            if self.supervised and (self._supervisor is None or not self._supervisor.is_alive()):
                self._supervisor = threading.Thread(target=self._supervise, name=f"supervise-{self.name}", daemon=True)
                self._supervisor.start()
        return self

    def _spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._note(log, f"starting {self.name}: {shlex.join(self.argv)}")
            self._popen = subprocess.Popen(
                self.argv,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _children.add(self)

    @staticmethod
    def _note(log, message: str) -> None:
        log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {message}\n".encode())
        log.flush()

    def _supervise(self) -> None:
        """Start the child again whenever it exits without stop() having asked it to."""
        delay = RESTART_FIRST_DELAY
        while not self._stopping.is_set():
            popen, began = self._popen, time.monotonic()
            popen.wait()
            if self._stopping.is_set():
                return
            if self._popen is not popen:  # restarted on purpose meanwhile: watch the new one
                continue
            if time.monotonic() - began >= STEADY_SECONDS:
                delay = RESTART_FIRST_DELAY
            with self._lock:
                if self._popen is popen:
                    self._signal_group(signal.SIGKILL)  # what is left of its group (its own children)
            cleaned = self.on_crash() if self.on_crash else None
            with open(self.log_path, "ab") as log:
                self._note(log, f"{self.name} exited on its own (code {popen.returncode}); restarting in {delay:g} s")
                if cleaned:
                    self._note(log, cleaned)
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                if self._popen is popen:
                    self._spawn()
                    self.restarts += 1
            delay = min(delay * 2, RESTART_MAX_DELAY)

    def wait_healthy(self, timeout: float = 30.0) -> float:
        """Wait until `health_path` answers 200 (or just check the child is alive if there is no port)."""
        if self.port is None or self.health_path is None:
            if not self.running:
                raise ProcessFailed(self._failure(f"{self.name} is not running"))
            return 0.0
        try:
            return wait_for_http(self.url + self.health_path, timeout, alive=lambda: self.running)
        except (ProcessFailed, TimeoutError) as exc:
            raise ProcessFailed(self._failure(f"{self.name}: {exc}")) from None

    def stop(self, grace: float = 5.0) -> int | None:
        """SIGTERM the process group, SIGKILL it after `grace` seconds; return the exit code."""
        self._stopping.set()
        with self._lock:
            if self._popen is None:
                return None
            if self._popen.poll() is None:
                self._signal_group(signal.SIGTERM)
                try:
                    self._popen.wait(grace)
                except subprocess.TimeoutExpired:
                    pass
            return self._finish()

    def kill(self) -> int | None:
        """SIGKILL the process group at once: a crash, for fault injection."""
        if self._popen is None:
            return None
        return self._finish()

    def restart(self, timeout: float = 30.0) -> float:
        """Stop, start on the same port, wait until healthy; return the seconds until healthy again."""
        started = time.monotonic()
        self.stop()
        self.start()
        self.wait_healthy(timeout)
        return time.monotonic() - started

    def log_tail(self, size: int = LOG_TAIL_BYTES) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - size))
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> ManagedProcess:
        self.start()
        try:
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _finish(self) -> int | None:
        """Kill whatever is left of the group (grandchildren included) and reap the child."""
        self._signal_group(signal.SIGKILL)
        try:
            self._popen.wait(5)
        except subprocess.TimeoutExpired:
            pass
        _children.discard(self)
        return self._popen.poll()

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self._popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _failure(self, message: str) -> str:
        code = self.returncode
        status = "still running" if code is None else f"exit code {code}"
        return f"{message} ({status}); last lines of {self.log_path}:\n{self.log_tail()}"


class _Children:
    """The children started by this Python process and not yet stopped: the safety net's list."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # the signal handler may run while the main thread holds it
        self._processes: dict[int, ManagedProcess] = {}
        self._atexit_armed = False
        self._signals_armed = False

    def add(self, process: ManagedProcess) -> None:
        with self._lock:
            self._processes[id(process)] = process
            self._arm()

    def discard(self, process: ManagedProcess) -> None:
        with self._lock:
            self._processes.pop(id(process), None)

    def stop_all(self, grace: float = 2.0) -> None:
        with self._lock:
            processes = list(self._processes.values())
        for process in processes:
            process._stopping.set()  # no supervisor may start it again
        for process in processes:
            if process.running:
                process._signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in processes:
            try:
                process._popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            process._finish()

    def _arm(self) -> None:
        if not self._atexit_armed:
            atexit.register(self.stop_all)
            self._atexit_armed = True
        # Signal handlers can only be set from the main thread; a later start there arms them.
        if self._signals_armed or threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGHUP):
            # Leave alone a handler somebody else installed on purpose (e.g. a server's own).
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, self._on_signal)
        self._signals_armed = True

    def _on_signal(self, signum: int, frame) -> None:
        self.stop_all()
        raise SystemExit(128 + signum)


_children = _Children()
