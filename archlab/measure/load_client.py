"""The load generator's HTTP/1.1 client: a kept-alive socket, requests encoded once, answers read lean.

Why not `patterns.http.Connection` (the standard library's `http.client`): its per-request header
building and its response parsing (`email.parser` for every answer) cost about 130 microseconds
of CPU per request on this machine against about 30 for this client, on the same constant server.
A load generator's own cost lands on both sides of every ratio and, at concurrency, takes CPU
from the servers it measures; so the request bytes are built once per worker and an answer is
read with the few rules HTTP/1.1 servers use here: Content-Length, chunked, or close-delimited.

Failures are `patterns.http.NoAnswer`, as with the project's client, and answers are
`patterns.http.Answer` (header names in lower case), so `extract` callables work on either.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from patterns import http

RECV_BYTES = 65536


def encode_request(url: str, method: str, body: bytes | None, headers: dict[str, str]) -> bytes:
    """The whole request (request line, headers, body) for `method url`, to send as is every time."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body or b'')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


class LeanConnection:
    """One kept-alive connection to the origin of `url` (one per thread: it is not thread-safe)."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        self.address = (parts.hostname, parts.port or 80)
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._received = False  # any byte of the current answer arrived

    def send(self, request: bytes, head_only: bool = False) -> http.Answer:
        """Send pre-encoded `request` and read its answer. A kept-alive connection the server
        closed meanwhile (nothing came back) is retried once on a fresh one, as `patterns.http` does."""
        reused = self._sock is not None
        try:
            return self._exchange(request, head_only)
        except ConnectionError as exc:
            self.close()
            if not (reused and isinstance(exc, _ClosedBeforeAnswer | BrokenPipeError | ConnectionResetError)):
                raise http.NoAnswer.from_error(exc) from None
        except (OSError, ValueError) as exc:
            self.close()
            raise http.NoAnswer.from_error(exc) from None
        try:
            return self._exchange(request, head_only)
        except (OSError, ValueError) as exc:
            self.close()
            raise http.NoAnswer.from_error(exc) from None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buffer = b""

    def __enter__(self) -> LeanConnection:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _exchange(self, request: bytes, head_only: bool) -> http.Answer:
        if self._sock is None:
            self._sock = socket.create_connection(self.address, self.timeout)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._received = bool(self._buffer)
        self._sock.sendall(request)
        status, headers, close = self._read_head()
        while 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
            status, headers, close = self._read_head()
        if head_only or status in (204, 304):
            body = b""
        elif "content-length" in headers:
            body = self._read_exactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            body, close = self._read_to_end(), True
        if close:
            self.close()
        return http.Answer(status, headers, body)

    def _fill(self) -> None:
        data = self._sock.recv(RECV_BYTES)
        if not data and self._received:
            raise ConnectionAbortedError("the server closed the connection in the middle of its answer")
        if not data:
            raise _ClosedBeforeAnswer("the server closed the connection without answering")
        self._received = True
        self._buffer += data

    def _read_line_block(self, end: bytes) -> bytes:
        while (index := self._buffer.find(end)) < 0:
            self._fill()
        block, self._buffer = self._buffer[:index], self._buffer[index + len(end):]
        return block

    def _read_head(self) -> tuple[int, dict[str, str], bool]:
        """Status, headers (names in lower case) and whether the server closes after this answer."""
        status_line, *lines = self._read_line_block(b"\r\n\r\n").decode("latin-1").split("\r\n")
        version, code, _ = (status_line + " ").split(" ", 2)
        if not version.startswith("HTTP/") or not code.isdigit():
            raise ValueError(f"not an HTTP answer: {status_line[:80]!r}")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        return int(code), headers, close

    def _read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _read_chunked(self) -> bytes:
        chunks = []
        while size := int(self._read_line_block(b"\r\n").split(b";", 1)[0], 16):
            chunks.append(self._read_exactly(size))
            self._read_exactly(2)
        while self._read_line_block(b"\r\n"):  # trailers, up to the empty line
            pass
        return b"".join(chunks)

    def _read_to_end(self) -> bytes:
        chunks = [self._buffer]
        while data := self._sock.recv(RECV_BYTES):
            chunks.append(data)
        self._buffer = b""
        return b"".join(chunks)


class _ClosedBeforeAnswer(ConnectionError):
    """EOF before any byte of the answer: on a kept-alive connection, the server had closed it while idle."""
