"""Publisher and background consumer against a real local broker (Tansu), in this process.

Forged bundles carry a pickle that would create a file if anything unpickled it, so "rejected
without unpickling" is checked by what a user could see: the file never appears.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import time

import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient
from kafka.errors import MessageSizeTooLargeError

from shared_model import ModelStore, bundle_metadata, example_record, signing_key
from shared_model.artifacts import METADATA_FILE, PICKLE_FILE, SIGNATURE_FILE, pack, sign
from shared_model.keys import SigningKey, generate_key_pair

from patterns.streaming import bundle_chunks
from patterns.streaming.broker import LocalBroker
from patterns.streaming.consumer import ModelFeed
from patterns.streaming.publisher import Publisher
from patterns.streaming.topic import BrokerUnavailable

TOPIC = "archlab.models"
KAFKA_DEFAULT_MAX_BYTES = 1024 * 1024


def wait_until(predicate, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.01)


class Trap:
    """Unpickling this creates `path`: proof that a payload was (or was not) unpickled."""

    def __init__(self, path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def forge(store: ModelStore, source: str, pickle_bytes: bytes, key: SigningKey | None, /, **metadata_changes) -> bytes:
    """A bundle of `source` with another pickle and consistent digests, signed with `key` (None: unsigned)."""
    files = store.files(source)
    metadata = {**json.loads(files[METADATA_FILE]), **metadata_changes}
    files[PICKLE_FILE] = pickle_bytes
    metadata["files"] = {**metadata["files"], PICKLE_FILE: hashlib.sha256(pickle_bytes).hexdigest()}
    metadata["digest"] = metadata["files"][PICKLE_FILE]
    files[METADATA_FILE] = json.dumps(metadata, indent=1, sort_keys=True).encode()
    files.pop(SIGNATURE_FILE)
    if key is not None:
        files[SIGNATURE_FILE] = sign(files[METADATA_FILE], key).encode()
    return pack(files)


def renamed(store: ModelStore, source: str, version: str, **metadata_changes) -> bytes:
    """A valid, properly signed bundle of `source`'s model under another version name."""
    return forge(store, source, store.files(source)[PICKLE_FILE], signing_key(), version=version, **metadata_changes)


def send(publisher: Publisher, bundle: bytes):
    return publisher.send_bundle(bundle, bundle_metadata(bundle))


@pytest.fixture
def store(trained_home) -> ModelStore:
    return ModelStore(trained_home / "models")


@pytest.fixture
def broker(tmp_path):
    with LocalBroker(log_dir=tmp_path) as running:
        yield running


@pytest.fixture
def publisher(broker, store):
    with Publisher(broker.bootstrap_servers, TOPIC, store) as running:
        yield running


@pytest.fixture
def start_feed(broker):
    feeds = []

    def start(**options) -> ModelFeed:
        feeds.append(ModelFeed(broker.bootstrap_servers, TOPIC, **options).start())
        return feeds[-1]

    yield start
    for feed in feeds:
        feed.close()


def test_an_artifact_above_the_1_mb_message_limit_travels_in_chunks(publisher, start_feed, store, broker):
    big = renamed(store, "v2", "v3", padding=os.urandom(900_000).hex())
    assert len(big) > KAFKA_DEFAULT_MAX_BYTES
    with pytest.raises(MessageSizeTooLargeError):  # why chunking: one message this big is refused
        KafkaProducer(bootstrap_servers=broker.bootstrap_servers).send(TOPIC, big, partition=0).get(5)

    published = send(publisher, big)
    feed = start_feed()

    assert published.chunks >= 3
    assert feed.wait_for_model(15)
    assert feed.model.version == "v3"
    record = example_record()
    assert feed.model.predict_one(record) == store.load("v2").predict_one(record)


