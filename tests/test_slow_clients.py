"""Slow and idle clients cannot starve a front: real processes, real sockets held open."""

from __future__ import annotations

import json
import socket

import pytest

from archlab.bench.slow_clients import OVERSIZE_HEAD, held, timed_get
from launch_helpers import bare_front
from patterns.web import MAX_CONTENT_LENGTH

pytestmark = pytest.mark.slow  # a front process and 400 held connections

HELD = 200  # of each kind: twice waitress's default connection limit (100) in all


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    with bare_front(tmp_path_factory.mktemp("slow-clients-home")) as process:
        yield process.url


def test_a_normal_request_is_answered_while_idle_and_slow_clients_hold_connections(front):
    with held(front, idle=HELD, partial=HELD) as connections:
        status, _ = timed_get(front, "/health", timeout=5)  # generous: the target, 1 s, is measured by the bench
        assert status == 200
        assert connections.still_open() == 2 * HELD  # nobody was thrown out to make room


def test_an_oversize_content_length_is_refused_from_the_header_in_json(front):
    host, port = front.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(OVERSIZE_HEAD + b'{"a": 1,')  # 8 bytes of the 100 MB declared; the rest never comes
        answer = sock.makefile("rb").read()  # within the 5 s timeout, or TimeoutError fails the test
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"Content-Type: application/json" in head
    assert json.loads(body) == {
        "error": "Request Entity Too Large",
        "message": f"the request body is over the limit of {MAX_CONTENT_LENGTH} bytes",
    }
