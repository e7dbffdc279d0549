"""The running embedded architecture: app processes with the model package on their path.

Its model update always rebuilds: build the model wheel, install it offline into each app's
environment, restart every app process. How users live through the restart is the strategy:
plain replicas are stopped then started (the naive way: users of a stopped replica get errors);
with `balancer=True` the replicas sit behind a real load balancer (Caddy, `balancer.py`) and are
rolled one at a time, each taken out of rotation first and put back once healthy (what
practitioners do: no failed request, but every replica still rebuilt and restarted). Replicas
(`instances`) share one environment, as copies of one image would; a second application (the
pricing report) carries its own, so the update rebuilds and restarts it too. Behind its balancer it
can also release a version as a canary: one extra replica on a small weight (`canary.py`).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shared_model import ModelStore

from patterns import http
from patterns.launch.contract import AppliedUpdate, Capabilities, PerformanceTarget, Step
from patterns.launch.guards import CANARY, GuardReport
from patterns.launch.process import ManagedProcess, free_port
from patterns.launch.system import System
from patterns.settings import Settings
from patterns.web import create_app

from ..backend import EmbeddedBackend
from ..balancer import Balancer
from ..deploy import app_env, install_wheel, install_wheel_once, installed_dir, wheel_dir
from ..wheel import build_model_wheel
from .canary import release_canary

CHECKOUT = Path(__file__).resolve().parents[3]
BALANCER = "balancer"
DRAIN_S = 0.2  # after a replica leaves the rotation: the requests it was answering finish


class EmbeddedSystem(System):
    architecture = "embedded"
    capabilities = Capabilities(latency_floor="http_constant")
    targets = (
        PerformanceTarget("embedded_over_framework_floor", "embedded p50 / the framework's floor (constant answer "
                          "from a Flask route, one round trip) p50", "p50_over_floor", ("flask_constant",), "<=", 1.25),
        PerformanceTarget("embedded_over_server_floor", "embedded p50 / the server's floor (constant answer from a "
                          "bare WSGI callable) p50", "p50_over_floor", ("http_constant",), "<=", 1.6),
        PerformanceTarget("embedded_throughput_c8", "embedded requests/s at concurrency 8 / the framework floor's "
                          "requests/s at concurrency 8", "rps_over_floor", ("flask_constant", 8), ">=", 0.7),
    )
    # the comparison measures its update both ways: this one (replicas behind a load balancer, rolled
    # one at a time) and, in a launch of its own without these options, the naive stop-then-start
    best_practice_options = {"balancer": True}

    def __init__(self, settings: Settings | None = None, version: str | None = None, port: int | None = None,
                 namespace: str | None = None, instances: int = 1, balancer: bool = False) -> None:
        super().__init__(settings, version, port or free_port(), namespace)
        self.store = ModelStore(self.settings.home / "models")
        self.front_instances = instances
        self.balanced = balancer

    def front_app(self, version: str):
        """The front as its processes run it (`patterns.web.create_app`), here in this process with
        stored model `version` in memory, as the installed model package holds it."""
        return create_app(EmbeddedBackend(self.store.load(version), cost_ms=self.settings.model_cost_ms),
                          settings=self.settings)

    @classmethod
    def scale_options(cls, count: int) -> dict:
        """The whole app replicated: `count` app processes, each with the model in memory."""
        return {"instances": count}

    @property
    def workdir(self) -> Path:
        """Where the wheels and the app's environment live: the run's own folder in a namespace,
        so a measurement never rewrites the environment of an app the user runs."""
        return self.namespace_dir if self.namespace else self.settings.home

    def start(self) -> EmbeddedSystem:
        self.version = self.version or self.store.latest()
        self.deploy(self.version, once=True)
        self.launch_all([self.replica(name, port=self.port if i == 0 else None)
                         for i, name in enumerate(self.front_names)])
        if self.balanced:
            self.launch(Balancer(self.replica_ports(), self.workdir / BALANCER, BALANCER, self.settings.log_dir))
        return self

    @property
    def front_urls(self) -> list[str]:
        """Users reach the replicas through the balancer when there is one."""
        return [self.component(BALANCER).url] if self.balanced else super().front_urls

    @property
    def balancer(self) -> Balancer:
        return self.component(BALANCER)

    def replica_ports(self, leaving: str | None = None) -> list[int]:
        """The ports of the front's replicas (but `leaving`): the balancer's rotation."""
        return [self.component(name).port for name in self.front_names if name != leaving]

    def replica_versions(self) -> dict[str, str | None]:
        """The model version each of the front's replicas serves, read from its own /status."""
        return {name: http.call_json("GET", self.component(name).url + "/status", timeout=10)["model_version"]
                for name in self.front_names}

    def deploy(self, version: str, apps: tuple[str, ...] = ("app",), once: bool = False) -> tuple[float, float]:
        """Build the model package for `version` once and install it into each app's environment;
        return (build, install) seconds. `once`: an environment pip already installed from the same
        wheel is copied (starting an app, not updating it)."""
        started = time.monotonic()
        wheel = build_model_wheel(version, wheel_dir(self.workdir), self.store)
        built = time.monotonic()
        for app in apps:
            if once:
                install_wheel_once(wheel, app_env(self.workdir, app), installed_dir(self.settings.home))
            else:
                install_wheel(wheel, app_env(self.workdir, app))
        return built - started, time.monotonic() - built

    def second_app_env(self) -> dict[str, str]:
        """The second app carries its own copy of the model: its own environment, installed now."""
        self.deploy(self.version, (self.second_app_name,), once=True)
        own = app_env(self.workdir, self.second_app_name)
        return {**self.component(self.front_name).env, "PYTHONPATH": _python_path(own)}

    @property
    def _apps(self) -> tuple[str, ...]:
        """The environments an update rebuilds: the front's, and the second app's if it runs."""
        return ("app", self.second_app_name) if self.second_app_name in self.components else ("app",)

    def update_watch(self) -> list[Path]:
        return [wheel_dir(self.workdir), *(app_env(self.workdir, app) for app in self._apps)]

    def apply_update(self, version: str) -> AppliedUpdate:
        apps = self._apps
        build, install = self.deploy(version, apps)
        built = (Step("model wheel built", build, "build"),
                 Step(f"wheel installed into {len(apps)} app environment(s)", install, "build"))
        restarts, front_restart_s = self._restart_apps(self._roll if self.balanced else self.restart)
        if self.balanced:
            return AppliedUpdate(
                strategy="rolling: rebuild the app's environment with the new model wheel, then, one replica at a "
                         "time, take it out of the load balancer's rotation, restart it on the new model and put "
                         "it back once healthy (Caddy with health checks and retries in front); the other app "
                         "alongside",
                better_strategy="", steps=(*built, *restarts), details={"front_restart_s": front_restart_s})
        return AppliedUpdate(
            strategy="stop-then-start: rebuild the app's environment with the new model wheel, then restart "
                     "every app process: the front's replicas one after another, the other app alongside",
            better_strategy="rolling: two replicas behind a load balancer with health checks and retries, "
                            "restarted one at a time (a proxy in front, a second replica's memory)",
            steps=(*built, *restarts),
            details={"front_restart_s": front_restart_s},  # per replica: what a rolling restart at scale repeats
        )

    def _roll(self, name: str) -> float:
        """One replica out of the balancer's rotation, drained, restarted, healthy, back in rotation."""
        started = time.monotonic()
        self.balancer.route_to(self.replica_ports(leaving=name))
        time.sleep(DRAIN_S)
        self.restart(name)
        self.balancer.route_to(self.replica_ports())
        return time.monotonic() - started

    def _restart_apps(self, restart_front) -> tuple[list[Step], list[float]]:
        """The front's replicas one after another with `restart_front` (a step each); the second app,
        another team's, alongside them: its step is the time it took beyond theirs, so the steps add
        up to the wall time."""
        fronts = [name for name in self.front_names if name in self.components]
        others = [name for name in (self.second_app_name,) if name in self.components]
        with ThreadPoolExecutor(max_workers=max(1, len(others))) as pool:
            alongside = {name: pool.submit(self.restart, name) for name in others}
            steps = [Step(f"{name} restarted", restart_front(name), "switch") for name in fronts]
            front_restart_s = [step.seconds for step in steps]
            fronts_done = time.monotonic()
            took = {name: future.result() for name, future in alongside.items()}
        if took:
            label = ", ".join(f"{name} restarted alongside ({seconds:.2f} s)" for name, seconds in took.items())
            steps.append(Step(label, max(0.0, time.monotonic() - fronts_done), "switch"))
        return steps, front_restart_s

    def release_guards(self) -> tuple[str, ...]:
        """A canary behind the balancer (one more replica on a small weight); none without one."""
        return (CANARY,) if self.balanced else ()

    def release_under_guard(self, version: str, guard: str, watch_s: float,
                            while_live: Callable[[], None] | None = None) -> GuardReport:
        if guard not in self.release_guards():
            raise ValueError(f"the embedded system {'behind its balancer' if self.balanced else 'without a balancer'} "
                             f"offers the guards {', '.join(self.release_guards()) or 'none'}; got {guard!r}")
        return release_canary(self, version, watch_s, while_live)

    def replica(self, name: str, environment: str = "app", port: int | None = None) -> ManagedProcess:
        """A front replica (not started) on a free port, on the model installed in app `environment`."""
        port = port or free_port()
        env = {**self.settings.to_env(), "ARCHLAB_ARCH": "embedded",
               "PYTHONPATH": _python_path(app_env(self.workdir, environment))}
        argv = [sys.executable, "-m", "patterns.web", "--host", "127.0.0.1", "--port", str(port)]
        return ManagedProcess(name, argv, env=env, port=port)


def _python_path(environment: Path) -> str:
    """An app's import path: its own environment first (the model package), then this checkout."""
    path = [str(environment), str(CHECKOUT), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(part for part in path if part)


SYSTEM = EmbeddedSystem
