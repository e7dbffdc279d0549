"""The project's one HTTP client: the standard library's `http.client`, JSON in and out.

The launcher, the systems, the measurement library and the notebooks all talk to the running
fronts through it, so a latency figure never includes a third-party client's overhead that the
floors do not pay, and proxies from the environment can never bend a loopback measurement.

`Connection` keeps one connection alive to one origin (what a load-generating worker uses);
`call` is a single request on a fresh connection (what a script or a health check uses). Any
failure to get an answer raises `NoAnswer`; an HTTP error status is an answer, not an exception.
"""

from __future__ import annotations

import http.client
import json as jsonlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class NoAnswer(ConnectionError):
    """No HTTP answer at all: refused, reset, timed out or not HTTP. The message says which."""

    @classmethod
    def from_error(cls, exc: BaseException) -> NoAnswer:
        answer = cls(f"{type(exc).__name__}: {exc}")
        answer.timed_out = isinstance(exc, TimeoutError)
        return answer

    timed_out = False


class BadStatus(RuntimeError):
    """An answer whose status is not 2xx where the caller needed one (`call_json`)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body parsed as JSON (ValueError when it is not JSON)."""
        return jsonlib.loads(self.body)


def _split(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"expected an http://host:port/... URL, got {url!r}")
    path = parts.path or "/"
    return parts.hostname, parts.port or 80, path + (f"?{parts.query}" if parts.query else "")


def _encode(json: Any, headers: dict[str, str] | None) -> tuple[bytes | None, dict[str, str]]:
    merged = {"Accept": "application/json", **(headers or {})}
    if json is None:
        return None, merged
    return jsonlib.dumps(json).encode(), {"Content-Type": "application/json", **merged}


class Connection:
    """A kept-alive connection to the origin of `url` (one per thread: it is not thread-safe)."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.host, self.port, _ = _split(url)
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        """Send one request; a kept-alive connection the server closed meanwhile is retried once
        on a fresh one (the request never reached the server)."""
        reused = self._conn is not None
        try:
            return self._send(method, path, body, headers or {})
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            self.close()
            if not reused:
                raise NoAnswer.from_error(exc) from None
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise NoAnswer.from_error(exc) from None
        try:
            return self._send(method, path, body, headers or {})
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise NoAnswer.from_error(exc) from None

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._conn.request(method, path, body=body, headers=headers)
        response = self._conn.getresponse()
        data = response.read()
        if response.will_close:
            self.close()
        return Answer(response.status, dict(response.getheaders()), data)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def call(method: str, url: str, *, json: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 5.0) -> Answer:
    """One request on a fresh connection; `json` (if given) is sent as the body."""
    _, _, path = _split(url)
    body, merged = _encode(json, headers)
    with Connection(url, timeout) as connection:
        return connection.request(method, path, body, {**merged, "Connection": "close"})


def call_json(method: str, url: str, *, json: Any = None, headers: dict[str, str] | None = None,
              timeout: float = 5.0) -> Any:
    """`call`, then the JSON body of a 2xx answer; any other status raises `BadStatus` naming it."""
    answer = call(method, url, json=json, headers=headers, timeout=timeout)
    if not answer.ok:
        text = answer.body[:300].decode("utf-8", "replace")
        raise BadStatus(f"{method} {url} answered {answer.status}: {text}", answer.status)
    return answer.json()
