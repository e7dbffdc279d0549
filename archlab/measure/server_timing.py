"""Reading the standard `Server-Timing` response header: where a server says its time went.

`validate;dur=0.21, model;desc="v2";dur=0.05, hop` -> {"validate": 0.21, "model": 0.05}: each
metric's name and its `dur` in milliseconds (W3C Server Timing). A metric without a usable `dur`
says nothing about time and is left out; a header that is not of this shape gives no parts rather
than failing the request that carried it.
"""

from __future__ import annotations

import math


def parse_server_timing(header: str) -> dict[str, float]:
    """Milliseconds per metric name of one `Server-Timing` value (several headers may be joined with ',')."""
    parts = {}
    for metric in header.split(","):
        name, *params = metric.split(";")
        name = name.strip()
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "dur" and name:
                try:
                    duration = float(value.strip().strip('"'))
                except ValueError:
                    break
                if math.isfinite(duration):
                    parts[name] = duration
                break
    return parts
