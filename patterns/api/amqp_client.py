"""The front's RabbitMQ client of the model worker: request/reply with a deadline.

pika's BlockingConnection is not thread-safe, so each front thread has a connection of its own
(waitress serves requests on a few threads), with its own reply consumer: the front has as many
requests in flight as it has threads, and several workers on the queue (prefetch 1 each, so the
broker hands a message only to a worker that is free) really answer in parallel. A connection
opens on first use and again after any failure, so the front recovers by itself when the broker
comes back. Each request carries a message TTL equal to the client's timeout: a request nobody
answered in time expires in the queue instead of being scored later for a caller who has gone.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import pika
import pika.exceptions

from patterns.server_timing import HEADER as SERVER_TIMING
from patterns.web.backend import BackendUnavailable, Prediction

from .amqp import DIRECT_REPLY_TO, STATUS_HEADER, connection_parameters, declare_queue, redact
from .answers import read_answer


class _Caller:
    """One thread's connection to the broker, its reply consumer and the one request it waits for."""

    def __init__(self, url: str, queue: str) -> None:
        self.url, self.queue = url, queue
        self._connection: pika.BlockingConnection | None = None
        self._channel = None
        self._expected: str | None = None  # correlation id of the request in flight
        self._reply: tuple[int, bytes, str | None] | None = None

    def call(self, body: bytes, timeout: float, where: str) -> tuple[int, bytes, str | None]:
        """The worker's reply: its status, body and Server-Timing header."""
        channel = self.open()
        correlation_id = self._expected = uuid.uuid4().hex
        self._reply = None
        channel.basic_publish(
            exchange="",
            routing_key=self.queue,
            body=body,
            properties=pika.BasicProperties(
                reply_to=DIRECT_REPLY_TO,
                correlation_id=correlation_id,
                content_type="application/json",
                expiration=str(max(1, int(timeout * 1000))),
            ),
        )
        deadline = time.monotonic() + timeout
        while self._reply is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BackendUnavailable(
                    f"no reply from a model worker on {where} within {timeout:g} s "
                    "(is `python -m patterns.api.amqp_worker` running?)"
                )
            self._connection.process_data_events(time_limit=min(remaining, 0.1))
        return self._reply

    def open(self):
        if self._channel is None or not self._channel.is_open:
            self.drop()
            self._connection = pika.BlockingConnection(connection_parameters(self.url))
            self._channel = self._connection.channel()
            declare_queue(self._channel, self.queue)
            self._channel.basic_consume(DIRECT_REPLY_TO, self._on_reply, auto_ack=True)
        return self._channel

    def _on_reply(self, channel, method, properties, body: bytes) -> None:
        """Keep the reply to the request in flight; a late reply to one that timed out is dropped."""
        if properties.correlation_id == self._expected:
            headers = properties.headers or {}
            self._reply = (int(headers.get(STATUS_HEADER, 500)), body, headers.get(SERVER_TIMING))

    def drop(self) -> None:
        """Forget the connection (closing it if still open); the next call opens a new one."""
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except (pika.exceptions.AMQPError, OSError):
                pass


class AmqpModelClient:
    """Publishes predictions to `queue` and waits up to `timeout` seconds for a worker's reply."""

    def __init__(self, url: str, queue: str, timeout: float = 5.0) -> None:
        self.url = url
        self.queue = queue
        self.timeout = timeout
        self._local = threading.local()  # .caller: this thread's own connection
        self._lock = threading.Lock()
        self._callers: list[_Caller] = []

    @property
    def where(self) -> str:
        return f"queue {self.queue!r} on {redact(self.url)}"

    def predict(self, records: list[dict]) -> Prediction:
        caller = self._caller()
        try:
            status, answer, timing = caller.call(json.dumps(records).encode(), self.timeout, self.where)
        except (pika.exceptions.AMQPError, OSError) as exc:
            caller.drop()
            raise BackendUnavailable(f"RabbitMQ at {redact(self.url)} is not reachable ({exc!r})") from None
        try:
            payload = json.loads(answer)
        except ValueError:
            payload = None
        return read_answer(status, payload, self.where, timing)

    def ready(self) -> dict:
        """Whether the broker answers and how many workers consume the queue (for /status)."""
        caller = self._caller()
        try:
            consumers = declare_queue(caller.open(), self.queue)
        except (pika.exceptions.AMQPError, OSError) as exc:
            caller.drop()
            return {"broker": redact(self.url), "queue": self.queue, "answers": False, "reason": repr(exc)}
        return {"broker": redact(self.url), "queue": self.queue, "answers": True, "ready": consumers > 0, "workers": consumers}

    def close(self) -> None:
        with self._lock:
            for caller in self._callers:
                caller.drop()

    def _caller(self) -> _Caller:
        caller = getattr(self._local, "caller", None)
        if caller is None:
            caller = self._local.caller = _Caller(self.url, self.queue)
            with self._lock:
                self._callers.append(caller)
        return caller
