"""The front's HTTP client of the model service: reused connections, timeouts, safe retries.

Transport. One keep-alive `http.client` connection per front thread (waitress serves requests on
a few threads): on this machine a round trip through `requests` cost about 1.5 ms against 0.7 ms
for the same call on a bare kept-alive connection, and this hop is what the API architecture adds
to every prediction.

Retry policy. A prediction is a pure function of its input, so sending it twice cannot double any
effect. Failures at the connection level (refused, reset, a kept-alive socket the service closed,
a connect timeout) are therefore retried, at most `attempts` times in all, with a short backoff;
each attempt reads the current `url`, so a retry after a switch goes to the new service. With
several instances (`url` lists them, comma-separated) calls go round-robin and a refused
connection is retried at once on another instance (`instances`). A read
timeout is not retried: the service is alive but slow, and asking again would only double the
user's wait. An HTTP error answer is not retried either: the service has spoken.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from urllib.parse import urlsplit

from patterns.server_timing import HEADER as SERVER_TIMING
from patterns.web.backend import BackendUnavailable, Prediction

from .answers import read_answer
from .instances import Instances, retry_or_give_up, turns

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
RETRYABLE = (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine, socket.gaierror)


class _ReadTimeout(Exception):
    """The service accepted the connection but did not answer in time."""


class HttpModelClient:
    """Calls `POST {url}/v1/predict` (one instance or several, comma-separated); `url` may be switched
    at any time (zero-downtime replacement)."""

    def __init__(
        self,
        url: str,
        connect_timeout: float = 1.0,
        read_timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.05,
    ) -> None:
        self.url = url
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._local = threading.local()  # .connections: this thread's kept-alive socket per instance

    @property
    def url(self) -> str:
        return str(self._instances)

    @url.setter
    def url(self, url: str) -> None:
        self._instances = Instances(url)

    def predict(self, records: list[dict]) -> Prediction:
        status, data, url, timing = self._request("POST", "/v1/predict", json.dumps(records).encode(), self.read_timeout)
        try:
            body = json.loads(data)
        except ValueError:
            body = None
        return read_answer(status, body, url, timing)

    def ready(self) -> dict:
        """What GET /ready says at each instance, or why it could not be asked (for the front's /status)."""
        instances = self._instances
        return instances.summary([{**self._ready_at(url), "answered": instances.answers(url)} for url in instances.urls])

    def close(self) -> None:
        for url in list(self._connections()):
            self._drop(url)

    def _ready_at(self, url: str) -> dict:
        self._drop(url)  # ask on a fresh connection: whether the instance takes connections now
        try:
            status, data, _ = self._exchange(url, "GET", "/ready", None, min(self.read_timeout, 1.0))
            return {"url": url, "answers": True, **json.loads(data)}
        except (_ReadTimeout, OSError, http.client.HTTPException, ValueError) as exc:
            self._drop(url)
            problem = "did not answer in time" if isinstance(exc, _ReadTimeout) else f"is not reachable ({_describe(exc)})"
            reason = f"the model service at {url} {problem}"
            return {"url": url, "answers": False, "ready": False, "reason": reason}

    def _connections(self) -> dict[str, http.client.HTTPConnection]:
        if not hasattr(self._local, "connections"):
            self._local.connections = {}
        return self._local.connections

    def _connection(self, url: str) -> http.client.HTTPConnection:
        connections = self._connections()
        if url not in connections:
            for stale in [known for known in connections if known not in self._instances.urls]:
                self._drop(stale)  # an instance the front was switched away from
            parts = urlsplit(url)
            connections[url] = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=self.connect_timeout)
        return connections[url]

    def _drop(self, url: str) -> None:
        connection = self._connections().pop(url, None)
        if connection is not None:
            connection.close()

    def _exchange(self, url: str, method: str, path: str, body: bytes | None, read_timeout: float):
        """Status, body and Server-Timing header of the service's answer."""
        connection = self._connection(url)
        if connection.sock is None:
            connection.connect()  # bounded by connect_timeout
            connection.sock.settimeout(read_timeout)
        try:
            connection.request(method, path, body, JSON_HEADERS)
            response = connection.getresponse()
            return response.status, response.read(), response.getheader(SERVER_TIMING)
        except TimeoutError:
            raise _ReadTimeout from None

    def _request(self, method: str, path: str, body: bytes | None,
                 read_timeout: float) -> tuple[int, bytes, str, str | None]:
        for instances, url, tried in turns(lambda: self._instances):
            try:
                status, data, timing = self._exchange(url, method, path, body, read_timeout)
                instances.answered(url)
                return status, data, url, timing
            except _ReadTimeout:
                self._drop(url)
                raise BackendUnavailable(
                    f"the model service at {url} did not answer within {read_timeout:g} s") from None
            except (*RETRYABLE, TimeoutError) as exc:  # TimeoutError here: while connecting
                self._drop(url)
                another_answers = isinstance(exc, ConnectionRefusedError) and instances.refused(url)
                retry_or_give_up(tried, self.attempts, self.backoff, another_answers, _describe(exc))
            except (OSError, http.client.HTTPException) as exc:
                self._drop(url)
                raise BackendUnavailable(f"calling the model service at {url} failed: {_describe(exc)}") from None


def _describe(exc: BaseException) -> str:
    """The reason in a few words (e.g. 'connection refused') instead of a nested repr."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return "connection reset"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "remote end closed connection"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
