"""The classroom's web server (the standard library's, one thread per connection): the page, one
Server-Sent Events stream per viewer carrying the shared snapshot, and the control endpoint."""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import urlsplit

from .access import Access
from .broadcast import Broadcaster
from .controls import ControlError

STATIC = {"/": ("page.html", "text/html; charset=utf-8"), "/page.js": ("page.js", "text/javascript; charset=utf-8"),
          "/page.css": ("page.css", "text/css; charset=utf-8")}
KEEPALIVE_S = 15.0
MAX_CONTROL_BYTES = 4096


def static_file(name: str) -> bytes:
    return resources.files(__package__).joinpath("static", name).read_bytes()


class ClassroomServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False  # a port in use is refused, not shared

    def __init__(self, address: tuple[str, int], broadcaster: Broadcaster, access: Access, controls=None) -> None:
        super().__init__(address, Handler)
        self.broadcaster, self.access, self.controls = broadcaster, access, controls  # controls None: a replay
        self.closing = threading.Event()

    def serve_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, name="classroom-server",
                                  daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self.closing.set()
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: ClassroomServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # a viewer's every request is not the instructor's news
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path in STATIC:
            name, kind = STATIC[path]
            self._send(HTTPStatus.OK, static_file(name), kind)
        elif path == "/snapshot":
            self._send(HTTPStatus.OK, self.server.broadcaster.latest(), "application/json")
        elif path == "/events":
            self._stream()
        elif path == "/favicon.ico":  # none: said at once, so a browser does not log a 404
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no page {path}", "fields": {}})

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/api/control":
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no endpoint {self.path}", "fields": {}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_CONTROL_BYTES:
            self.close_connection = True
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"a control is at most {MAX_CONTROL_BYTES} bytes",
                                                              "fields": {}})
            return
        body = self.rfile.read(length)
        if not self.server.access.allows(self.headers.get("Authorization")):
            self._json(HTTPStatus.FORBIDDEN, {"error": "read-only: the controls need the instructor's token "
                                                       "(Authorization: Bearer TOKEN)", "fields": {}})
            return
        controls = self.server.controls
        if controls is None:
            self._json(HTTPStatus.CONFLICT, {"error": "this is a replay: no system runs to control", "fields": {}})
            return
        try:
            try:
                request = json.loads(body)
            except ValueError as exc:
                raise ControlError(400, "the body is not JSON", {"body": str(exc)}) from None
            control = controls.parse(request)
        except ControlError as exc:
            self._json(exc.status, exc.as_dict())
            return
        controls.submit(control)
        self._json(HTTPStatus.ACCEPTED, {"accepted": control.label(), "panels": list(control.panels)})

    def _stream(self) -> None:
        broadcaster = self.server.broadcaster
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        broadcaster.joined(+1)
        try:
            seq, data = broadcaster.current()
            while not self.server.closing.is_set():
                self.wfile.write(b"data: " + data + b"\n\n" if data is not None else b": keep-alive\n\n")
                self.wfile.flush()
                seq, data = broadcaster.wait(seq, KEEPALIVE_S)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            broadcaster.joined(-1)

    def _json(self, status: int, body: dict) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, data: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)
