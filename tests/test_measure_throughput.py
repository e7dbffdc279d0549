"""Throughput runs on real servers: every request counted, Server-Timing read, the client's own cost
reported, and the lean client reading the answer shapes real servers send."""

import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from archlab.cli import main
from archlab.measure.floors import CONSTANT_FLOORS, constant_throughput
from archlab.measure.load import Target
from archlab.measure.load_client import LeanConnection, encode_request
from archlab.measure.throughput import measure_throughput
from patterns import http
from patterns.launch.process import free_port, wait_for_http

HOUSE = {"GrLivArea": 1500, "Neighborhood": "NAmes"}


@pytest.mark.parametrize("kind", list(CONSTANT_FLOORS))
def test_each_constant_floor_answers_under_concurrent_load(archlab_home, kind):
    result = constant_throughput(kind, concurrency=4, count=120, duration_s=20)
    assert result.concurrency == 4
    assert (result.sent, result.answered, result.failed) == (120, 120, 0)
    assert result.requests_per_s > 0 and result.seconds > 0
    assert 0 < result.p50_ms <= result.p99_ms
    assert result.client_cpu_ms_per_request > 0
    assert result.as_dict()["server_timing_p50_ms"] == {}  # the constant servers send no Server-Timing


def test_an_unknown_floor_kind_is_refused_before_anything_starts():
    with pytest.raises(ValueError, match="http_constant, flask_constant, http_two_roundtrips"):
        constant_throughput("grpc_constant", concurrency=1, count=1, duration_s=1)


