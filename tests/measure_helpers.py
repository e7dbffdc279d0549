"""A real HTTP server for the measurement tests: answers, errors, slowness and a live model switch."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeFront(ThreadingHTTPServer):
    """Routes: /ok (200 + current model_version), /error (500), /slow (200 after `slow_s`),
    /flaky (503 on every other request), /garbled (200 with a body that is not JSON)."""

    daemon_threads = True
    version = "v1"
    slow_s = 0.1

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self._flaky = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def flaky_fails(self) -> bool:
        with self._lock:
            self._flaky += 1
            return self._flaky % 2 == 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall

    def do_GET(self):
        self._route()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._route()

    def _route(self):
        server: FakeFront = self.server
        path = self.path
        if path == "/slow":
            time.sleep(server.slow_s)
        if path == "/error" or (path == "/flaky" and server.flaky_fails()):
            self._send(500 if path == "/error" else 503, b'{"error": "broken on purpose"}')
        elif path == "/garbled":
            self._send(200, b"<html>not json</html>")
        else:
            self._send(200, json.dumps({"prediction": 1.0, "model_version": server.version}).encode())

    def _send(self, status: int, body: bytes):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def fake_front():
    server = FakeFront()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def wait_until(predicate, timeout: float = 10.0) -> None:
    """Poll `predicate` until true; fail the test after `timeout` seconds instead of hanging."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.005)


def model_version(response) -> str:
    return response.json()["model_version"]
