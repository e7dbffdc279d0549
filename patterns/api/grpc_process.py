"""The gRPC model service as a launcher's child process.

A `ManagedProcess` whose address is `grpc://127.0.0.1:PORT` and whose health is the Ready RPC
(there is no HTTP endpoint to poll), so the launcher's start, restart and replacement steps work
unchanged for it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from patterns.launch.process import ManagedProcess, ProcessFailed

from .grpc_client import wait_until_ready
from .grpc_wire import SCHEME


class GrpcServiceProcess(ManagedProcess):
    """`python -m <module> --port PORT` (the model service by default); healthy once Ready says so."""

    def __init__(self, name: str, port: int, env: Mapping[str, str] | None = None,
                 log_dir: str | os.PathLike | None = None, module: str = "patterns.api.grpc_service") -> None:
        argv = [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port)]
        super().__init__(name, argv, env=env, port=port, health_path=None, log_dir=log_dir)

    @property
    def url(self) -> str:
        return f"{SCHEME}://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 30.0) -> float:
        try:
            return wait_until_ready(self.url, timeout, alive=lambda: self.running)
        except (RuntimeError, TimeoutError) as exc:
            raise ProcessFailed(self._failure(f"{self.name}: {exc}")) from None
