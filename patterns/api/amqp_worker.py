"""The RabbitMQ model worker: the same prediction as the HTTP service, reached through a queue.

    python -m patterns.api.amqp_worker [--queue archlab.predict]

Reads AMQP_URL, MODEL_QUEUE, ARCHLAB_MODEL_VERSION and MODEL_COST_MS (CPU milliseconds each prediction
spends first, `patterns.model_cost`); each reply carries the worker's Server-Timing parts in its
`Server-Timing` header, as the HTTP service's answer does. Takes one message at a time (prefetch 1) and
acknowledges it only after replying, so a worker that dies mid-request leaves the message for
another. On SIGTERM it finishes the current message and exits. If the broker connection is lost
it exits with status 1 (the launcher restarts components; a retry loop here would hide the fault).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys

import pika
import pika.exceptions

from shared_model import ModelError, ModelStore

from patterns.server_timing import HEADER as SERVER_TIMING
from patterns.server_timing import ServerTiming

from .amqp import STATUS_HEADER, connection_parameters, declare_queue, redact
from .predicting import Reply, answer_body, error_reply
from .settings import ApiSettings

log = logging.getLogger("patterns.api.amqp_worker")


def answer(model, body: bytes, cost_ms: float = 0.0) -> Reply:
    """The reply to one request body (never raises: a bad message must not kill the worker)."""
    try:
        return answer_body(model, body, cost_ms)
    except Exception:
        log.exception("prediction failed")
        return error_reply(500, "the model worker hit an unexpected error; it has been logged")


class Worker:
    """Consumes `queue` and replies on each message's `reply_to` until `stop()`."""

    def __init__(self, model, url: str, queue: str, cost_ms: float = 0.0) -> None:
        self.model = model
        self.url = url
        self.queue = queue
        self.cost_ms = cost_ms
        self._stopping = False

    def stop(self) -> None:
        self._stopping = True

    def reply_for(self, body: bytes) -> Reply:
        return answer(self.model, body, self.cost_ms)

    @property
    def answers_with(self) -> str:
        return f"model {self.model.version}"

    def run(self) -> None:
        connection = pika.BlockingConnection(connection_parameters(self.url))
        try:
            channel = connection.channel()
            declare_queue(channel, self.queue)
            channel.basic_qos(prefetch_count=1)
            channel.basic_consume(self.queue, self._on_message)
            log.info("consuming %s on %s with %s", self.queue, redact(self.url), self.answers_with)
            while not self._stopping:
                connection.process_data_events(time_limit=0.2)
        finally:
            if connection.is_open:
                connection.close()

    def _on_message(self, channel, method, properties, body: bytes) -> None:
        timing = ServerTiming()
        reply = self.reply_for(body)
        timing.add_all(reply.timing)
        if properties.reply_to:
            channel.basic_publish(
                exchange="",
                routing_key=properties.reply_to,
                body=json.dumps(reply.body).encode(),
                properties=pika.BasicProperties(
                    correlation_id=properties.correlation_id,
                    content_type="application/json",
                    headers={STATUS_HEADER: reply.status, SERVER_TIMING: timing.header()},
                ),
            )
        channel.basic_ack(method.delivery_tag)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns.api.amqp_worker", description=__doc__.splitlines()[0])
    try:
        settings = ApiSettings.from_env()
    except ValueError as exc:  # e.g. MODEL_COST_MS=fast
        parser.exit(2, f"{parser.prog}: {exc}\n")
    parser.add_argument("--queue", default=settings.model_queue)
    parser.add_argument("--model-version", default=settings.model_version)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    url = settings.amqp_url
    try:
        model = ModelStore().load(args.model_version)
    except ModelError as exc:
        log.error("the model could not be loaded: %s", exc)
        return 1
    worker = Worker(model, url, args.queue, settings.model_cost_ms)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    try:
        worker.run()
    except pika.exceptions.AMQPError as exc:
        log.error("RabbitMQ at %s failed: %r", redact(url), exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
