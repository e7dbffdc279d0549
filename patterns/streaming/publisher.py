"""The training side of streaming: send a stored model version to the model topic.

The producer is built with `enable_idempotence=False`: an idempotent producer keeps a producer
id and sequence numbers that a restarted in-memory broker (Tansu) no longer knows, and then
fails for good. Without it, a retried send may duplicate a message; consumers ignore versions
they already have, so duplicates are harmless.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from shared_model import ModelStore, bundle_metadata
from shared_model.artifacts import pack

from .bundle_chunks import CHUNK_BYTES, encode
from .order import metadata_rank
from .pin import Pin, make_pin
from .topic import PARTITION, REQUEST_TIMEOUT_MS, BrokerUnavailable, ensure_topic, model_partition

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Published:
    """Where a version landed: offsets of its first and last chunk, and its size on the wire."""

    version: str
    first_offset: int
    last_offset: int
    chunks: int
    bytes: int


class Publisher:
    """Publishes bundles from a `ModelStore` to `topic`; remembers the last version it sent."""

    def __init__(self, bootstrap_servers: str, topic: str, store: ModelStore | None = None,
                 chunk_bytes: int = CHUNK_BYTES) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.store = store or ModelStore()
        self.chunk_bytes = chunk_bytes
        self.current: str | None = None  # the version apps were last told to serve
        self.newest: dict | None = None  # metadata of the highest-ranked ordinary bundle sent (what a pin replaces)
        self.top: tuple | None = None  # the highest rank sent (an ordinary bundle's, or a pin's: a canary's too)
        self._producer: KafkaProducer | None = None

    def publish(self, version: str) -> Published:
        """Send stored `version` (unknown version: shared_model.ModelNotFoundError)."""
        bundle = self.store.bundle(version)
        metadata = bundle_metadata(bundle)
        published = self.send_bundle(bundle, metadata)
        self.current = version
        if self.newest is None or metadata_rank(metadata) > metadata_rank(self.newest):
            self.newest = metadata
        self._raise_top(metadata_rank(metadata))
        return published

    def needs_pin(self, version: str) -> bool:
        """Does stored `version` rank below what was sent (an older version, a build a pin took off,
        the version a canary replaced)? Then apps ignore it unless a pin (`publish_pin`) comes with it."""
        return self.top is not None and metadata_rank(self.store.metadata(version)) < self.top

    def publish_pin(self, version: str, audience: str = "") -> tuple[Pin, Published]:
        """Send stored `version` with a pin, signed with the store's key, replacing the newest version
        sent (see pin.py): every app serves `version` again although it is older; or, with an
        `audience`, that one instance serves it (a canary) and the others skip it. A canary of a
        newer version becomes the newest sent: the pin that ends it replaces its build."""
        if self.newest is None:
            raise ValueError(f"nothing was published on {self.topic!r} yet: there is nothing to roll back from")
        metadata, files = self.store.verified_files(version)  # vouch only for a model that verifies here
        pin, pin_files = make_pin(metadata, self.newest, self.store.key, audience)
        published = self.send_bundle(pack({**files, **pin_files}), metadata, pin.headers())
        if metadata_rank(metadata) > metadata_rank(self.newest):
            self.newest = metadata
        if not audience:
            self.current = version
        self._raise_top(pin.rank)
        return pin, published

    def _raise_top(self, rank: tuple) -> None:
        self.top = rank if self.top is None else max(self.top, rank)

    def send_bundle(self, bundle: bytes, metadata: dict, extra_headers: dict[str, str] | None = None) -> Published:
        """Send any bundle with these header values, also one that consumers should refuse."""
        ensure_topic(self.bootstrap_servers, self.topic)
        messages = encode(bundle, metadata, self.chunk_bytes, extra_headers)
        producer = self._connect()
        try:
            futures = [
                producer.send(self.topic, m.value, key=m.key, headers=m.headers, partition=PARTITION)
                for m in messages
            ]
            offsets = [future.get(timeout=REQUEST_TIMEOUT_MS / 1000) for future in futures]
        except KafkaError as exc:
            raise BrokerUnavailable(f"publishing to {self.topic!r} at {self.bootstrap_servers} failed: {exc}") from exc
        version = str(metadata.get("version", "?"))
        log.info("published %s: %d bytes in %d message(s) at offset %d", version, len(bundle), len(messages), offsets[0].offset)
        return Published(version, offsets[0].offset, offsets[-1].offset, len(messages), len(bundle))

    def topic_is_empty(self) -> bool:
        """True when the model partition holds no message (new topic, or an in-memory broker restarted)."""
        ensure_topic(self.bootstrap_servers, self.topic)
        partition = model_partition(self.topic)
        try:
            consumer = KafkaConsumer(
                bootstrap_servers=self.bootstrap_servers,
                enable_auto_commit=False,
                request_timeout_ms=REQUEST_TIMEOUT_MS,
                bootstrap_timeout_ms=REQUEST_TIMEOUT_MS,
            )
        except KafkaError as exc:
            raise BrokerUnavailable(f"cannot reach Kafka at {self.bootstrap_servers}: {exc}") from exc
        try:
            start = consumer.beginning_offsets([partition], timeout_ms=REQUEST_TIMEOUT_MS)[partition]
            end = consumer.end_offsets([partition], timeout_ms=REQUEST_TIMEOUT_MS)[partition]
        except KafkaError as exc:
            raise BrokerUnavailable(f"cannot read offsets of {self.topic!r}: {exc}") from exc
        finally:
            consumer.close()
        return end <= start

    def republish_if_empty(self, timeout: float = 10.0) -> Published | None:
        """After a broker restart, put the current version (else the store's newest) back on the topic.

        Retries until `timeout` while the broker is still coming up.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                if not self.topic_is_empty():
                    return None
                return self.publish(self.current or self.store.latest())
            except BrokerUnavailable:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=1)
            self._producer = None

    def _connect(self) -> KafkaProducer:
        if self._producer is None:
            try:
                self._producer = KafkaProducer(
                    bootstrap_servers=self.bootstrap_servers,
                    acks="all",
                    enable_idempotence=False,
                    linger_ms=0,
                    request_timeout_ms=REQUEST_TIMEOUT_MS,
                    max_block_ms=REQUEST_TIMEOUT_MS,
                    bootstrap_timeout_ms=REQUEST_TIMEOUT_MS,
                )
            except KafkaError as exc:
                raise BrokerUnavailable(f"cannot reach Kafka at {self.bootstrap_servers}: {exc}") from exc
        return self._producer

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
