"""The RabbitMQ floor: one request/reply round trip through the broker to a worker answering a
constant, on a scratch queue that is deleted afterwards.

    python -m patterns.api.lab.amqp_floor --queue Q      # the constant worker alone

The worker is the model worker with its answer replaced by a constant, and the client is the
front's own (`AmqpModelClient`), so the floor holds everything a RabbitMQ round trip to the model
worker costs except validation and the model itself.
"""

from __future__ import annotations

import argparse
import signal
import sys

from patterns.launch.contract import FloorSamples
from patterns.launch.process import ManagedProcess

from ..amqp import delete_queue, redact, wait_for_consumers
from ..amqp_client import AmqpModelClient
from ..amqp_worker import Worker
from ..predicting import Reply
from ..settings import ApiSettings
from .floor_front import through_front, timed_calls

CONSTANT = Reply(200, {"predictions": [0.0], "model_version": "constant"})


class ConstantWorker(Worker):
    """Consumes and acknowledges like the model worker; answers the same reply every time."""

    answers_with = "a constant answer"

    def reply_for(self, body: bytes) -> Reply:
        return CONSTANT


def amqp_constant_roundtrip(url: str, queue: str, record: dict, count: int = 2000,
                            timeout_s: float = 30.0) -> list[FloorSamples]:
    """Two floors on one constant worker consuming `queue`, `count` sequential round trips each: a
    request/reply carrying `record` (the transport alone), and a POST through the floor front that
    makes that request (the model API's shape: HTTP, then RabbitMQ)."""
    worker = ManagedProcess("floor-amqp-constant", [sys.executable, "-m", __name__, "--queue", queue],
                            env={"AMQP_URL": url})
    client = AmqpModelClient(url, queue, timeout=5.0)
    try:
        worker.start()
        wait_for_consumers(url, queue, 1, timeout=30.0)
        alone = timed_calls(lambda: client.predict([record]), count, timeout_s)
        env = {"MODEL_TRANSPORT": "amqp", "AMQP_URL": url, "MODEL_QUEUE": queue}
        fronted = through_front("floor-front-amqp", env, record, count, timeout_s)
    finally:
        client.close()
        worker.stop()
        delete_queue(url, queue)
    return [
        FloorSamples("amqp_constant",
                     f"request/reply through RabbitMQ at {redact(url)} to a worker answering a constant, 1 client",
                     *alone),
        FloorSamples("http_then_amqp",
                     "loopback HTTP POST to a Flask route that passes the body to the API's RabbitMQ client, "
                     f"through RabbitMQ at {redact(url)} to a worker answering a constant: two round trips in "
                     "series (the model API's shape over RabbitMQ, no model), 1 client", *fronted),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns.api.lab.amqp_floor", description=__doc__.splitlines()[0])
    parser.add_argument("--queue", required=True)
    args = parser.parse_args(argv)
    worker = ConstantWorker(None, ApiSettings.from_env().amqp_url, args.queue)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    worker.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
