"""The footing each figure was measured on, in words, read from what the comparison observed
(`Architecture.footing`: per measurement, the user-facing app processes that ran and the addresses
users were sent to): a chart or table that compares architectures says it, and says where one
architecture could not be measured like the others."""

from __future__ import annotations

from collections.abc import Mapping

SERVING = "latency and throughput"
OPERATING = "update, drill and faults"


def _instances(seen: Mapping) -> str:
    fronts, entries = seen["front_instances"], seen["entry_points"]
    text = f"{fronts} user-facing instance{'s' if fronts != 1 else ''}"
    return text + (f" behind {entries} load balancer" if entries < fronts else "")


def footing_of(footings: Mapping[str, Mapping], measurement: str) -> str:
    """`footings` maps architecture -> its footing dict; one phrase for `measurement` ("1
    user-facing instance each") or, when they differ, the architectures grouped by footing."""
    seen = {name: _instances(f[measurement]) for name, f in footings.items() if measurement in f}
    if not seen:
        return ""
    if len(set(seen.values())) == 1:
        return f"{next(iter(seen.values()))} each"
    groups = {text: [name for name, other in seen.items() if other == text] for text in dict.fromkeys(seen.values())}
    return "; ".join(f"{text}: {', '.join(names)}" for text, names in groups.items())


def caption(footings: Mapping[str, Mapping], measurement: str, cpus: int | None) -> str:
    """The footing line under a chart or table title; empty for results measured before it was recorded."""
    instances = footing_of(footings, measurement)
    if not instances:
        return ""
    beside = [f[measurement]["beside_cpu_pct"] for f in footings.values() if "beside_cpu_pct" in f.get(measurement, {})]
    waiting = (f"; the other systems waited running beside each one, using at most {max(beside):g}% of one CPU"
               if beside else "")
    return f"{measurement}: {instances}; one client (archlab's load generator) on the same {cpus} CPUs{waiting}"
