"""The running streaming architecture: a broker (unless external), N app instances, a publisher.

`publish_and_wait(version)` is this architecture's model update and its measurement: publish,
then time until every instance answers with the new version while probers send traffic. Nothing
is rebuilt or restarted.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

from shared_model import ModelStore, example_record
from shared_model.artifacts import PICKLE_FILE, pack

from patterns.launch.probe import Prober
from patterns.launch.process import ManagedProcess, free_port
from patterns.launch.system import System
from patterns.settings import Settings

from .broker import LocalBroker, address_file
from .publisher import Published, Publisher

CHECKOUT = Path(__file__).resolve().parents[2]
POLL_SECONDS = 0.002


@dataclass(frozen=True)
class UpdateReport:
    """What one model update cost: publish time, propagation to every instance, failed requests."""

    version_before: list[str | None]
    version_after: list[str | None]
    publish_seconds: float
    propagation_seconds: float
    instance_seconds: list[float]
    failed_requests: int
    probe_requests: int
    versions_seen: list[list[str]]
    errors: list[str]
    rebuilt: tuple[str, ...] = ()
    restarted: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return asdict(self)


class StreamingSystem(System):
    architecture = "streaming"

    def __init__(self, port: int | None = None, instances: int = 1, version: str | None = None,
                 settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings.from_env()
        self.store = ModelStore(self.settings.home / "models")
        self.port = port
        self.instances = instances
        self.version = version or self.settings.model_version
        self.bootstrap_servers = self.settings.kafka_bootstrap_servers
        self.publisher: Publisher | None = None

    @property
    def front_names(self) -> list[str]:
        return [self.front_name] + [f"{self.front_name}-{i}" for i in range(2, self.instances + 1)]

    @property
    def front_urls(self) -> list[str]:
        return [self.component(name).url for name in self.front_names]

    def start(self) -> StreamingSystem:
        if not self.bootstrap_servers:
            broker = self.launch(LocalBroker(log_dir=self.settings.log_dir))
            self.bootstrap_servers = broker.bootstrap_servers
            address_file(self.settings.home).parent.mkdir(parents=True, exist_ok=True)
            address_file(self.settings.home).write_text(self.bootstrap_servers)
        self.publisher = Publisher(self.bootstrap_servers, self.settings.kafka_model_topic, self.store)
        # A version asked for is published; otherwise an empty topic gets the store's newest.
        if self.version or self.publisher.topic_is_empty():
            self.publish(self.version or self.store.latest())
        fronts = [self._front(name, self.port if i == 0 and self.port else free_port())
                  for i, name in enumerate(self.front_names)]
        for front in fronts:  # start them all, then wait: instances boot in parallel
            self.components[front.name] = front
            front.start()
        for front in fronts:
            front.wait_healthy()
        self.wait_until_serving()
        return self

    def publish(self, version: str) -> Published:
        return self.publisher.publish(version)

    def publish_tampered(self, version: str) -> Published:
        """Fault injection: `version` with its pickle altered after signing; every app must refuse it."""
        files = self.store.files(version)
        files[PICKLE_FILE] = files[PICKLE_FILE][:-16] + bytes(16)
        return self.publisher.send_bundle(pack(files), self.store.metadata(version))

    def served_versions(self) -> list[str | None]:
        """The model version each instance reports on /status (None: no model, or not answering)."""
        return [self._status(url).get("model_version") for url in self.front_urls]

    def wait_until_serving(self, version: str | None = None, timeout: float = 30.0) -> list[float]:
        """Wait until every instance serves `version` (any model if None); seconds per instance."""
        started = time.monotonic()
        waited: dict[str, float] = {}
        while len(waited) < self.instances:
            for url in self.front_urls:
                if url not in waited and self._serves(url, version):
                    waited[url] = time.monotonic() - started
            if len(waited) < self.instances:
                if time.monotonic() - started > timeout:
                    raise TimeoutError(f"instances still serve {self.served_versions()} after {timeout:g} s; "
                                       f"expected {version or 'a model'}")
                time.sleep(POLL_SECONDS)
        return [waited[url] for url in self.front_urls]

    def publish_and_wait(self, version: str, timeout: float = 30.0, traffic: bool = True) -> UpdateReport:
        """Publish `version`; propagation counts from "publish returned" to "every instance serves it"."""
        before = self.served_versions()
        with ExitStack() as stack:
            probers = [stack.enter_context(Prober(url, example_record())) for url in self.front_urls] if traffic else []
            started = time.monotonic()
            self.publish(version)
            published = time.monotonic()
            per_instance = self.wait_until_serving(version, timeout)
        return UpdateReport(
            version_before=before,
            version_after=self.served_versions(),
            publish_seconds=published - started,
            propagation_seconds=max(per_instance),
            instance_seconds=per_instance,
            failed_requests=sum(prober.failures for prober in probers),
            probe_requests=sum(len(prober.probes) for prober in probers),
            versions_seen=[prober.versions for prober in probers],
            errors=sorted({probe.error for prober in probers for probe in prober.probes if not probe.ok}),
        )

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

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.close()
        super().close()
        if "broker" in self.components:
            address_file(self.settings.home).unlink(missing_ok=True)

    def _serves(self, url: str, version: str | None) -> bool:
        served = self._status(url).get("model_version")
        return served is not None and (version is None or served == version)

    @staticmethod
    def _status(url: str) -> dict:
        try:
            with urllib.request.urlopen(url + "/status", timeout=2) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            return {}

    def _front(self, name: str, port: int) -> ManagedProcess:
        return ManagedProcess(
            name,
            [sys.executable, "-m", "patterns.web", "--host", "127.0.0.1", "--port", str(port)],
            env=self._front_env(),
            port=port,
        )

    def _front_env(self) -> dict[str, str]:
        from .broker import MANAGED_BROKER_ENV

        env = {
            **self.settings.to_env(),
            "ARCHLAB_ARCH": "streaming",
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "PYTHONPATH": os.pathsep.join(p for p in (str(CHECKOUT), os.environ.get("PYTHONPATH", "")) if p),
        }
        if not self.settings.kafka_bootstrap_servers:  # the broker archlab started itself: the development key may do
            env[MANAGED_BROKER_ENV] = "1"
        return env


def create_system(port: int | None = None, instances: int = 1, version: str | None = None,
                  settings: Settings | None = None) -> StreamingSystem:
    return StreamingSystem(port=port, instances=instances, version=version, settings=settings)
