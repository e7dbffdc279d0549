"""The running api architecture: the web front plus the model service (HTTP) or worker (RabbitMQ).

A model update replaces only the model process and never the front: start the new instance,
wait until it is ready, switch the front to it, stop the old one gracefully (it finishes what it
has in flight). `replace_model_service` does that under a prober's traffic and reports the cost.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass

import requests

from shared_model import ModelStore, example_record

from patterns.launch.probe import Prober
from patterns.launch.process import ManagedProcess, free_port
from patterns.launch.system import System
from patterns.settings import Settings

from .amqp import wait_for_consumers
from .backend import TRANSPORTS
from .grpc_process import GrpcServiceProcess

# Seconds an old model process gets to finish its in-flight requests before SIGKILL.
DRAIN_GRACE = 10.0


@dataclass(frozen=True)
class ReplacementReport:
    """What one model update cost, measured from the front while a prober sent traffic."""

    version_before: str | None
    version_after: str | None
    old_url: str | None
    new_url: str | None
    start_seconds: float  # new model process: start until ready
    switch_seconds: float  # front switched to the new process
    drain_seconds: float  # old process: SIGTERM until exited
    total_seconds: float
    converge_seconds: float  # from "new version ready" until no response carried the old version
    failed_requests: int
    probe_requests: int
    versions_seen: tuple[str, ...]
    restarted: tuple[str, ...]
    rebuilt: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return asdict(self)


class ApiSystem(System):
    architecture = "api"

    def __init__(
        self,
        version: str | None = None,
        port: int | None = None,
        transport: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings.from_env()
        self.store = ModelStore(self.settings.home / "models")
        self.version = version or self.settings.model_version
        self.port = port or free_port()
        self.transport = transport or self.settings.model_transport
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}; got {self.transport!r}")

    @property
    def model_component(self) -> str:
        """The component that holds the model: `model-service` (HTTP, gRPC) or `model-worker` (AMQP)."""
        return "model-worker" if self.transport == "amqp" else "model-service"

    def start(self) -> ApiSystem:
        self.version = self.version or self.store.latest()
        model = self._launch_model(self.version)
        front_env = {**self.settings.to_env(), "ARCHLAB_ARCH": "api", "MODEL_TRANSPORT": self.transport}
        if self.transport != "amqp":  # a service with an address (HTTP, gRPC): point the front at it
            front_env["MODEL_SERVICE_URL"] = model.url
        self.launch(ManagedProcess(
            self.front_name,
            [sys.executable, "-m", "patterns.web", "--host", "127.0.0.1", "--port", str(self.port)],
            env=front_env,
            port=self.port,
        ))
        return self

    def start_component(self, name: str, timeout: float = 30.0) -> float:
        started = time.monotonic()
        super().start_component(name, timeout)
        if name == "model-worker":
            self._wait_for_workers(1, timeout)
        return time.monotonic() - started

    def served_version(self) -> str | None:
        """The model version in the front's answer for the example house."""
        response = requests.post(self.url + "/predict", json=example_record(), timeout=10)
        response.raise_for_status()
        return response.json().get("model_version")

    def replace_model_service(self, version: str | None = None) -> ReplacementReport:
        """Swap the model process for one serving `version` (default: newest) without failing requests."""
        version = version or self.store.latest()
        name = self.model_component
        old = self.component(name)
        before = self.served_version()
        with Prober(self.url, example_record()) as prober:
            started = time.monotonic()
            new = self._model_process(version).start()
            try:
                new.wait_healthy()
                if self.transport == "amqp":
                    self._wait_for_workers(2)  # both consume the queue: stopping the old one loses nothing
                ready = time.monotonic()
                if self.transport != "amqp":
                    self._switch_front(new.url)
            except BaseException:
                new.stop()  # the old process keeps serving: the front was not switched
                raise
            switched = time.monotonic()
            self.components[name] = new
            old.stop(grace=DRAIN_GRACE)
            stopped = time.monotonic()
            prober.wait_until_ok()
        self.version = version
        old_seen = [p.at for p in prober.probes if p.ok and p.model_version != version]
        return ReplacementReport(
            version_before=before,
            version_after=self.served_version(),
            old_url=old.url,
            new_url=new.url,
            start_seconds=ready - started,
            switch_seconds=switched - ready,
            drain_seconds=stopped - switched,
            total_seconds=stopped - started,
            converge_seconds=max(0.0, max(old_seen, default=0.0) - (ready - started)),
            failed_requests=prober.failures,
            probe_requests=len(prober.probes),
            versions_seen=tuple(prober.versions),
            restarted=(name,),
        )

    def _launch_model(self, version: str) -> ManagedProcess:
        process = self.launch(self._model_process(version))
        if self.transport == "amqp":
            self._wait_for_workers(1)
        return process

    def _model_process(self, version: str) -> ManagedProcess:
        env = {**self.settings.to_env(), "ARCHLAB_MODEL_VERSION": version}
        if self.transport == "amqp":
            return ManagedProcess("model-worker", [sys.executable, "-m", "patterns.api.amqp_worker"], env=env)
        port = free_port()
        if self.transport == "grpc":
            return GrpcServiceProcess("model-service", port, env=env)
        return ManagedProcess(
            "model-service",
            [sys.executable, "-m", "patterns.api.service", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            port=port,
            health_path="/ready",
        )

    def _switch_front(self, url: str) -> None:
        """Point the running front at `url`, and its future restarts too (its environment)."""
        response = requests.post(self.url + "/admin/model-service", json={"url": url}, timeout=10)
        response.raise_for_status()
        self.component(self.front_name).env["MODEL_SERVICE_URL"] = url

    def _wait_for_workers(self, count: int, timeout: float = 30.0) -> None:
        wait_for_consumers(self.settings.amqp_url, self.settings.model_queue, count, timeout)



def create_system(
    version: str | None = None,
    port: int | None = None,
    transport: str | None = None,
    settings: Settings | None = None,
) -> ApiSystem:
    return ApiSystem(version=version, port=port, transport=transport, settings=settings)
