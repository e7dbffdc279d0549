"""The front's side of the api architecture: reading answers, timeouts and the retry policy."""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from api_helpers import HungServer
from patterns.api.answers import read_answer
from patterns.api.http_client import HttpModelClient
from patterns.launch.process import free_port
from patterns.web.backend import BackendUnavailable, Prediction
from shared_model import ValidationError, example_record, validate_record

OK_ANSWER = b'{"predictions": [123.5], "model_version": "v7", "model_name": "house-price"}'


FIELD_ERROR = {"field": "OverallQual", "message": "is out of range (1 to 10)", "expected": "x", "got": 11}


def test_a_422_answer_for_a_list_becomes_per_row_field_errors():
    body = {"error": "Invalid input", "message": "invalid houses", "rows": [{"index": 1, "errors": [FIELD_ERROR]}]}
    with pytest.raises(ValidationError) as caught:
        read_answer(422, body, "http://svc")
    assert caught.value.row_errors == {1: [FIELD_ERROR]}


def test_a_422_answer_for_one_house_stays_one_record_not_row_0():
    body = {"error": "Invalid input", "message": "invalid house", "errors": [FIELD_ERROR]}
    with pytest.raises(ValidationError) as caught:
        read_answer(422, body, "http://svc")
    assert (caught.value.errors, caught.value.row_errors) == ([FIELD_ERROR], {})
    assert "row" not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [(503, {"error": "Service Unavailable", "message": "the model is not loaded yet"},
      "answered 503: the model is not loaded yet"),
     (200, {"unexpected": True}, "answered 200: no explanation"),
     (500, None, "answered 500: no explanation")],
)
def test_other_answers_are_backend_unavailable(status, body, reason):
    with pytest.raises(BackendUnavailable, match=f"the model service at http://svc {reason}"):
        read_answer(status, body, "http://svc")


def test_a_refused_connection_is_retried_then_reported():
    client = HttpModelClient(f"http://127.0.0.1:{free_port()}", attempts=3, backoff=0.01)
    with pytest.raises(BackendUnavailable, match=r"is not reachable \(connection refused\); tried 3 times"):
        client.predict([validate_record(example_record())])
    client.close()


def test_a_reset_connection_is_retried_and_the_retry_succeeds():
    """The first connection is reset before any answer: safe to retry, since predicting is pure."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def reset_once_then_answer():
        first, _ = listener.accept()
        first.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        first.close()  # RST
        second, _ = listener.accept()
        with second:
            second.recv(65536)
            second.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                           b"Content-Length: %d\r\n\r\n%s" % (len(OK_ANSWER), OK_ANSWER))

    server = threading.Thread(target=reset_once_then_answer)
    server.start()
    client = HttpModelClient(f"http://127.0.0.1:{listener.getsockname()[1]}", backoff=0.01)
    try:
        assert client.predict([validate_record(example_record())]) == Prediction([123.5], "v7")
    finally:
        server.join(10)
        listener.close()
        client.close()


def test_a_read_timeout_is_reported_and_not_retried():
    with HungServer() as hung:
        client = HttpModelClient(hung.url, read_timeout=0.3)
        with pytest.raises(BackendUnavailable, match=r"did not answer within 0\.3 s"):
            client.predict([validate_record(example_record())])
        client.close()
        assert hung.connections == 1
