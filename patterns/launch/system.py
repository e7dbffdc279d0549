"""A running architecture: named components started in order, stopped in reverse, always."""

from __future__ import annotations

import logging

from .process import ManagedProcess

log = logging.getLogger(__name__)


class System:
    """Context manager over the named components (usually `ManagedProcess`es) of one architecture.

    A subclass implements `start()` by calling `self.launch(process)` for each component in
    dependency order, the web front under the name `front_name`. `close()` stops them in reverse
    order and is idempotent, so `with launch("embedded") as system:` cleans up on any exit.
    """

    architecture = ""
    front_name = "web"

    def __init__(self) -> None:
        self.components: dict[str, ManagedProcess] = {}

    def start(self) -> System:
        raise NotImplementedError

    @property
    def url(self) -> str:
        """The URL of the web front users (and measurements) talk to."""
        return self.component(self.front_name).url

    def launch(self, process: ManagedProcess, timeout: float = 30.0) -> ManagedProcess:
        """Register `process`, start it and wait until it is healthy."""
        self.components[process.name] = process
        process.start()
        process.wait_healthy(timeout)
        return process

    def component(self, name: str) -> ManagedProcess:
        try:
            return self.components[name]
        except KeyError:
            known = ", ".join(self.components) or "none"
            raise KeyError(f"{self.architecture or 'this'} system has no component {name!r} (it has: {known})") from None

    def stop_component(self, name: str) -> None:
        self.component(name).stop()

    def kill_component(self, name: str) -> None:
        self.component(name).kill()

    def start_component(self, name: str, timeout: float = 30.0) -> float:
        process = self.component(name)
        process.start()
        return process.wait_healthy(timeout)

    def restart(self, name: str, timeout: float = 30.0) -> float:
        """Restart one component; return the seconds until it was healthy again."""
        return self.component(name).restart(timeout)

    def pids(self) -> dict[str, int | None]:
        return {name: process.pid for name, process in self.components.items()}

    def status(self) -> dict[str, dict]:
        return {
            name: {"running": process.running, "pid": process.pid, "url": process.url}
            for name, process in self.components.items()
        }

    def close(self) -> None:
        """Stop every component, last started first; one failing stop does not skip the others."""
        for name in reversed(list(self.components)):
            try:
                self.components[name].stop()
            except Exception:
                log.exception("stopping %s failed", name)

    def __enter__(self) -> System:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
