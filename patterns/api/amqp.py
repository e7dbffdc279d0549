"""What the RabbitMQ worker and client agree on: the queue, connection settings, the reply status.

Request/reply: the client publishes a JSON body to `queue` with `reply_to` (RabbitMQ's direct
reply-to pseudo-queue) and a `correlation_id`; the worker answers there with the same body and
status that the HTTP service would give, the status in the `status` header.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

import pika

DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"
STATUS_HEADER = "status"


def connection_parameters(url: str, timeout: float = 2.0) -> pika.URLParameters:
    """One connection attempt, bounded by `timeout`, so a missing broker fails fast and clearly."""
    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = timeout
    parameters.stack_timeout = timeout
    parameters.blocked_connection_timeout = timeout
    return parameters


def declare_queue(channel, queue: str) -> int:
    """Declare the request queue (idempotent; worker and client both do it); return its consumers."""
    return channel.queue_declare(queue=queue, durable=False, auto_delete=False).method.consumer_count


def redact(url: str) -> str:
    """The broker URL without its password, for messages and status pages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def wait_for_consumers(url: str, queue: str, count: int = 1, timeout: float = 30.0, interval: float = 0.1) -> float:
    """Wait until `count` workers consume `queue`; return the seconds waited (TimeoutError after `timeout`)."""
    started = time.monotonic()
    connection = pika.BlockingConnection(connection_parameters(url))
    try:
        channel = connection.channel()
        while declare_queue(channel, queue) < count:
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{count} worker(s) did not consume queue {queue!r} on {redact(url)} within {timeout:g} s")
            time.sleep(interval)
    finally:
        connection.close()
    return time.monotonic() - started


def delete_queue(url: str, queue: str) -> None:
    """Remove a run's own request queue (and anything left in it) from the broker."""
    connection = pika.BlockingConnection(connection_parameters(url))
    try:
        connection.channel().queue_delete(queue=queue)
    finally:
        connection.close()