DYING_SERVER = """
import os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWERS = int(sys.argv[2])
served = 0
lock = threading.Lock()  # answers one at a time, so every answer before the fatal request is out whole

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.answer()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        global served
        with lock:
            served += 1
            if served > ANSWERS:
                os._exit(1)  # the process dies with requests in flight and kept-alive connections open
            self.answer()

    def answer(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def test_a_server_dying_mid_run_counts_every_request_as_answered_or_failed(tmp_path):
    script = tmp_path / "dying_server.py"
    script.write_text(DYING_SERVER)
    port = free_port()
    server = subprocess.Popen([sys.executable, str(script), str(port), "25"])
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", timeout=20, alive=lambda: server.poll() is None)
        result = measure_throughput(f"http://127.0.0.1:{port}/predict", 4, count=80, duration_s=30, timeout_s=2,
                                    json=HOUSE)
    finally:
        server.kill()
        server.wait(10)
    assert server.returncode == 1  # it died on its own, mid-run
    assert result.sent == 80 == result.answered + result.failed
    assert result.answered == 25  # exactly what the server answered before dying
    assert result.failed == 55


@contextmanager
def timing_server():
    """A real WSGI server whose answers say where their time went, except every third one."""
    served = []

    def app(environ, start_response):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        served.append(1)
        headers = [("Content-Type", "application/json"), ("Content-Length", "2")]
        if len(served) % 3:
            headers.append(("Server-Timing", 'validation;dur=0.25, model;desc="v2";dur=1.5, miss, total;dur=2'))
        start_response("200 OK", headers)
        return [b"{}"]

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    class ThreadingWSGIServer(ThreadingHTTPServer, WSGIServer):
        daemon_threads = True

    server = make_server("127.0.0.1", 0, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_server_timing_parts_are_read_from_a_real_server_and_absent_ones_ignored():
    with timing_server() as (url, served):
        result = measure_throughput([Target(url + "/a", "POST", HOUSE), Target(url + "/b", "POST", HOUSE)], 2,
                                    count=30, duration_s=20)
    assert len(served) == 30 and (result.sent, result.failed) == (30, 0)
    assert result.server_timing_p50_ms == {"validation": 0.25, "model": 1.5, "total": 2.0}


class RawAnswers(BaseHTTPRequestHandler):
    """Answers in the shapes the lean client must read: chunked with a trailer, close-delimited, 204,
    a kept-alive connection closed after the answer without notice, and an answer cut short."""

    protocol_version = "HTTP/1.1"
    paths: list[str] = []  # every request received, in order

    def do_GET(self):
        self.paths.append(self.path)
        if self.path == "/chunked":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\nX-Trailer: 1\r\n\r\n")
        elif self.path == "/until-close":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")
            self.close_connection = True
        elif self.path == "/empty":
            self.wfile.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        elif self.path in ("/then-close", "/truncated"):
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" +
                             (b"0123456789" if self.path == "/then-close" else b"012"))
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def raw_server():
    RawAnswers.paths.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), RawAnswers)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_the_lean_client_reads_each_answer_shape_on_one_connection(raw_server):
    paths = ("/chunked", "/empty", "/chunked", "/until-close", "/chunked", "/then-close", "/chunked")
    with LeanConnection(raw_server, timeout=5) as connection:
        answers = [connection.send(encode_request(raw_server + path, "GET", None, {})) for path in paths]
    assert [(a.status, a.body) for a in answers] == [
        (200, b"abcdefg"), (204, b""), (200, b"abcdefg"), (200, b"all of it"), (200, b"abcdefg"),
        (200, b"0123456789"), (200, b"abcdefg")]  # the last one on a fresh connection: the server had closed
    assert answers[3].headers["connection"] == "close"


def test_an_answer_cut_short_is_no_answer_and_is_not_sent_again(raw_server):
    with LeanConnection(raw_server, timeout=5) as connection:
        connection.send(encode_request(raw_server + "/chunked", "GET", None, {}))
        with pytest.raises(http.NoAnswer, match="middle of its answer"):
            connection.send(encode_request(raw_server + "/truncated", "GET", None, {}))
    assert RawAnswers.paths.count("/truncated") == 1


def test_the_lean_client_reports_no_answer_when_nothing_listens():
    url = f"http://127.0.0.1:{free_port()}"
    with LeanConnection(url, timeout=1) as connection, pytest.raises(http.NoAnswer, match="ConnectionRefused"):
        connection.send(encode_request(url + "/", "GET", None, {}))


def test_bench_throughput_prints_every_floor_the_machine_and_the_command_to_reproduce(archlab_home, capsys):
    assert main(["bench", "--throughput", "--calls", "40", "--seconds", "10"]) == 0
    out = capsys.readouterr().out
    for kind in CONSTANT_FLOORS:
        assert [line.split()[1] for line in out.splitlines() if line.split()[:1] == [kind]] == ["1", "8", "32"]
    assert "nproc" in out and "python 3." in out and "client CPU" in out
    assert "reproduce with: archlab bench --throughput --seconds 10 --calls 40" in out


@pytest.mark.parametrize("argv", [["--seconds", "0"], ["--calls", "0"], ["--formats"]])
def test_bench_throughput_refuses_bad_bounds_with_a_message(archlab_home, capsys, argv):
    assert main(["bench", "--throughput", *argv]) == 2
    assert "archlab bench: error:" in capsys.readouterr().err


@pytest.mark.usefixtures("home_with_models")
def test_bench_front_splits_the_embedded_fronts_time_into_http_flask_and_its_own_work(capsys):
    assert main(["bench", "--front", "--calls", "200", "--seconds", "5"]) == 0
    out = capsys.readouterr().out
    rows = {line[:22].strip(): [float(x) for x in line[22:].split()] for line in out.splitlines()
            if line[:22].strip() in ("bare WSGI callable", "Flask route", "embedded front")}
    bare, flask, embedded = rows["bare WSGI callable"], rows["Flask route"], rows["embedded front"]
    assert bare[0] < flask[0] < embedded[0]  # in process: the framework, then the validation and the model, cost
    assert all(http > inside for inside, http, _ in rows.values())  # a round trip costs more than a call
    assert "its Server-Timing parts (p50): model" in out and "validation" in out
    assert "reproduce with: archlab bench --front --seconds 5 --calls 200" in out


def test_bench_takes_one_kind_at_a_time(archlab_home, capsys):
    assert main(["bench", "--front", "--throughput"]) == 2
    assert "choose one of --formats, --throughput, --front and --outside" in capsys.readouterr().err
