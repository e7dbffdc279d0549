"""Helpers for the api architecture's tests: a model service process and a server that never answers."""

from __future__ import annotations

import dataclasses
import socket
import sys
import threading
from pathlib import Path

from patterns.launch.process import ManagedProcess, free_port
from patterns.api.settings import ApiSettings
from shared_model import input_fields


def model_fields(house: dict) -> dict:
    """A raw data row cut down to the model's input fields (the file has more columns)."""
    return {spec.name: house[spec.name] for spec in input_fields()}


def model_service(home: Path, version: str | None = None, name: str = "model-service") -> ManagedProcess:
    """The model service as a child process (not started); healthy means /ready answers 200."""
    port = free_port()
    env = {"ARCHLAB_HOME": str(home)}
    if version:
        env["ARCHLAB_MODEL_VERSION"] = version
    return ManagedProcess(
        name,
        [sys.executable, "-m", "patterns.api.service", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        port=port,
        health_path="/ready",
    )


def api_settings(home: Path, **overrides) -> ApiSettings:
    """Settings for an api system in `home`, with a short read timeout so fault tests stay quick."""
    return dataclasses.replace(ApiSettings(home=home, arch="api"), model_timeout=1.0, **overrides)


class HungServer:
    """A TCP server on loopback that accepts connections and reads, but never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def connections(self) -> int:
        """How many connections were accepted (a retry would show up here)."""
        return len(self._connections)

    def __enter__(self) -> HungServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(5)
        for connection in self._connections:
            connection.close()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self._connections.append(connection)  # kept open and silent until the test ends
