"""How one model bundle travels as Kafka messages: chunked, every chunk carrying the metadata.

A bundle is cut into chunks of at most `CHUNK_BYTES`, well under the 1 MB that Kafka brokers and
clients accept by default, so no broker or client setting has to change for big models. Every
chunk is keyed by the model name and carries the headers name, version, digest, created (from
the bundle's header, for logging and for skipping old versions cheaply), plus `part` ("i/n"),
`publish-id` (to keep two interleaved publishes apart) and `sha256` of the whole bundle.

The headers are *not* trusted: the consumer checks the reassembled bytes against `sha256` (to
tell a message damaged or cut in transit) and then `shared_model.load_bundle` verifies the
signature before anything is unpickled.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

CHUNK_BYTES = 512 * 1024
METADATA_HEADERS = ("name", "version", "digest", "created")


class RejectedMessage(Exception):
    """A message (or a sequence of chunks) that cannot be a complete, intact bundle."""


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


def encode(bundle: bytes, metadata: Mapping[str, object], chunk_bytes: int = CHUNK_BYTES) -> list[Message]:
    """The messages that carry `bundle`; `metadata` supplies the name/version/digest/created headers."""
    chunks = [bundle[i : i + chunk_bytes] for i in range(0, len(bundle), chunk_bytes)] or [b""]
    common = [(name, str(metadata.get(name, "")).encode()) for name in METADATA_HEADERS]
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
    """Collects the chunks of one bundle at a time, in topic order.

    `add(offset, value, headers)` returns what that message completed or broke: a list of
    `Artifact`s (whole bundles, sha256 checked) and `RejectedMessage`s, usually empty or one item.
    """

    def __init__(self) -> None:
        self._reset()

    @property
    def collecting(self) -> bool:
        """True between the first and the last chunk of a bundle."""
        return bool(self._headers)

    def add(self, offset: int, value: bytes | None, raw_headers) -> list[Artifact | RejectedMessage]:
        headers = decode_headers(raw_headers)
        try:
            index, count = _part(headers)
        except RejectedMessage as exc:
            return [exc]
        events: list[Artifact | RejectedMessage] = []
        if index == 1:
            if self._headers:
                events.append(self._truncated("a new bundle started before its last chunk"))
            self._headers = headers
        elif not self._continues(headers, index):
            self._reset()
            return [RejectedMessage(f"bundle {headers['version']} is truncated: chunk {index}/{count} arrived without its predecessors")]
        self._chunks.append(value or b"")
        if index == count:
            events.append(self._complete(offset))
        return events

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
            return RejectedMessage(
                f"bundle {headers['version']} does not match its sha256 header: "
                f"truncated or damaged in transit ({len(bundle)} bytes)"
            )
        return Artifact(bundle, headers, offset)

    def _truncated(self, why: str) -> RejectedMessage:
        version = self._headers["version"]
        self._reset()
        return RejectedMessage(f"bundle {version} is truncated: {why}")

    def _reset(self) -> None:
        self._headers: dict[str, str] = {}
        self._chunks: list[bytes] = []


def _part(headers: Mapping[str, str]) -> tuple[int, int]:
    missing = [name for name in ("part", "sha256", "version", "publish-id") if name not in headers]
    if missing:
        raise RejectedMessage(f"not an archlab model message: missing header(s) {', '.join(missing)}")
    try:
        index, count = (int(n) for n in headers["part"].split("/"))
    except ValueError:
        raise RejectedMessage(f"bad part header {headers['part']!r}; expected 'i/n'") from None
    if not 1 <= index <= count:
        raise RejectedMessage(f"bad part header {headers['part']!r}; expected 1 <= i <= n")
    return index, count
