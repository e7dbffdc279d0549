"""The running api architecture: the web front plus the model service (HTTP) or worker (RabbitMQ).

The model service scales on its own: `model_instances=N` starts N model processes (`model-service`,
`model-service-2`, ... or `model-worker`, ...) beside ONE front, whose client spreads requests over
them (HTTP, gRPC: `MODEL_SERVICE_URL` lists them all; RabbitMQ: N consumers of the same queue).

A model update replaces only the model processes and never the front (blue/green): start the new
set, wait until every one is ready, switch the front to it, stop the old ones gracefully (each
finishes what it has in flight).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from shared_model import ModelStore, example_record

from patterns import http
from patterns.launch.contract import AppliedUpdate, Capabilities, FaultSpec, FloorSamples, PerformanceTarget, Step
from patterns.launch.guards import GuardReport
from patterns.launch.process import ManagedProcess, free_port
from patterns.launch.system import System
from patterns.settings import Settings
from patterns.web.auth import admin_headers, with_admin_token

from ..amqp import delete_queue, redact, wait_for_consumers
from ..backend import TRANSPORTS
from ..grpc_process import GrpcServiceProcess
from ..settings import ApiSettings
from .amqp_floor import amqp_constant_roundtrip
from .grpc_floor import grpc_constant_roundtrip
from .guarded import GUARDS, release

# Seconds an old model process gets to finish its in-flight requests before SIGKILL.
DRAIN_GRACE = 10.0
# Model processes one system may run (each loads its own copy of the model; this machine has 2 cores).
MAX_MODEL_INSTANCES = 8


class ApiSystem(System):
    architecture = "api"
    settings_class = ApiSettings
    targets = (
        PerformanceTarget("api_over_two_roundtrips", "model-API p50 / two constant round trips in series (Flask "
                          "front, Flask back end) p50", "p50_over_floor", ("http_two_roundtrips",), "<=", 1.3),
        PerformanceTarget("api_scale_out_with_cost", "model API with the model-cost knob on: requests/s with 2 "
                          "model-service instances / with 1", "scale_out_with_cost", (2, 1), ">=", 1.7),
    )

    def __init__(self, settings: Settings | None = None, version: str | None = None, port: int | None = None,
                 namespace: str | None = None, transport: str | None = None, model_instances: int = 1) -> None:
        whole = isinstance(model_instances, int) and not isinstance(model_instances, bool)
        if not whole or not 1 <= model_instances <= MAX_MODEL_INSTANCES:
            raise ValueError(f"model_instances must be a whole number from 1 to {MAX_MODEL_INSTANCES}; "
                             f"got {model_instances!r}")
        super().__init__(settings, version, port or free_port(), namespace)
        self.model_instances = model_instances
        self.store = ModelStore(self.settings.home / "models")
        self.transport = transport or self.settings.model_transport
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}; got {self.transport!r}")

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(scalable_component=self.model_component, latency_floor=self.latency_floor)

    @classmethod
    def scale_options(cls, count: int) -> dict:
        """`count` model processes behind the one front."""
        return {"model_instances": count}

    @property
    def latency_floor(self) -> str:
        """The floor of the same shape: two round trips in series to a constant, HTTP then this
        transport (over HTTP, archlab.measure's; over gRPC and RabbitMQ, `floors()`)."""
        return "http_two_roundtrips" if self.transport == "http" else f"http_then_{self.transport}"

    @classmethod
    def comparison_variants(cls, settings: Settings) -> dict[str, dict]:
        """The transports other than the configured one, each measured against its own floor."""
        configured = cls.settings_class.from_settings(settings).model_transport
        return {transport: {"transport": transport} for transport in TRANSPORTS if transport != configured}

    def floors(self, count: int) -> list[FloorSamples]:
        """Over gRPC and RabbitMQ: a constant answer over the transport alone, and through a front
        (HTTP's are the comparison's own)."""
        record = example_record()
        if self.transport == "grpc":
            return grpc_constant_roundtrip(record, count)
        if self.transport == "amqp":
            return amqp_constant_roundtrip(self.settings.amqp_url, f"{self.settings.model_queue}.floor", record, count)
        return []

    @property
    def model_component(self) -> str:
        """The component that holds the model: `model-service` (HTTP, gRPC) or `model-worker` (AMQP)."""
        return "model-worker" if self.transport == "amqp" else "model-service"

    @property
    def model_names(self) -> list[str]:
        """Every model process: `model-service`, `model-service-2`, ... (`model-worker`... with AMQP)."""
        base = self.model_component
        return [base] + [f"{base}-{n}" for n in range(2, self.model_instances + 1)]

    def start(self) -> ApiSystem:
        self.version = self.version or self.store.latest()
        models = [self._model_process(self.version, name) for name in self.model_names]
        self.settings = with_admin_token(self.settings)  # the front's admin route needs a credential
        front_env = {**self.settings.to_env(), "ARCHLAB_ARCH": "api", "MODEL_TRANSPORT": self.transport}
        if self.transport != "amqp":  # services with an address (HTTP, gRPC): point the front at them all
            front_env["MODEL_SERVICE_URL"] = ",".join(model.url for model in models)
        front = ManagedProcess(
            self.front_name,
            [sys.executable, "-m", "patterns.web", "--host", "127.0.0.1", "--port", str(self.port)],
            env=front_env,
            port=self.port,
        )
        self.launch_all([*models, front])  # the front only calls its services once a request comes
        if self.transport == "amqp":
            self._wait_for_workers(len(models))
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
        if self.transport == "amqp" and name in self.model_names:
            self._wait_for_workers(sum(self.component(n).running for n in self.model_names), timeout)
        return time.monotonic() - started

    def apply_update(self, version: str) -> AppliedUpdate:
        return self.replace_model_service(version)

    def replace_model_service(self, version: str) -> AppliedUpdate:
        """Swap every model process for one serving `version` without failing requests."""
        names = self.model_names
        old = [self.component(name) for name in names]
        started = time.monotonic()
        new = [self._model_process(version, name).start() for name in names]
        try:
            for process in new:
                process.wait_healthy()
            if self.transport == "amqp":
                self._wait_for_workers(len(old) + len(new))  # all consume the queue: stopping the old loses nothing
            ready = time.monotonic()
            if self.transport != "amqp":
                self._switch_front([process.url for process in new])
        except BaseException:
            for process in new:
                process.stop()  # the old processes keep serving: the front was not switched
            raise
        switched = time.monotonic()
        self.components.update(zip(names, new))
        for process in old:
            process.stop(grace=DRAIN_GRACE)
        stopped = time.monotonic()
        what = names[0] if len(names) == 1 else f"{len(names)} {self.model_component}s"
        return AppliedUpdate(
            strategy="blue/green: start the new model processes beside the old ones, switch the front to them, "
                     "stop the old ones after they finished their requests",
            better_strategy="",
            steps=(Step(f"new {what} started and ready", ready - started, "build"),
                   Step("front switched to them", switched - ready, "switch"),
                   Step(f"old {what} drained and stopped", stopped - switched, "switch")),
        )

    def release_guards(self) -> tuple[str, ...]:
        """Canary and shadow over HTTP: the front's client routes and mirrors calls itself."""
        return GUARDS if self.transport == "http" else ()

    def release_under_guard(self, version: str, guard: str, watch_s: float,
                            while_live: Callable[[], None] | None = None) -> GuardReport:
        if guard not in self.release_guards():
            raise ValueError(f"the api system over {self.transport} offers the guards "
                             f"{', '.join(self.release_guards()) or 'none'}; got {guard!r}")
        return release(self, version, guard, watch_s, while_live)

    def remove_namespace(self) -> None:
        super().remove_namespace()
        if self.transport == "amqp":
            delete_queue(self.settings.amqp_url, self.settings.model_queue)

    def namespace_resources(self) -> dict[str, str]:
        resources = super().namespace_resources()
        if self.transport == "amqp":
            resources["queue"] = f"{self.settings.model_queue} on {redact(self.settings.amqp_url)}"
        return resources

    def _model_process(self, version: str, name: str) -> ManagedProcess:
        env = {**self.settings.to_env(), "ARCHLAB_MODEL_VERSION": version}
        if self.transport == "amqp":
            return ManagedProcess(name, [sys.executable, "-m", "patterns.api.amqp_worker"], env=env)
        port = free_port()
        if self.transport == "grpc":
            return GrpcServiceProcess(name, port, env=env)
        return ManagedProcess(
            name,
            [sys.executable, "-m", "patterns.api.service", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            port=port,
            health_path="/ready",
        )

    def _switch_front(self, urls: list[str]) -> None:
        """Point the running front at `urls`, and its future restarts too (its environment)."""
        url = ",".join(urls)
        http.call_json("POST", self.url + "/admin/model-service", json={"url": url}, timeout=10,
                       headers=admin_headers(self.settings))
        self.component(self.front_name).env["MODEL_SERVICE_URL"] = url

    def _wait_for_workers(self, count: int, timeout: float = 30.0) -> None:
        wait_for_consumers(self.settings.amqp_url, self.settings.model_queue, count, timeout)


SYSTEM = ApiSystem
