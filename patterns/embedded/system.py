"""The running embedded architecture: one front process with the model package on its path.

`redeploy(version)` is the whole model update of this architecture: build the wheel, install it
offline, restart the app, while a prober measures how long users could not get an answer.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from shared_model import ModelStore, example_record

from patterns.launch.probe import Prober
from patterns.launch.process import ManagedProcess, free_port
from patterns.launch.system import System
from patterns.settings import Settings

from .deploy import app_env, install_wheel, wheel_dir
from .wheel import build_model_wheel

CHECKOUT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RedeployReport:
    """What one model update cost: the steps' durations and what users saw meanwhile."""

    version_before: str | None
    version_after: str | None
    build_seconds: float
    install_seconds: float
    restart_seconds: float
    total_seconds: float
    unavailable_seconds: float
    failed_requests: int
    probe_requests: int
    rebuilt: tuple[str, ...] = ("model wheel", "application environment")
    restarted: tuple[str, ...] = ("web",)

    def as_dict(self) -> dict:
        return asdict(self)


class EmbeddedSystem(System):
    architecture = "embedded"

    def __init__(self, version: str | None = None, port: int | None = None, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings.from_env()
        self.store = ModelStore(self.settings.home / "models")
        self.version = version or self.settings.model_version
        self.port = port or free_port()

    def start(self) -> EmbeddedSystem:
        self.version = self.version or self.store.latest()
        self.deploy(self.version)
        self.launch(ManagedProcess(
            "web",
            [sys.executable, "-m", "patterns.web", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self._front_env(),
            port=self.port,
        ))
        return self

    def deploy(self, version: str) -> tuple[float, float]:
        """Build and install the model package for `version`; return (build, install) seconds."""
        started = time.monotonic()
        wheel = build_model_wheel(version, wheel_dir(self.settings.home), self.store)
        built = time.monotonic()
        install_wheel(wheel, app_env(self.settings.home))
        return built - started, time.monotonic() - built

    def served_version(self) -> str | None:
        """The model version the running app reports on /status."""
        with urllib.request.urlopen(self.url + "/status", timeout=5) as response:
            return json.loads(response.read()).get("model_version")

    def redeploy(self, version: str | None = None) -> RedeployReport:
        """Update the model the only way this architecture can: rebuild, reinstall, restart."""
        version = version or self.store.latest()
        before = self.served_version()
        started = time.monotonic()
        with Prober(self.url, example_record()) as prober:
            build, install = self.deploy(version)
            restart = self.restart(self.front_name)
            prober.wait_until_ok()
        total = time.monotonic() - started
        self.version = version
        return RedeployReport(
            version_before=before,
            version_after=self.served_version(),
            build_seconds=build,
            install_seconds=install,
            restart_seconds=restart,
            total_seconds=total,
            unavailable_seconds=prober.unavailable_seconds,
            failed_requests=prober.failures,
            probe_requests=len(prober.probes),
        )

    def _front_env(self) -> dict[str, str]:
        path = [str(app_env(self.settings.home)), str(CHECKOUT), os.environ.get("PYTHONPATH", "")]
        return {
            **self.settings.to_env(),
            "ARCHLAB_ARCH": "embedded",
            "PYTHONPATH": os.pathsep.join(part for part in path if part),
        }


def create_system(version: str | None = None, port: int | None = None, settings: Settings | None = None) -> EmbeddedSystem:
    return EmbeddedSystem(version=version, port=port, settings=settings)
