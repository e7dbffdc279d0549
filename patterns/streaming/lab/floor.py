"""The streaming floor: a bare produce-to-consume round trip on the system's own broker, on a
scratch one-partition topic (like the model topic) that is deleted afterwards."""

from __future__ import annotations

import time

from patterns.launch.contract import FloorSamples

from ..topic import delete_topic, ensure_topic, model_partition


def kafka_roundtrip(bootstrap_servers: str, topic: str, count: int = 200, timeout_s: float = 30.0) -> FloorSamples:
    """Produce one message and wait until a consumer reads it, `count` times."""
    from kafka import KafkaConsumer, KafkaProducer

    ensure_topic(bootstrap_servers, topic)
    producer = consumer = None
    try:
        producer = KafkaProducer(bootstrap_servers=bootstrap_servers, enable_idempotence=False, acks=1, linger_ms=0)
        consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, fetch_max_wait_ms=10, enable_auto_commit=False)
        partition = model_partition(topic)
        consumer.assign([partition])
        consumer.seek_to_end(partition)
        consumer.position(partition)
        deadline = time.monotonic() + timeout_s
        samples, failed = [], 0
        for i in range(count):
            if time.monotonic() >= deadline:
                break
            payload = str(i).encode()
            started = time.perf_counter()
            producer.send(topic, payload, partition=partition.partition).get(
                timeout=max(0.1, deadline - time.monotonic()))
            if _consume(consumer, payload, deadline):
                samples.append((time.perf_counter() - started) * 1000.0)
            else:
                failed += 1
        return FloorSamples(
            "kafka_roundtrip",
            f"produce then consume one message on a 1-partition topic at {bootstrap_servers}",
            samples,
            failed,
        )
    finally:
        for client in (consumer, producer):
            if client is not None:
                client.close()
        delete_topic(bootstrap_servers, topic)


def _consume(consumer, payload: bytes, deadline: float) -> bool:
    """Poll until `payload` arrives (True) or the deadline passes (False)."""
    while time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=100).values():
            if any(record.value == payload for record in records):
                return True
    return False
