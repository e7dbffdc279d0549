"""What it takes to run an architecture, counted from the running system and the checkout rather
than typed: its processes with their programs and memory, its package's code module by module
(each module's own docstring says its job), the other architectures' code beside it, and what a
Kafka-protocol broker holds (topics, partitions, messages, consumer groups), asked of the broker."""

from __future__ import annotations

import ast
import importlib
import os
import sys
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from patterns.launch.architectures import ARCHITECTURES, system_class

from ..measure.footprint import COMMENT_PREFIXES, LAB_PACKAGE, code_lines, measure_footprint

BROKER_TIMEOUT_MS = 5000
MIB = 1024 * 1024


def _program(pid: int) -> str:
    """The executable a process runs: this Python, or another program (a binary archlab did not build: its size)."""
    try:
        exe = Path(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return "?"
    if exe == Path(sys.executable).resolve():
        return "Python"
    return f"{exe.name} ({exe.stat().st_size / MIB:.1f} MiB binary)"


def running_parts(system) -> list[str]:
    """One line per process of the running system: its component, program and resident memory."""
    footprint = measure_footprint(system)
    return [f"{p.component}: {_program(p.pid)}, {p.rss_mib:.1f} MiB resident" for p in footprint.processes]


def _first_docstring_line(path: Path) -> str:
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    return docstring.split("\n\n")[0].replace("\n", " ")


def _lines(path: Path) -> int:
    prefix = COMMENT_PREFIXES[path.suffix]
    return sum(1 for line in path.read_text().splitlines() if line.strip() and not line.strip().startswith(prefix))


def own_code(architecture: type) -> list[str]:
    """The package of an `architecture` (its System class; what a practitioner deploys, without the
    lab's harness): each Python module's lines and the job its docstring states; then every
    registered architecture's total, counted the same way (`archlab.measure.footprint.code_lines`)."""
    package, _ = code_lines(architecture)
    folder = Path(importlib.import_module(package).__file__).parent
    modules = [path for path in sorted(folder.glob("*.py")) if path.name != "__init__.py"]
    lines = [f"{path.name} ({_lines(path)} lines): {_first_docstring_line(path)}" for path in modules]
    totals = {arch: sum(code_lines(system_class(arch))[1].values()) for arch in ARCHITECTURES}
    lines.append("every architecture's own code, lines (" + LAB_PACKAGE + "/ and tests left out): "
                 + ", ".join(f"{arch} {count}" for arch, count in totals.items()))
    return lines


def broker_contents(bootstrap_servers: str) -> list[str]:
    """What the broker at `bootstrap_servers` holds, as its admin API answers: each topic with its
    partitions and the messages in them, and the consumer groups it coordinates."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=BROKER_TIMEOUT_MS)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False,
                             request_timeout_ms=BROKER_TIMEOUT_MS)
    try:
        topics = sorted(admin.list_topics())
        groups = [group["group_id"] if isinstance(group, dict) else group[0]  # kafka-python 3 / 2
                  for group in (getattr(admin, "list_groups", None) or admin.list_consumer_groups)()]
        lines = []
        for topic in topics:
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
            ends = consumer.end_offsets(partitions) if partitions else {}
            starts = consumer.beginning_offsets(partitions) if partitions else {}
            messages = sum(ends[p] - starts[p] for p in partitions)
            lines.append(f"topic {topic}: {len(partitions)} partition(s), {messages} message(s)")
        lines.append(f"consumer groups: {len(groups)}" + (f" ({', '.join(groups)})" if groups else ""))
        return lines
    finally:
        consumer.close()
        admin.close()
