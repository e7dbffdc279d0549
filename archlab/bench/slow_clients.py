"""Slow and idle clients against a web front: does a normal request still get through?

    python -m archlab.bench.slow_clients [--url URL] [--idle 200] [--partial 200] [--hold 10]

Opens `--idle` TCP connections that never send a byte and `--partial` requests that send their
headers a few bytes at a time and never finish (slowloris), holds them, and meanwhile times a
normal `GET /health` and a request declaring a 100 MB body that sends 8 bytes (which should be
refused with 413 from its header, at once). Without `--url` it starts a front of its own
(`python -m patterns.web`, no model needed for /health) on a free loopback port. The target is a
normal answer within 1 s; tests/test_slow_clients.py checks the same with a generous timeout.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import sys
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

from .model import machine_description

PARTIAL_REQUEST = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
OVERSIZE_HEAD = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"


class HeldConnections:
    """`idle` connections that say nothing and `partial` requests that trickle a header line every
    `trickle_s` seconds and never end, held open until `close()`."""

    def __init__(self, host: str, port: int, idle: int, partial: int, trickle_s: float = 1.0) -> None:
        self.sockets: list[socket.socket] = []
        self._partial: list[socket.socket] = []
        self._stop = threading.Event()
        for _ in range(idle):
            self.sockets.append(socket.create_connection((host, port), timeout=5))
        for _ in range(partial):
            sock = socket.create_connection((host, port), timeout=5)
            sock.sendall(PARTIAL_REQUEST)
            self.sockets.append(sock)
            self._partial.append(sock)
        self._trickler = threading.Thread(target=self._trickle, args=(trickle_s,), daemon=True)
        self._trickler.start()

    def _trickle(self, every_s: float) -> None:
        counter = 0
        while not self._stop.wait(every_s):
            counter += 1
            for sock in self._partial:
                try:
                    sock.sendall(b"X-Slow-%d: 1\r\n" % counter)
                except OSError:
                    pass  # the server closed it: that is its right

    def still_open(self) -> int:
        """How many held connections the server has not closed (a peek that does not block)."""
        open_count = 0
        for sock in self.sockets:
            try:
                sock.setblocking(False)
                open_count += sock.recv(1, socket.MSG_PEEK) != b""
            except BlockingIOError:
                open_count += 1
            except OSError:
                pass
            finally:
                sock.setblocking(True)
        return open_count

    def close(self) -> None:
        self._stop.set()
        self._trickler.join(5)
        for sock in self.sockets:
            sock.close()


@contextmanager
def held(url: str, idle: int, partial: int):
    parts = urlsplit(url)
    connections = HeldConnections(parts.hostname, parts.port, idle, partial)
    try:
        yield connections
    finally:
        connections.close()


def timed_get(url: str, path: str = "/health", timeout: float = 5.0) -> tuple[int, float]:
    """(status, seconds) of one GET on a fresh connection."""
    parts = urlsplit(url)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", path)
        status = connection.getresponse().status
    finally:
        connection.close()
    return status, time.perf_counter() - started


def timed_oversize(url: str, timeout: float = 5.0) -> tuple[int, float]:
    """(status, seconds) of a request declaring a 100 MB body and sending 8 bytes of it."""
    parts = urlsplit(url)
    started = time.perf_counter()
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(OVERSIZE_HEAD + b'{"a": 1,')
        answer = sock.makefile("rb").readline()
    status = int(answer.split()[1]) if answer.startswith(b"HTTP/") else 0
    return status, time.perf_counter() - started


def own_front():
    """A front process of our own (no model: /health is all we ask of it)."""
    from patterns.launch.process import ManagedProcess, free_port

    from .front import front_in_process

    port = free_port()
    return ManagedProcess("slow-clients-front", [sys.executable, "-m", "patterns.web", "--port", str(port)],
                          env={"ARCHLAB_ARCH": front_in_process()}, port=port)


def outcome(call, *args, timeout: float) -> str:
    """'<status> in <ms> ms', or what happened instead (no answer within the timeout, refused...)."""
    try:
        status, seconds = call(*args, timeout=timeout)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as exc:
        return f"failed: {exc!r}"
    return f"{status} in {seconds * 1000:.1f} ms"


def run(url: str, idle: int, partial: int, hold_s: float, timeout: float = 30.0) -> None:
    print(f"machine: {machine_description()}")
    print(f"quiet front: GET /health -> {outcome(timed_get, url, timeout=timeout)}")
    with held(url, idle, partial) as connections:
        time.sleep(hold_s)
        print(f"after holding {idle} idle + {partial} partial connections for {hold_s:g} s: "
              f"GET /health -> {outcome(timed_get, url, timeout=timeout)} (target: under 1000 ms)")
        print("Content-Length: 100000000 with an 8-byte body -> "
              f"{outcome(timed_oversize, url, timeout=timeout)} (target: 413 at once)")
        print(f"held connections the server still keeps open: {connections.still_open()} of {idle + partial}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archlab.bench.slow_clients", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running front (default: start one)")
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--partial", type=int, default=200)
    parser.add_argument("--hold", type=float, default=10.0, help="seconds to hold them before the normal request")
    args = parser.parse_args(argv)
    if args.url:
        run(args.url, args.idle, args.partial, args.hold)
    else:
        with own_front() as front:
            run(front.url, args.idle, args.partial, args.hold)
    print(f"reproduce with: python -m archlab.bench.slow_clients --idle {args.idle} --partial {args.partial} --hold {args.hold:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
