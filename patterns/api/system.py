"""The running api architecture: the web front plus the model service (HTTP) or worker (RabbitMQ).

A model update replaces only the model process and never the front (blue/green): start the new
instance, wait until it is ready, switch the front to it, stop the old one gracefully (it finishes
what it has in flight).
"""

from __future__ import annotations

import sys
import time

from shared_model import ModelStore, example_record

from patterns import http
from patterns.launch.contract import Applied, Capabilities, FaultSpec, FloorSamples, Step
from patterns.launch.process import ManagedProcess, free_port
from patterns.launch.system import System
from patterns.settings import Settings
from patterns.web.auth import admin_headers, with_admin_token

from .amqp import delete_queue, redact, wait_for_consumers
from .amqp_floor import amqp_constant_roundtrip
from .backend import TRANSPORTS
from .grpc_floor import grpc_constant_roundtrip
from .grpc_process import GrpcServiceProcess

# Seconds an old model process gets to finish its in-flight requests before SIGKILL.
DRAIN_GRACE = 10.0


class ApiSystem(System):
    architecture = "api"

    def __init__(self, settings: Settings | None = None, version: str | None = None, port: int | None = None,
                 namespace: str | None = None, transport: str | None = None) -> None:
        super().__init__(settings, version, port or free_port(), namespace)
        self.store = ModelStore(self.settings.home / "models")
        self.transport = transport or self.settings.model_transport
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}; got {self.transport!r}")

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(scalable_component=self.model_component, latency_floor=f"{self.transport}_constant")

    @classmethod
    def comparison_variants(cls, settings: Settings) -> dict[str, dict]:
        """The transports other than the configured one, each measured against its own floor."""
        return {transport: {"transport": transport} for transport in TRANSPORTS if transport != settings.model_transport}

    def floors(self, count: int) -> list[FloorSamples]:
        """A constant-answer call over this system's own transport (HTTP's is the comparison's own)."""
        record = example_record()
        if self.transport == "grpc":
            return [grpc_constant_roundtrip(record, count)]
        if self.transport == "amqp":
            return [amqp_constant_roundtrip(self.settings.amqp_url, f"{self.settings.model_queue}.floor", record, count)]
        return []

    @property
    def model_component(self) -> str:
        """The component that holds the model: `model-service` (HTTP, gRPC) or `model-worker` (AMQP)."""
        return "model-worker" if self.transport == "amqp" else "model-service"

    def start(self) -> ApiSystem:
        self.version = self.version or self.store.latest()
        model = self._launch_model(self.version)
        self.settings = with_admin_token(self.settings)  # the front's admin route needs a credential
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

    def faults(self):
        faults = super().faults()
        if self.transport == "amqp":
            faults.append(FaultSpec("rabbitmq", f"external broker at {redact(self.settings.amqp_url)}, "
                                                "shared with other users: not stopped by archlab", breakable=False))
        return faults

    def start_component(self, name: str, timeout: float = 30.0) -> float:
        started = time.monotonic()
        super().start_component(name, timeout)
        if name == "model-worker":
            self._wait_for_workers(1, timeout)
        return time.monotonic() - started

    def apply_update(self, version: str) -> Applied:
        return self.replace_model_service(version)

    def replace_model_service(self, version: str) -> Applied:
        """Swap the model process for one serving `version` without failing requests."""
        name = self.model_component
        old = self.component(name)
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
        return Applied(
            strategy="blue/green: start the new model process beside the old one, switch the front to it, "
                     "stop the old one after it finished its requests",
            better_strategy="",
            steps=(Step(f"new {name} started and ready", ready - started, "build"),
                   Step("front switched to it", switched - ready, "switch"),
                   Step(f"old {name} drained and stopped", stopped - switched, "switch")),
        )

    def remove_namespace(self) -> None:
        super().remove_namespace()
        if self.transport == "amqp":
            delete_queue(self.settings.amqp_url, self.settings.model_queue)

    def namespace_resources(self) -> dict[str, str]:
        resources = super().namespace_resources()
        if self.transport == "amqp":
            resources["queue"] = f"{self.settings.model_queue} on {redact(self.settings.amqp_url)}"
        return resources

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
        http.call_json("POST", self.url + "/admin/model-service", json={"url": url}, timeout=10,
                       headers=admin_headers(self.settings))
        self.component(self.front_name).env["MODEL_SERVICE_URL"] = url

    def _wait_for_workers(self, count: int, timeout: float = 30.0) -> None:
        wait_for_consumers(self.settings.amqp_url, self.settings.model_queue, count, timeout)


SYSTEM = ApiSystem
