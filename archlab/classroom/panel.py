"""One panel: one registered architecture running in a namespace of its own, its users' traffic,
and what the page shows of it, read from the running system (its `status()`, `faults()`, the
answers its users got). Nothing here knows an architecture by name: what differs is read from
the system's `capabilities` and the registry (`patterns.launch.architectures`).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from patterns import http
from patterns.launch.architectures import launch, system_class
from patterns.settings import Settings

from .metrics import Meter
from .traffic import Traffic

START_VERSION = "v1"
MAX_SCALE = 4  # instances of a scaled part at most: the classroom shares two cores with every system
STATUS_EVERY_S = 1.0  # how often a system that answers later is asked how many answers wait for review


def describe_argv(argv: list[str]) -> str:
    """What a process runs, shortly: `python -m module` or the program's name."""
    if "-m" in argv[:-1]:
        return f"python -m {argv[argv.index('-m') + 1]}"
    return Path(argv[0]).name if argv else "?"


class Panel:
    """`start()` launches the system on v1 and its traffic; on any failure the panel stays, marked
    not available with the reason, and the other panels run on."""

    def __init__(self, name: str, arch: str, options: dict, settings: Settings, namespace: str, rate: float) -> None:
        self.name, self.arch = name, arch
        self.cls = system_class(arch)
        self.base_options = dict(options)  # how the classroom starts it (reset returns to these)
        self.options = dict(options)
        self.settings, self.namespace, self.rate = settings, namespace, rate
        self.system = None
        self.traffic: Traffic | None = None
        self.meter = Meter()
        self.unavailable: str | None = None
        self.busy: str | None = None  # the action running on it now
        self.acting_on: set[str] = set()  # components an action is bringing up
        self.stopped: set[str] = set()  # components the instructor stopped (a supervisor leaves them down)
        self.needs: list[str] = []  # what a system that could not start uses but archlab does not start
        self.released: list[str] = [START_VERSION]  # versions released, in order (the rollback's target)
        self.initial_scale: int | None = None
        self._review: dict | None = None
        self._review_read = 0.0
        self._health: dict[str, tuple[float, bool]] = {}  # component -> (when checked, healthy)
        self.start_seconds: float | None = None
        self.lock = threading.Lock()  # one action at a time per panel

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self, version: str = START_VERSION, traffic: bool = True) -> Panel:
        """The system started and its users' requests prepared (a system that answers later stores
        and reviews the answer users read) before the page sees it, so the ticker never waits."""
        started = time.monotonic()
        system = launch(self.arch, settings=self.settings, version=version, namespace=self.namespace,
                        **self.options)
        entered = False
        try:
            system.__enter__()  # closes what it started if it fails
            entered = True
            users = Traffic(system, self.rate)
            system.served_requests()
            if traffic:
                users.start()
        except Exception as exc:  # a part it needs is missing here: say so, run the rest
            self.unavailable = f"{type(exc).__name__}: {str(exc).strip()[:600] or 'no message'}"
            self.needs = [f.how for f in _faults(system) if not f.breakable]
            if entered:
                system.close()
            return self
        self.traffic, self.system, self.unavailable = users, system, None
        self.start_seconds = time.monotonic() - started
        self.stopped.clear()
        if self.initial_scale is None:
            self.initial_scale = self.scale
        return self

    def close(self) -> None:
        if self.traffic is not None:
            self.traffic.stop()
        if self.system is not None:
            self.system.close()
        self.system = None

    def relaunch(self, options: dict, version: str, traffic: bool) -> None:
        """The system closed and started again with other constructor options (another scale),
        on `version`, in the same namespace."""
        self.close()
        self.options = options
        self.start(version, traffic)

    # -- what it can do ---------------------------------------------------------------------------

    @property
    def scale(self) -> int:
        """How many of what it scales the running system was started with: the count whose
        `scale_options` its options hold (1, the constructors' default, when they hold none)."""
        if self.system is None:
            return 0
        for count in range(1, MAX_SCALE + 1):
            wanted = self.cls.scale_options(count)
            if wanted and all(self.options.get(key) == value for key, value in wanted.items()):
                return count
        return 1

    def scale_options(self, count: int) -> dict | None:
        """Constructor options for `count` (None: it cannot, or more than two cores should run)."""
        return None if not 1 <= count <= MAX_SCALE else self.cls.scale_options(count)

    def component_names(self) -> list[str]:
        return list(self.system.status()) if self.system is not None else []

    def breakable(self) -> set[str]:
        return {f.component for f in self.system.faults() if f.breakable} if self.system is not None else set()

    # -- what the page shows ----------------------------------------------------------------------

    def state(self) -> dict:
        if self.system is None:
            needs = f"it uses what archlab does not start: {'; '.join(self.needs)}. " if self.needs else ""
            return {"name": self.name, "available": False, "busy": self.busy,
                    "reason": self.unavailable or "starting",
                    "how": f"{needs}Start what it needs (`archlab serve {self.arch}` says what is missing; the README "
                           "lists each architecture's requirements), then press reset"}
        system = self.system
        faults = {f.component: f for f in system.faults()}
        components = []
        for name, status in system.status().items():
            process = system.components.get(name)
            if status["running"]:
                state = "up" if self._healthy(name, process) else "restarting"
            elif name in self.acting_on or (name not in self.stopped and process is not None and process.supervised):
                state = "restarting"
            else:
                state = "down"
            runs = describe_argv(process.argv) if process is not None else \
                f"no process of its own; stopping it: {faults[name].how}" if name in faults else ""
            components.append({"name": name, "state": state, "runs": runs, "pid": status["pid"],
                               "breakable": name in faults and faults[name].breakable})
        components += [{"name": f.component, "state": "external", "runs": f.how, "pid": None, "breakable": False}
                       for f in faults.values() if not f.breakable and f.component not in system.status()]
        served = system.served_requests()
        instances = [{"label": _instance_label(s.url, len(served)), "version": self.meter.last_version.get(i)}
                     for i, s in enumerate(served)]
        scale = self.scale
        return {
            "name": self.name, "available": True, "busy": self.busy, "version": system.version,
            "capabilities": system.capabilities.as_dict(), "components": components, "instances": instances,
            "review": self.review() if system.capabilities.answers_later else None,
            "totals": dict(self.meter.totals), "last_faulty": self.meter.last_faulty,
            "traffic": bool(self.traffic and self.traffic.running),
            "scale": {"count": scale, "part": system.capabilities.scalable_component or "whole app",
                      "up": self.scale_options(scale + 1) is not None, "down": self.scale_options(scale - 1) is not None},
            "front": system.url,
        }

    def _healthy(self, name: str, process) -> bool:
        """Whether a running component answers its health check (read at most once a second): a
        process that is alive but still loading its model is starting, not up."""
        path = getattr(process, "health_path", None)
        if process is None or process.url is None or path is None:
            return True
        checked, healthy = self._health.get(name, (0.0, False))
        if time.monotonic() - checked >= STATUS_EVERY_S or not healthy:
            try:
                healthy = http.call("GET", process.url + path, timeout=0.3).status == 200
            except http.NoAnswer:
                healthy = False
            self._health[name] = (time.monotonic(), healthy)
        return healthy

    def review(self) -> dict | None:
        """How many answers wait (to be scored, for review), from the front's public status page."""
        if time.monotonic() - self._review_read >= STATUS_EVERY_S:
            self._review_read = time.monotonic()
            try:
                status = http.call_json("GET", self.system.url + "/status", timeout=1.0)
                self._review = {"awaiting_review": status.get("review_pending", 0),
                                "waiting_to_be_scored": status.get("requests_pending", 0)
                                + status.get("requests_claimed", 0)}
            except (OSError, RuntimeError, ValueError):
                self._review = None
        return self._review


def _faults(system) -> list:
    """What a system that failed to start declares it uses (its own parts and the external ones)."""
    try:
        return system.faults()
    except Exception:  # it did not get far enough to know
        return []


def _instance_label(url: str, count: int) -> str:
    return url.split("//", 1)[-1].split("/", 1)[0] if count > 1 else url.split("//", 1)[-1].split("?", 1)[0]
