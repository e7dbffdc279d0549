"""The RabbitMQ floor: one request/reply round trip through the broker to a worker answering a
constant, on a scratch queue that is deleted afterwards.

    python -m patterns.api.amqp_floor --queue Q      # the constant worker alone

The worker is the model worker with its answer replaced by a constant, and the client is the
front's own (`AmqpModelClient`), so the floor holds everything a RabbitMQ round trip to the model
worker costs except validation and the model itself.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from patterns.launch.contract import FloorSamples
from patterns.launch.process import ManagedProcess
from patterns.settings import Settings

from .amqp import delete_queue, redact, wait_for_consumers
from .amqp_client import AmqpModelClient
from .amqp_worker import Worker
from .predicting import Reply

CONSTANT = Reply(200, {"predictions": [0.0], "model_version": "constant"})


class ConstantWorker(Worker):
    """Consumes and acknowledges like the model worker; answers the same reply every time."""

    answers_with = "a constant answer"

    def reply_for(self, body: bytes) -> Reply:
        return CONSTANT


def amqp_constant_roundtrip(url: str, queue: str, record: dict, count: int = 2000,
                            timeout_s: float = 30.0) -> FloorSamples:
    """Time `count` sequential request/reply round trips carrying `record` through RabbitMQ."""
    worker = ManagedProcess("floor-amqp-constant", [sys.executable, "-m", __name__, "--queue", queue],
                            env={"AMQP_URL": url})
    client = AmqpModelClient(url, queue, timeout=5.0)
    try:
        worker.start()
        wait_for_consumers(url, queue, 1, timeout=30.0)
        deadline = time.monotonic() + timeout_s
        samples, failed = [], 0
        for _ in range(count):
            if time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            try:
                client.predict([record])
            except Exception:  # a lost reply is what a floor counts, not a bug here
                failed += 1
                continue
            samples.append((time.perf_counter() - started) * 1000.0)
    finally:
        client.close()
        worker.stop()
        delete_queue(url, queue)
    return FloorSamples(
        "amqp_constant",
        f"request/reply through RabbitMQ at {redact(url)} to a worker answering a constant, 1 client",
        samples,
        failed,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns.api.amqp_floor", description=__doc__.splitlines()[0])
    parser.add_argument("--queue", required=True)
    args = parser.parse_args(argv)
    worker = ConstantWorker(None, Settings.from_env().amqp_url, args.queue)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    worker.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