@pytest.mark.parametrize("kind, expected, reason", [
    ("tampered", "does not match its signed SHA-256", "unverified"),
    ("unsigned", "unsigned", "unverified"),
    ("signed with another key", "which is not trusted", "unverified"),
    ("incompatible libraries", "built with other libraries", "incompatible"),
    ("truncated", "truncated", "unverified"),
])
def test_a_bad_message_is_rejected_unopened_and_the_current_model_keeps_serving(
        kind, expected, reason, publisher, start_feed, store, tmp_path):
    trap = tmp_path / "unpickled"
    evil = pickle.dumps(Trap(trap))
    if kind == "tampered":
        files = store.files("v2")
        files[PICKLE_FILE] = evil
        bad = pack(files)
    elif kind == "unsigned":
        bad = forge(store, "v2", evil, None)
    elif kind == "signed with another key":
        bad = forge(store, "v2", evil, generate_key_pair(tmp_path / "attacker"))
    elif kind == "incompatible libraries":
        libraries = {**store.metadata("v2")["libraries"], "scikit-learn": "0.24.2"}
        bad = forge(store, "v2", evil, signing_key(), libraries=libraries)
    else:
        good = store.bundle("v2")
        bad = good[: len(good) // 2]
    publisher.publish("v1")
    feed = start_feed()
    assert feed.wait_for_model(15)

    publisher.send_bundle(bad, {**store.metadata("v2"), "version": "v2"})
    wait_until(lambda: feed.rejected == 1, "the bad message to be rejected")

    assert feed.model.version == "v1"
    assert expected in feed.status()["last_error"]
    assert feed.status()["rejected_by_reason"] == {reason: 1}
    assert not trap.exists(), "a payload from the topic was unpickled before verification"


def test_the_topic_has_one_partition_and_every_feed_receives_every_version(broker, publisher, start_feed):
    """Quirk: Tansu auto-creates topics with 4 partitions; ours is created with 1. Assign mode = broadcast."""
    publisher.publish("v1")
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    try:
        assert len(admin.describe_topics([TOPIC])[0]["partitions"]) == 1
    finally:
        admin.close()
    feeds = [start_feed(), start_feed()]
    publisher.publish("v2")
    for feed in feeds:
        wait_until(lambda: feed.model is not None and feed.model.version == "v2", "v2 to reach every feed")


def test_an_app_started_after_three_versions_starts_on_the_newest_version_not_the_last_message(
        publisher, start_feed, store):
    publisher.publish("v2")
    send(publisher, renamed(store, "v2", "v3"))
    publisher.publish("v1")  # last on the topic, but older: "newest" is by version order

    feed = start_feed()

    assert feed.wait_for_model(15)
    assert feed.model.version == "v3"
    assert feed.status()["swaps"] == 1  # it read the history first and loaded only the newest


def test_a_republished_older_version_never_rolls_a_running_app_back(publisher, start_feed):
    publisher.publish("v1")
    feed = start_feed()
    assert feed.wait_for_model(15)
    publisher.publish("v2")
    wait_until(lambda: feed.model.version == "v2", "v2 to arrive")

    marker = publisher.publish("v1").last_offset
    publisher.publish("v2")  # duplicates (a retried send) are harmless too
    wait_until(lambda: (feed.status()["next_offset"] or 0) > marker + 1, "the feed to read past both")

    assert feed.model.version == "v2"
    assert feed.status()["swaps"] == 2 and feed.status()["rejected"] == 0


def test_after_a_broker_restart_the_same_publisher_still_publishes(broker, publisher):
    """Quirk: an idempotent producer is broken for good after the broker restarts; ours is not idempotent."""
    assert publisher.publish("v1").last_offset == 0
    broker.restart()
    assert publisher.publish("v2").last_offset == 0  # the in-memory topic came back empty


def test_the_publisher_republishes_the_current_version_on_an_empty_topic(broker, publisher):
    publisher.publish("v2")
    assert publisher.republish_if_empty() is None
    broker.restart()
    assert publisher.topic_is_empty()
    republished = publisher.republish_if_empty()
    assert republished is not None and republished.version == "v2"
    assert not publisher.topic_is_empty()


def test_a_feed_left_past_the_end_of_a_restarted_topic_seeks_back_and_catches_up(broker, publisher, start_feed, store):
    """Quirk: after the restart the feed's position (2) is beyond the new end; left there it would receive nothing."""
    publisher.publish("v1")
    publisher.publish("v2")
    feed = start_feed()
    wait_until(lambda: feed.model is not None and feed.model.version == "v2", "v2 to arrive")

    broker.kill()
    wait_until(lambda: feed.broker == "unavailable", "the feed to notice the broker is gone")
    assert feed.model.version == "v2"  # keeps serving its last good model
    broker.start()
    broker.wait_healthy()
    bundle = renamed(store, "v2", "v3")  # the only message on the new topic: offset 0
    try:
        send(publisher, bundle)
    except BrokerUnavailable:  # the restarted broker's first metadata round can outlast 3 s on a loaded machine
        send(publisher, bundle)

    wait_until(lambda: feed.model.version == "v3", "v3, published after the restart, to arrive")
    status = feed.status()
    assert status["broker"] == "available"
    assert status["topic_resets"] == 1


def send_raw(broker, chunks) -> None:
    """Messages as any Kafka client could write them to the topic: (value, headers) pairs."""
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    try:
        for value, headers in chunks:
            producer.send(TOPIC, value, headers=headers, partition=0)
        producer.flush(10)
    finally:
        producer.close()


def endless_chunks(count: int, sent: int, part_bytes: int = 512 * 1024):
    headers = lambda index: [("version", b"v999"), ("publish-id", b"attacker"), ("sha256", b"0" * 64),
                             ("part", f"{index}/{count}".encode())]
    return [(bytes(part_bytes), headers(index)) for index in range(1, sent + 1)]


def test_endless_chunk_parts_are_dropped_and_counted_and_the_model_keeps_serving(broker, publisher, start_feed):
    publisher.publish("v1")
    feed = start_feed()
    assert feed.wait_for_model(15)

    send_raw(broker, endless_chunks(count=bundle_chunks.MAX_PARTS, sent=bundle_chunks.MAX_PARTS))  # 32 MiB, the limit is 16
    send_raw(broker, endless_chunks(count=10**6, sent=3, part_bytes=10))
    wait_until(lambda: feed.status()["rejected_by_reason"].get("too-many-parts") == 3, "the 1/1000000 parts refused")

    status = feed.status()
    assert status["rejected_by_reason"]["too-large"] == 1
    assert status["rejected_by_reason"]["truncated"] == bundle_chunks.MAX_PARTS - bundle_chunks.MAX_BUNDLE_BYTES // (512 * 1024) - 1
    assert status["assembling_bytes"] == 0 and feed.model.version == "v1"
    publisher.publish("v2")
    wait_until(lambda: feed.model.version == "v2", "a real bundle to arrive after the flood")


def test_a_bundle_that_never_finishes_is_dropped_when_stale(broker, publisher, start_feed):
    publisher.publish("v1")
    feed = start_feed(stale_seconds=0.5)
    assert feed.wait_for_model(15)

    send_raw(broker, endless_chunks(count=3, sent=2))
    wait_until(lambda: feed.status()["rejected_by_reason"].get("stale") == 1, "the unfinished bundle to be dropped")

    assert feed.status()["assembling_bytes"] == 0
    assert "2 of 3 chunks" in feed.status()["last_error"]


def test_a_v999_signed_with_an_untrusted_key_never_outranks_later_versions(publisher, start_feed, store, tmp_path):
    trap = tmp_path / "unpickled"
    attacker = generate_key_pair(tmp_path / "attacker")
    send(publisher, forge(store, "v2", pickle.dumps(Trap(trap)), attacker, version="v999"))
    publisher.publish("v1")
    feed = start_feed()
    assert feed.wait_for_model(15) and feed.model.version == "v1"

    send(publisher, renamed(store, "v2", "v3"))
    wait_until(lambda: feed.model.version == "v3", "the later legitimate version")
    assert feed.status()["rejected_by_reason"] == {"unverified": 1}
    assert not trap.exists()
