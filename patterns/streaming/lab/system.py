"""The running streaming architecture: a broker (unless external), N app instances, a publisher.

Its model update is a publish: every instance verifies the new bundle, loads it beside the model it
serves and swaps it in; nothing is rebuilt or restarted. Going back to an older version (a
rollback after a bad model) is a publish too, with a signed pin (`pin.py`) the instances obey
although the version is older. With two instances or more a new version may go out as a canary
first (`canary.py`): one instance, then the rest. With an external cluster
(`KAFKA_BOOTSTRAP_SERVERS`) the broker is the user's: never stopped, only reported.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

from shared_model import ModelStore
from shared_model.artifacts import PICKLE_FILE, pack

from patterns.launch.contract import AppliedUpdate, Capabilities, FaultSpec, FloorSamples, PerformanceTarget, Step
from patterns.launch.guards import CANARY, GuardReport
from patterns.launch.process import ManagedProcess, free_port
from patterns.launch.system import System
from patterns.settings import Settings

from ..broker import MANAGED_BROKER_ENV, LocalBroker, address_file, require_keys_for_broker
from ..publisher import Published, Publisher
from ..settings import StreamingSettings
from ..topic import delete_topic
from .canary import release_canary
from .floor import kafka_roundtrip

CHECKOUT = Path(__file__).resolve().parents[3]
Sent = TypeVar("Sent")
POLL_SECONDS = 0.005
INSTANCE_ENV = "ARCHLAB_INSTANCE"  # StreamingSettings.instance: the name a canary pin addresses


class StreamingSystem(System):
    architecture = "streaming"
    settings_class = StreamingSettings
    capabilities = Capabilities(latency_floor="http_constant")
    comparison_options = {"instances": 2}  # the update must reach more than one running app
    targets = (
        PerformanceTarget("streaming_propagation_s", "streaming propagation, publish returned -> every instance "
                          "serves the new version (s)", "value", ("update", "details", "propagation_s"), "<", 1.0),
        PerformanceTarget("streaming_update_failures", "failed requests during the streaming update", "value",
                          ("update", "failed"), "==", 0),
    )

    def __init__(self, settings: Settings | None = None, version: str | None = None, port: int | None = None,
                 namespace: str | None = None, instances: int = 1) -> None:
        super().__init__(settings, version, port, namespace)
        self.store = ModelStore(self.settings.home / "models")
        self.front_instances = instances
        self.bootstrap_servers = self.settings.kafka_bootstrap_servers
        self.publisher: Publisher | None = None

    @classmethod
    def scale_options(cls, count: int) -> dict:
        """`count` app instances, each consuming the model topic and holding the model in memory."""
        return {"instances": count}

    @property
    def external_broker(self) -> bool:
        return "broker" not in self.components

    def start(self) -> StreamingSystem:
        require_keys_for_broker(self.bootstrap_servers)  # before anything starts: a user's broker needs own keys
        if not self.bootstrap_servers:
            broker = self.launch(LocalBroker(log_dir=self.settings.log_dir))
            self.bootstrap_servers = broker.bootstrap_servers
            if not self.namespace:  # `archlab publish` finds the broker of `archlab serve streaming` here
                address_file(self.settings.home).parent.mkdir(parents=True, exist_ok=True)
                address_file(self.settings.home).write_text(self.bootstrap_servers)
        self.publisher = Publisher(self.bootstrap_servers, self.settings.kafka_model_topic, self.store)
        # A version asked for is published; otherwise an empty topic gets the store's newest.
        if self.version or self.publisher.topic_is_empty():
            self.publish(self.version or self.store.latest())
        self.launch_all([self._front(name, self.port if i == 0 and self.port else free_port())
                         for i, name in enumerate(self.front_names)])
        self.wait_until_serving()
        return self

    def publish(self, version: str) -> Published:
        return self.publisher.publish(version)

    def publish_tampered(self, version: str) -> Published:
        """Fault injection: `version` with its pickle altered after signing; every app must refuse it."""
        files = self.store.files(version)
        files[PICKLE_FILE] = files[PICKLE_FILE][:-16] + bytes(16)
        return self.publisher.send_bundle(pack(files), self.store.metadata(version))

    def wait_until_serving(self, version: str | None = None, timeout: float = 30.0) -> list[float]:
        """Wait until every instance serves `version` (any model if None); seconds per instance."""
        started = time.monotonic()
        waited: dict[int, float] = {}
        while len(waited) < self.front_instances:
            for i, served in enumerate(self.served_versions()):
                if i not in waited and served is not None and version in (None, served):
                    waited[i] = time.monotonic() - started
            if len(waited) < self.front_instances:
                if time.monotonic() - started > timeout:
                    raise TimeoutError(f"instances still serve {self.served_versions()} after {timeout:g} s; "
                                       f"expected {version or 'a model'}")
                time.sleep(POLL_SECONDS)
        return [waited[i] for i in range(self.front_instances)]

    def apply_update(self, version: str, timeout: float = 30.0) -> AppliedUpdate:
        """Publish `version`; propagation counts from "publish returned" to "every instance serves it".

        A version older than the newest one published would be ignored by every instance (a
        replay must not roll users back): moving users to it is a rollback (`apply_rollback`)."""
        if self.publisher.needs_pin(version):
            return self.apply_rollback(version, timeout)
        published, steps, details = self._publish_and_wait(version, self.publish, "model published", timeout)
        details["bundle_bytes"] = published.bytes  # what every instance fetches from the broker
        return AppliedUpdate(
            strategy="hot swap: the signed model is published to the topic; every running instance verifies it, "
                     "loads it beside the one it serves and swaps it in",
            better_strategy="", steps=steps, details=details,
        )

    def apply_rollback(self, version: str, timeout: float = 30.0) -> AppliedUpdate:
        """Publish the older `version` with a pin signed by the training key that replaces the newest
        version published; every instance verifies the pin and serves `version` again."""
        (pin, _), steps, details = self._publish_and_wait(version, self.publisher.publish_pin,
                                                          "model and signed rollback pin published", timeout)
        why = ("although an earlier pin took this build off" if pin.replaces == version
               else "although it is older")
        return AppliedUpdate(
            strategy=f"signed rollback: {version} republished with a pin signed by the training key (serve {version} "
                     f"instead of {pin.replaces} built {pin.replaces_created}); every instance verified the pin and "
                     f"swapped {version} back in {why}; a replay of {pin.replaces} now ranks below "
                     "the pin and is ignored, a newer version number replaces it as usual",
            better_strategy="", steps=steps, details={**details, "pin": asdict(pin)},
        )

    def release_guards(self) -> tuple[str, ...]:
        """A canary needs an instance to try the version on while the others keep serving."""
        return (CANARY,) if self.front_instances > 1 else ()

    def release_under_guard(self, version: str, guard: str, watch_s: float,
                            while_live: Callable[[], None] | None = None) -> GuardReport:
        if guard not in self.release_guards():
            raise ValueError(f"streaming with {self.front_instances} instance(s) offers the guards "
                             f"{', '.join(self.release_guards()) or 'none'}; got {guard!r}")
        return release_canary(self, version, watch_s, while_live)

    def _publish_and_wait(self, version: str, send: Callable[[str], Sent], label: str,
                          timeout: float) -> tuple[Sent, tuple[Step, ...], dict]:
        """`send(version)`, then wait until every instance serves it: what `send` returned, the two
        steps, and the propagation details."""
        started = time.monotonic()
        sent = send(version)
        published = time.monotonic() - started
        per_instance = self.wait_until_serving(version, timeout)
        steps = (Step(f"{label} to the topic", published, "build"),
                 Step(f"all {self.front_instances} instances serve it", max(per_instance), "switch"))
        return sent, steps, {"propagation_s": max(per_instance), "instance_seconds": per_instance}

    def faults(self) -> list[FaultSpec]:
        faults = super().faults()
        if self.external_broker:
            faults.insert(0, FaultSpec("broker", f"external Kafka cluster at {self.bootstrap_servers}, "
                                                 "shared with other users: not stopped by archlab", breakable=False))
        return faults

    def floors(self, count: int) -> list[FloorSamples]:
        return [kafka_roundtrip(self.bootstrap_servers, f"{self.settings.kafka_model_topic}.floor", count)]

    def start_component(self, name: str, timeout: float = 30.0) -> float:
        """Start a component again; a restarted in-memory broker gets the current model re-published."""
        seconds = super().start_component(name, timeout)
        if isinstance(self.component(name), LocalBroker):
            self.publisher.republish_if_empty(timeout)
        return seconds

    def restart(self, name: str, timeout: float = 30.0) -> float:
        started = time.monotonic()
        self.stop_component(name)
        self.start_component(name, timeout)
        return time.monotonic() - started

    def namespace_resources(self) -> dict[str, str]:
        return {**super().namespace_resources(),
                "topic": f"{self.settings.kafka_model_topic} on {self.bootstrap_servers}"}

    def remove_namespace(self) -> None:
        super().remove_namespace()
        if self.external_broker and self.bootstrap_servers:  # archlab's own broker went with its memory
            delete_topic(self.bootstrap_servers, self.settings.kafka_model_topic)

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.close()
        super().close()
        if "broker" in self.components and not self.namespace:
            address_file(self.settings.home).unlink(missing_ok=True)

    def second_app_env(self) -> dict[str, str]:
        """The front's settings under a name of its own: a canary pin for the front is not its."""
        return {**super().second_app_env(), INSTANCE_ENV: self.second_app_name}

    def _front(self, name: str, port: int) -> ManagedProcess:
        return ManagedProcess(
            name,
            [sys.executable, "-m", "patterns.web", "--host", "127.0.0.1", "--port", str(port)],
            env={**self._front_env(), INSTANCE_ENV: name},
            port=port,
        )

    def _front_env(self) -> dict[str, str]:
        env = {
            **self.settings.to_env(),
            "ARCHLAB_ARCH": "streaming",
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "PYTHONPATH": os.pathsep.join(p for p in (str(CHECKOUT), os.environ.get("PYTHONPATH", "")) if p),
        }
        if not self.external_broker:  # the broker archlab started itself: the development key may do
            env[MANAGED_BROKER_ENV] = "1"
        return env


SYSTEM = StreamingSystem
