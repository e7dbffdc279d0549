"""Third-party binaries archlab starts (the Kafka broker, the load balancer) are run only if their
SHA-256 is one of the builds the project pinned: a changed file is refused, never started."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
