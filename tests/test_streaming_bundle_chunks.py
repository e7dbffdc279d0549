"""How bundles travel as Kafka messages, and what "newer" means: no broker needed."""

from __future__ import annotations

import os

import pytest

from patterns.streaming import bundle_chunks
from patterns.streaming.bundle_chunks import Artifact, Assembler, RejectedMessage, encode
from patterns.streaming.consumer import past_end
from patterns.streaming.order import newness

META = {"name": "house-price", "version": "v2", "digest": "abc", "created": "2026-01-01T00:00:00+00:00"}


def feed(messages, assembler=None):
    assembler = assembler or Assembler()
    events = []
    for offset, message in enumerate(messages):
        events += assembler.add(offset, message.value, message.headers)
    return events


def test_a_big_bundle_is_cut_into_chunks_under_the_limit_and_reassembled():
    bundle = os.urandom(1_300_000)
    messages = encode(bundle, META)
    assert len(messages) == 3
    assert all(len(m.value) <= 512 * 1024 for m in messages)
    assert all(m.key == b"house-price" for m in messages)
    assert {name for name, _ in messages[0].headers} >= {"name", "version", "digest", "created", "part", "sha256"}
    [artifact] = feed(messages)
    assert isinstance(artifact, Artifact)
    assert artifact.bundle == bundle
    assert artifact.headers["version"] == "v2"
    assert artifact.offset == 2


def test_a_small_bundle_is_one_message():
    [message] = encode(b"small", META)
    assert dict(message.headers)["part"] == b"1/1"
    assert feed([message])[0].bundle == b"small"


def test_a_missing_middle_chunk_rejects_the_bundle():
    messages = encode(os.urandom(1_300_000), META)
    events = feed([messages[0], messages[2]])
    assert len(events) == 1 and isinstance(events[0], RejectedMessage)
    assert "truncated" in str(events[0])


def test_a_bundle_cut_short_by_a_new_one_is_rejected_and_the_new_one_still_arrives():
    first = encode(os.urandom(600_000), META)
    second = encode(b"next", {**META, "version": "v3"})
    rejected, artifact = feed([first[0], second[0]])
    assert isinstance(rejected, RejectedMessage) and "v2 is truncated" in str(rejected)
    assert artifact.bundle == b"next"


def test_bytes_that_do_not_match_the_sha256_header_are_rejected():
    [message] = encode(b"original bundle", META)
    [event] = Assembler().add(0, b"original", message.headers)
    assert isinstance(event, RejectedMessage)
    assert "does not match its sha256" in str(event)


def test_a_message_without_archlab_headers_is_rejected_with_what_is_missing():
    [event] = Assembler().add(0, b"whatever", [("version", b"v9")])
    assert isinstance(event, RejectedMessage)
    assert "missing header(s) part, sha256, publish-id" in str(event)


@pytest.mark.parametrize("older, newer", [
    (("v1", "2026-01-02"), ("v2", "2026-01-01")),   # version wins over build time
    (("v2", "2026-01-01"), ("v10", "2026-01-01")),  # natural order, not string order
    (("v2", "2026-01-01"), ("v2", "2026-01-02")),   # same version rebuilt later
])
def test_newness_orders_by_version_then_build_time(older, newer):
    assert newness(*older) < newness(*newer)


def test_a_position_past_the_end_means_the_partition_was_recreated():
    assert past_end(position=3, end=1)
    assert not past_end(position=3, end=3)
    assert not past_end(position=0, end=5)


def endless(version: str = "v999", count: int = bundle_chunks.MAX_PARTS, part_bytes: int = 512 * 1024):
    """The chunks of a bundle that never ends: parts 1, 2, 3... of `count`, each `part_bytes` long."""
    headers = lambda index: [("version", version.encode()), ("publish-id", b"attacker"), ("sha256", b"0" * 64),
                             ("part", f"{index}/{count}".encode())]
    return ((index, bytes(part_bytes), headers(index)) for index in range(1, count + 1))


def test_a_bundle_growing_past_the_byte_limit_is_dropped_and_nothing_is_held():
    assembler = Assembler()
    events = []
    for offset, value, headers in endless():
        events += assembler.add(offset, value, headers)
        assert assembler.held_bytes <= bundle_chunks.MAX_BUNDLE_BYTES
    assert [event.reason for event in events] == ["too-large"] + ["truncated"] * (len(events) - 1)
    assert assembler.held_bytes == 0 and not assembler.collecting


def test_a_bundle_claiming_too_many_parts_is_refused_at_its_first_part():
    offset, value, headers = next(endless(count=bundle_chunks.MAX_PARTS + 1, part_bytes=10))
    [event] = Assembler().add(offset, value, headers)
    assert event.reason == "too-many-parts" and f"at most {bundle_chunks.MAX_PARTS}" in str(event)


def test_a_part_over_the_kafka_message_limit_is_refused():
    offset, value, headers = next(endless(part_bytes=bundle_chunks.MAX_PART_BYTES + 1))
    assembler = Assembler()
    [event] = assembler.add(offset, value, headers)
    assert event.reason == "too-large" and assembler.held_bytes == 0


def test_an_unfinished_bundle_is_dropped_once_stale_and_a_later_one_still_arrives():
    now = [0.0]
    assembler = Assembler(stale_seconds=60, clock=lambda: now[0])
    first_two = encode(os.urandom(1_300_000), META)[:2]
    assert feed(first_two, assembler) == [] and assembler.held_bytes > 0
    now[0] = 59.0
    assert assembler.expire() == []
    now[0] = 61.0
    [dropped] = assembler.expire()
    assert dropped.reason == "stale" and "2 of 3 chunks" in str(dropped)
    assert assembler.held_bytes == 0
    [artifact] = feed(encode(b"next", {**META, "version": "v3"}), assembler)
    assert artifact.bundle == b"next"


def test_every_rejection_names_a_countable_reason():
    [damaged] = Assembler().add(0, b"original", encode(b"original bundle", META)[0].headers)
    [foreign] = Assembler().add(0, b"whatever", [("version", b"v9")])
    [bad_part] = Assembler().add(0, b"x", [(n, b"1") for n in ("sha256", "version", "publish-id")] + [("part", b"3/2")])
    assert (damaged.reason, foreign.reason, bad_part.reason) == ("damaged", "not-a-model-message", "bad-part")
