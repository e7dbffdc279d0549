"""How one model bundle travels as Kafka messages: chunked, every chunk carrying the metadata.

A bundle is cut into chunks of at most `CHUNK_BYTES`, well under the 1 MB that Kafka brokers and
clients accept by default, so no broker or client setting has to change for big models. Every
chunk is keyed by the model name and carries the headers name, version, digest, created (from
the bundle's header, for logging and for skipping old versions cheaply), plus `part` ("i/n"),
`publish-id` (to keep two interleaved publishes apart) and `sha256` of the whole bundle.

The headers are *not* trusted: the consumer checks the reassembled bytes against `sha256` (to
tell a message damaged or cut in transit) and then `shared_model` verifies the signature before
anything is unpickled. Anyone who can write to the topic can send chunks, so the assembler bounds
what it holds before any of that: at most `MAX_PARTS` parts and `MAX_BUNDLE_BYTES` bytes for the
one bundle it collects at a time (a new first part drops an unfinished one), at most
`MAX_PART_BYTES` per part, and an unfinished bundle is dropped after `STALE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

CHUNK_BYTES = 512 * 1024
METADATA_HEADERS = ("name", "version", "digest", "created")

# Limits on what a sender can make an app hold (a model bundle is well under 1 MiB).
MAX_BUNDLE_BYTES = 16 * 1024 * 1024
MAX_PART_BYTES = 1024 * 1024  # Kafka's default message size limit
MAX_PARTS = 64
STALE_SECONDS = 60.0


class RejectedMessage(Exception):
    """A message (or a sequence of chunks) that cannot be a complete, intact bundle.

    `reason` is a short fixed name for counting (the app's /status `rejected_by_reason`).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Message:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass(frozen=True)
class Artifact:
    """A reassembled bundle and its (unverified) headers; `offset` is where its last chunk sits."""

    bundle: bytes
    headers: dict[str, str]
    offset: int


def encode(bundle: bytes, metadata: Mapping[str, object], chunk_bytes: int = CHUNK_BYTES,
           extra_headers: Mapping[str, str] | None = None) -> list[Message]:
    """The messages that carry `bundle`; `metadata` supplies the name/version/digest/created headers,
    `extra_headers` more (a rollback pin's, see pin.py)."""
    chunks = [bundle[i : i + chunk_bytes] for i in range(0, len(bundle), chunk_bytes)] or [b""]
    common = [(name, str(metadata.get(name, "")).encode()) for name in METADATA_HEADERS]
    common += [(name, value.encode()) for name, value in (extra_headers or {}).items()]
    common += [
        ("publish-id", uuid.uuid4().hex.encode()),
        ("sha256", hashlib.sha256(bundle).hexdigest().encode()),
    ]
    key = str(metadata.get("name", "")).encode()
    return [
        Message(key, chunk, common + [("part", f"{i + 1}/{len(chunks)}".encode())])
        for i, chunk in enumerate(chunks)
    ]


def decode_headers(headers) -> dict[str, str]:
    return {name: (value or b"").decode("utf-8", errors="replace") for name, value in headers or ()}


class Assembler:
    """Collects the chunks of one bundle at a time, in topic order, within the limits above.

    `add(offset, value, headers)` returns what that message completed or broke: a list of
    `Artifact`s (whole bundles, sha256 checked) and `RejectedMessage`s, usually empty or one item.
    `expire()` drops an unfinished bundle older than `stale_seconds` (the consumer calls it while
    the topic is quiet, so a bundle that never finishes is not held until the next one starts).
    """

    def __init__(self, stale_seconds: float = STALE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.stale_seconds = stale_seconds
        self._clock = clock
        self._reset()

    @property
    def collecting(self) -> bool:
        """True between the first and the last chunk of a bundle."""
        return bool(self._headers)

    @property
    def held_bytes(self) -> int:
        return self._bytes

    def add(self, offset: int, value: bytes | None, raw_headers) -> list[Artifact | RejectedMessage]:
        headers = decode_headers(raw_headers)
        events: list[Artifact | RejectedMessage] = self.expire()
        value = value or b""
        try:
            index, count = _part(headers)
            _check_size(headers, count, value)
        except RejectedMessage as exc:
            return events + [exc]
        if index == 1:
            if self._headers:
                events.append(self._truncated("a new bundle started before its last chunk"))
            self._headers, self._started = headers, self._clock()
        elif not self._continues(headers, index):
            self._reset()
            return events + [RejectedMessage("truncated", f"bundle {headers['version']} is truncated: "
                                                          f"chunk {index}/{count} arrived without its predecessors")]
        if self._bytes + len(value) > MAX_BUNDLE_BYTES:
            version = self._headers["version"]
            self._reset()
            return events + [RejectedMessage("too-large", f"bundle {version} grows beyond {MAX_BUNDLE_BYTES} bytes: dropped")]
        self._chunks.append(value)
        self._bytes += len(value)
        if index == count:
            events.append(self._complete(offset))
        return events

    def expire(self) -> list[RejectedMessage]:
        """Drop the unfinished bundle if its first chunk came more than `stale_seconds` ago."""
        if self._headers and self._clock() - self._started > self.stale_seconds:
            version, parts = self._headers["version"], self._headers["part"].split("/")[1]
            received = len(self._chunks)
            self._reset()
            return [RejectedMessage("stale", f"bundle {version} is incomplete after {self.stale_seconds:g} s "
                                             f"({received} of {parts} chunks): dropped")]
        return []

    def _continues(self, headers: dict[str, str], index: int) -> bool:
        """Is this the next chunk of the bundle being collected?"""
        current = self._headers
        return (
            bool(current)
            and headers["publish-id"] == current["publish-id"]
            and headers["part"].split("/")[1] == current["part"].split("/")[1]
            and index == len(self._chunks) + 1
        )

    def _complete(self, offset: int) -> Artifact | RejectedMessage:
        bundle, headers = b"".join(self._chunks), self._headers
        self._reset()
        if hashlib.sha256(bundle).hexdigest() != headers["sha256"]:
            return RejectedMessage("damaged",
                f"bundle {headers['version']} does not match its sha256 header: "
                f"truncated or damaged in transit ({len(bundle)} bytes)"
            )
        return Artifact(bundle, headers, offset)

    def _truncated(self, why: str) -> RejectedMessage:
        version = self._headers["version"]
        self._reset()
        return RejectedMessage("truncated", f"bundle {version} is truncated: {why}")

    def _reset(self) -> None:
        self._headers: dict[str, str] = {}
        self._chunks: list[bytes] = []
        self._bytes = 0
        self._started = 0.0


def _check_size(headers: Mapping[str, str], count: int, value: bytes) -> None:
    if count > MAX_PARTS:
        raise RejectedMessage("too-many-parts", f"bundle {headers['version']} claims {count} parts; "
                                                f"at most {MAX_PARTS} are accepted")
    if len(value) > MAX_PART_BYTES:
        raise RejectedMessage("too-large", f"a chunk of bundle {headers['version']} holds {len(value)} bytes; "
                                           f"at most {MAX_PART_BYTES} are accepted")


def _part(headers: Mapping[str, str]) -> tuple[int, int]:
    missing = [name for name in ("part", "sha256", "version", "publish-id") if name not in headers]
    if missing:
        raise RejectedMessage("not-a-model-message",
                              f"not an archlab model message: missing header(s) {', '.join(missing)}")
    try:
        index, count = (int(n) for n in headers["part"].split("/"))
    except ValueError:
        raise RejectedMessage("bad-part", f"bad part header {headers['part']!r}; expected 'i/n'") from None
    if not 1 <= index <= count:
        raise RejectedMessage("bad-part", f"bad part header {headers['part']!r}; expected 1 <= i <= n")
    return index, count
