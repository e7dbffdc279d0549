"""waitress with a graceful stop: on SIGTERM stop accepting, finish in-flight requests, then exit.

waitress's own `run()` ends its event loop at once on SIGTERM, so answers that worker threads are
still writing never leave the process. Here the loop keeps turning after the stop signal until
every connection has nothing left to serve or send (bounded by `drain_timeout`). This is what lets
the launcher replace a model service under traffic without failing a request.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from waitress import wasyncore

from patterns.web.wsgi_server import create_server

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1


class GracefulServer:
    """Serve a WSGI `app` on host:port until `stop()` (or SIGTERM/SIGINT), then drain."""

    def __init__(self, app, host: str, port: int, threads: int = 8, drain_timeout: float = 10.0,
                 max_body: int = 4 * 1024 * 1024) -> None:
        self._server = create_server(app, host, port, threads=threads, max_body=max_body)
        self._drain_timeout = drain_timeout
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        return self._server.effective_port

    def stop(self) -> None:
        """Ask the serving loop to drain and return; safe from a signal handler or another thread."""
        self._stopping.set()

    def stop_on_signals(self) -> None:
        """Drain on SIGTERM (and Ctrl-C); call from the main thread before `serve()`."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())

    def serve(self) -> None:
        """Serve until `stop()`, then drain; returns when the last in-flight answer has been sent."""
        log.info("serving on http://%s:%s", self._server.effective_host, self.port)
        while not self._stopping.is_set():
            wasyncore.loop(timeout=POLL_SECONDS, use_poll=self._server.adj.asyncore_use_poll, map=self._server._map, count=1)
        self._drain()

    def _drain(self) -> None:
        server = self._server
        # Close only the listening socket (not waitress's wake-up trigger): new connections are
        # refused, which clients may safely retry elsewhere, while open ones are still served.
        wasyncore.dispatcher.close(server)
        deadline = time.monotonic() + self._drain_timeout
        while self._busy() and time.monotonic() < deadline:
            wasyncore.loop(timeout=POLL_SECONDS, use_poll=server.adj.asyncore_use_poll, map=server._map, count=1)
        if self._busy():
            log.warning("drain timeout (%g s) reached with requests still in flight", self._drain_timeout)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1.0)
        wasyncore.close_all(server._map)
        log.info("stopped")

    def _busy(self) -> bool:
        """A connection is busy while a request arrives, runs, or its answer is still unsent."""
        return any(
            channel.request is not None or channel.requests or channel.total_outbufs_len
            for channel in list(self._server.active_channels.values())
        )
