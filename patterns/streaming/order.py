"""What "newer" means on the model topic, so a replayed old message never rolls an app back.

Every message ranks as a tuple; an app moves only to a message that ranks above what it serves.
An ordinary bundle ranks by its version (v2 < v10), then its build (`created`). A signed rollback
pin (see `pin.py`) ranks just above the build it replaces, whatever older version it serves: so
the pinned version stays served while replays of the bad build (or of anything older) rank below
it, a later pin replacing the same build wins by its issue time, and the next version number
outranks the pin.
"""

from __future__ import annotations

import re

ORDINARY, PINNED = 0, 1


def version_order(version: str) -> tuple[int, str]:
    """Natural order of version names: v2 < v10. Names without a number sort first."""
    match = re.match(r"v([0-9]+)", version)
    return (int(match.group(1)) if match else -1, version)


def newness(version: str, created: str) -> tuple:
    """An ordinary bundle's rank: a higher version; for the same version, a later build (`created`)."""
    return (version_order(version), created, ORDINARY, "")


def metadata_rank(metadata) -> tuple:
    """The rank of the bundle `metadata` describes (a model's metadata.json)."""
    return newness(metadata["version"], metadata["created"])


def pin_rank(replaces: str, replaces_created: str, issued: str) -> tuple:
    """A rollback pin's rank: just above the build (`replaces`, `replaces_created`) it replaces."""
    return (version_order(replaces), replaces_created, PINNED, issued)
