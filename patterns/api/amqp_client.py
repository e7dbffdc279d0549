"""The front's RabbitMQ client of the model worker: request/reply with a deadline.

pika's BlockingConnection is not thread-safe, so one connection serves all of the front's threads
behind a lock (the worker takes one message at a time anyway). The connection opens on first use
and again after any failure, so the front recovers by itself when the broker comes back. Each
request carries a message TTL equal to the client's timeout: a request nobody answered in time
expires in the queue instead of being scored later for a caller who has gone.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import pika
import pika.exceptions

from patterns.web.backend import BackendUnavailable, Prediction

from .amqp import DIRECT_REPLY_TO, STATUS_HEADER, connection_parameters, declare_queue, redact
from .answers import read_answer


class AmqpModelClient:
    """Publishes predictions to `queue` and waits up to `timeout` seconds for the worker's reply."""

    def __init__(self, url: str, queue: str, timeout: float = 5.0) -> None:
        self.url = url
        self.queue = queue
        self.timeout = timeout
        self._lock = threading.Lock()
        self._connection: pika.BlockingConnection | None = None
        self._channel = None
        self._expected: str | None = None  # correlation id of the one request in flight
        self._reply: tuple[int, bytes] | None = None

    @property
    def where(self) -> str:
        return f"queue {self.queue!r} on {redact(self.url)}"

    def predict(self, records: list[dict]) -> Prediction:
        body = json.dumps(records).encode()
        with self._lock:
            try:
                status, answer = self._call(body)
            except (pika.exceptions.AMQPError, OSError) as exc:
                self._drop_connection()
                raise BackendUnavailable(f"RabbitMQ at {redact(self.url)} is not reachable ({exc!r})") from None
        try:
            payload = json.loads(answer)
        except ValueError:
            payload = None
        return read_answer(status, payload, self.where)

    def ready(self) -> dict:
        """Whether the broker answers and how many workers consume the queue (for /status)."""
        with self._lock:
            try:
                consumers = declare_queue(self._open(), self.queue)
            except (pika.exceptions.AMQPError, OSError) as exc:
                self._drop_connection()
                return {"broker": redact(self.url), "queue": self.queue, "answers": False, "reason": repr(exc)}
        return {"broker": redact(self.url), "queue": self.queue, "answers": True, "ready": consumers > 0, "workers": consumers}

    def close(self) -> None:
        with self._lock:
            self._drop_connection()

    def _call(self, body: bytes) -> tuple[int, bytes]:
        channel = self._open()
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
                expiration=str(max(1, int(self.timeout * 1000))),
            ),
        )
        deadline = time.monotonic() + self.timeout
        while self._reply is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BackendUnavailable(
                    f"no reply from a model worker on {self.where} within {self.timeout:g} s "
                    "(is `python -m patterns.api.amqp_worker` running?)"
                )
            self._connection.process_data_events(time_limit=min(remaining, 0.1))
        return self._reply

    def _open(self):
        if self._channel is None or not self._channel.is_open:
            self._drop_connection()
            self._connection = pika.BlockingConnection(connection_parameters(self.url))
            self._channel = self._connection.channel()
            declare_queue(self._channel, self.queue)
            self._channel.basic_consume(DIRECT_REPLY_TO, self._on_reply, auto_ack=True)
        return self._channel

    def _on_reply(self, channel, method, properties, body: bytes) -> None:
        """Keep the reply to the request in flight; a late reply to one that timed out is dropped."""
        if properties.correlation_id == self._expected:
            self._reply = (int((properties.headers or {}).get(STATUS_HEADER, 500)), body)

    def _drop_connection(self) -> None:
        """Forget the connection (closing it if still open); the next call opens a new one."""
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except (pika.exceptions.AMQPError, OSError):
                pass
