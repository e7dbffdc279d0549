"""The running embedded architecture: one front process with the model package on its path.

Its model update is the only one this architecture has: build the model wheel, install it offline
into the app's environment, restart the app (stop, then start: the strategy a single process
allows; the report says what a better one would need).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from shared_model import ModelStore

from patterns.launch.contract import Applied, Capabilities, Step
from patterns.launch.process import ManagedProcess, free_port
from patterns.launch.system import System
from patterns.settings import Settings

from .deploy import app_env, install_wheel, wheel_dir
from .wheel import build_model_wheel

CHECKOUT = Path(__file__).resolve().parents[2]


class EmbeddedSystem(System):
    architecture = "embedded"
    capabilities = Capabilities(latency_floor="http_constant")

    def __init__(self, settings: Settings | None = None, version: str | None = None, port: int | None = None,
                 namespace: str | None = None) -> None:
        super().__init__(settings, version, port or free_port(), namespace)
        self.store = ModelStore(self.settings.home / "models")

    @property
    def workdir(self) -> Path:
        """Where the wheels and the app's environment live: the run's own folder in a namespace,
        so a measurement never rewrites the environment of an app the user runs."""
        return self.namespace_dir if self.namespace else self.settings.home

    def start(self) -> EmbeddedSystem:
        self.version = self.version or self.store.latest()
        self.deploy(self.version)
        self.launch(ManagedProcess(
            self.front_name,
            [sys.executable, "-m", "patterns.web", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self._front_env(),
            port=self.port,
        ))
        return self

    def deploy(self, version: str) -> tuple[float, float]:
        """Build and install the model package for `version`; return (build, install) seconds."""
        started = time.monotonic()
        wheel = build_model_wheel(version, wheel_dir(self.workdir), self.store)
        built = time.monotonic()
        install_wheel(wheel, app_env(self.workdir))
        return built - started, time.monotonic() - built

    def update_watch(self) -> list[Path]:
        return [wheel_dir(self.workdir), app_env(self.workdir)]

    def apply_update(self, version: str) -> Applied:
        build, install = self.deploy(version)
        restart = self.restart(self.front_name)
        return Applied(
            strategy="stop-then-start: rebuild the app's environment with the new model wheel, "
                     "then restart the one app process",
            better_strategy="blue/green: start a second app process on the new environment behind a load "
                            "balancer, switch it over, stop the old one (a proxy in front, twice the memory "
                            "during the switch)",
            steps=(Step("model wheel built", build, "build"),
                   Step("wheel installed into the app's environment", install, "build"),
                   Step("app restarted", restart, "switch")),
        )

    def _front_env(self) -> dict[str, str]:
        path = [str(app_env(self.workdir)), str(CHECKOUT), os.environ.get("PYTHONPATH", "")]
        return {
            **self.settings.to_env(),
            "ARCHLAB_ARCH": "embedded",
            "PYTHONPATH": os.pathsep.join(part for part in path if part),
        }


SYSTEM = EmbeddedSystem
