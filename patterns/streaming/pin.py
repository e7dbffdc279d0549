"""A signed pin: "serve this version instead of that build", obeyed by every app or by one.

An ordinary bundle never replaces a newer version (a replayed old message must not roll users
back). A rollback is the good model's bundle with two more members: `pin.json`, naming the version
to serve with its digest (so the pin cannot be stapled to another model) and the build it replaces
(version and `created`), and `pin.signature`, the Ed25519 signature of pin.json's exact bytes by
a trusted key, the same key and the same signature file format as the model's `metadata.json`.
The message's headers repeat the pin (`PIN_HEADERS`) so an app can rank it before opening it;
the signed pin.json is what counts. Ranks: `order.pin_rank`.

A pin for every app serves an older version (a rollback) or the very build it replaces again (a
release over an earlier pin against it). A pin with an `audience` (one app instance's name) is a
canary: only that instance serves it, whatever the version, and the others skip it; being signed,
the audience cannot be moved or removed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from shared_model.artifacts import check_signature, sign
from shared_model.errors import IntegrityError
from shared_model.keys import SigningKey, TrustedKeys

from .order import metadata_rank, newness, pin_rank

PIN_FILE = "pin.json"
PIN_SIGNATURE_FILE = "pin.signature"
PIN_HEADERS = ("replaces", "replaces-created", "pin-issued", "audience")


class PinRefused(IntegrityError):
    """A rollback pin that is unsigned, signed by an untrusted key, tampered with, or contradicts
    the model it travels with: the whole message is refused (`pin-refused` in /status)."""


@dataclass(frozen=True)
class Pin:
    """Serve `serve` (whose metadata digest is `digest`) instead of the build `replaces`/`replaces_created`,
    on the instance named `audience` only (empty: on every instance)."""

    serve: str
    digest: str
    replaces: str
    replaces_created: str
    issued: str
    audience: str = ""

    @property
    def rank(self) -> tuple:
        return pin_rank(self.replaces, self.replaces_created, self.issued)

    def headers(self) -> dict[str, str]:
        return dict(zip(PIN_HEADERS, (self.replaces, self.replaces_created, self.issued, self.audience), strict=True))


def make_pin(good: Mapping, bad: Mapping, key: SigningKey, audience: str = "") -> tuple[Pin, dict[str, bytes]]:
    """The pin putting the model of metadata `good` in place of the build of metadata `bad` (on the
    instance `audience` only, if given), and its two signed files. For every instance only an older
    version, or `bad`'s build itself, can be pinned: a newer one is an ordinary publish."""
    if not audience and metadata_rank(good) > metadata_rank(bad):
        raise ValueError(f"a rollback pin serves an older version: {good['version']} is not older than {bad['version']}")
    pin = Pin(serve=good["version"], digest=good["digest"], replaces=bad["version"], replaces_created=bad["created"],
              issued=datetime.now(timezone.utc).isoformat(timespec="microseconds"), audience=audience)
    data = json.dumps(asdict(pin), indent=1, sort_keys=True).encode()
    return pin, {PIN_FILE: data, PIN_SIGNATURE_FILE: sign(data, key).encode()}


def verified_pin(files: Mapping[str, bytes], metadata: Mapping, keys: TrustedKeys) -> Pin | None:
    """The bundle's pin, checked against a trusted key and the model's verified `metadata`; None
    for an ordinary bundle. Raises PinRefused."""
    if PIN_FILE not in files:
        if PIN_SIGNATURE_FILE in files:
            raise PinRefused(f"bundle carries {PIN_SIGNATURE_FILE} without {PIN_FILE}")
        return None
    if PIN_SIGNATURE_FILE not in files:
        raise PinRefused(f"rollback pin is unsigned (no {PIN_SIGNATURE_FILE}): refused")
    try:
        check_signature(files[PIN_FILE], files[PIN_SIGNATURE_FILE], keys)
    except IntegrityError as exc:
        raise PinRefused(f"rollback pin refused: {PIN_FILE} is not a trusted key's signed text ({exc})") from None
    try:
        pin = Pin(**json.loads(files[PIN_FILE]))
    except (ValueError, TypeError) as exc:
        raise PinRefused(f"rollback pin refused: {PIN_FILE} is signed but unreadable ({exc})") from None
    if (pin.serve, pin.digest) != (metadata["version"], metadata["digest"]):
        raise PinRefused(f"rollback pin names {pin.serve} ({pin.digest[:12]}) but the bundle holds "
                         f"{metadata['version']} ({metadata['digest'][:12]})")
    if not pin.audience and metadata_rank(metadata) > newness(pin.replaces, pin.replaces_created):
        raise PinRefused(f"rollback pin serves {pin.serve}, which is newer than {pin.replaces}")
    return pin


def claimed_rank(headers: Mapping[str, str]) -> tuple:
    """A message's rank as its (unverified) headers claim it: a pin's, or an ordinary bundle's."""
    if "replaces" in headers:
        return pin_rank(headers["replaces"], headers.get("replaces-created", ""), headers.get("pin-issued", ""))
    return newness(headers["version"], headers.get("created", ""))
