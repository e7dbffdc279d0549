"""What a running system costs to keep up, read from the system itself and its files (Linux /proc):
its processes, their resident memory, what the user-facing app carries on disk, how many copies of
the model are in memory, and how much code the architecture is.

Nothing here knows an architecture: components come from `system.pids()`, the app's installed
distributions from its front's `GET /status` (`runtime.distributions`, listed by the process
itself), the code from the architecture's package (`patterns/<arch>/`) without its `lab/` (the
System adapter, floors and benchmarks archlab uses to drive and measure it): what a practitioner
would deploy.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from patterns import http
from patterns.launch.system import System

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

MIB = 1024 * 1024
# A process holds a model when it has mapped a model runtime's compiled extensions: scikit-learn's
# (the pickle, the fast path) or onnxruntime's (the ONNX format). A model served from model.json
# by plain numpy maps neither and is not counted.
MODEL_RUNTIMES = {"scikit-learn": "/sklearn/", "onnxruntime": "/onnxruntime/"}
COMMENT_PREFIXES = {".py": "#", ".proto": "//", ".html": "{#"}
LAB_PACKAGE = "lab"  # an architecture's harness (System adapter, floors, benchmarks): not its code
GENERATED_MARK = "DO NOT EDIT"  # generated code (protoc's output) is not code anybody wrote


@dataclass(frozen=True)
class ProcessInfo:
    component: str
    pid: int
    parent_pid: int
    command: str
    rss_mib: float
    model_runtime: str | None  # the model runtime it has mapped, if any


@dataclass(frozen=True)
class Footprint:
    """`rss_mib` per component and "total" (resident memory: pages shared between processes,
    such as the Python binary's, count once per process); `app_environment_mib` what the front
    process imported from installed distributions, on disk (the standard library not counted)."""

    architecture: str
    processes: list[ProcessInfo]
    rss_mib: dict[str, float]
    app_environment_mib: float
    app_distributions: list[dict]
    model_copies: int
    code_package: str
    code_lines: int
    code_lines_by_kind: dict[str, int]

    def as_dict(self) -> dict:
        return asdict(self)


def measure_footprint(system: System) -> Footprint:
    processes = running_processes(system)
    rss: dict[str, float] = {}
    for process in processes:
        rss[process.component] = round(rss.get(process.component, 0.0) + process.rss_mib, 1)
    rss["total"] = round(sum(process.rss_mib for process in processes), 1)
    distributions = http.call_json("GET", system.url + "/status", timeout=30)["runtime"]["distributions"]
    package, by_kind = code_lines(type(system))
    return Footprint(
        architecture=system.architecture,
        processes=processes,
        rss_mib=rss,
        app_environment_mib=round(sum(dist["size_bytes"] for dist in distributions) / MIB, 1),
        app_distributions=distributions,
        model_copies=sum(1 for process in processes if process.model_runtime),
        code_package=package,
        code_lines=sum(by_kind.values()),
        code_lines_by_kind=by_kind,
    )


# -- processes, from /proc -----------------------------------------------------------------------

def process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds process `pid` has used so far, all its threads (Linux /proc);
    None when there is no such process (any more)."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()  # after "pid (command name)"
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def running_processes(system: System) -> list[ProcessInfo]:
    """Each component's process and every process below it (a worker pool's children)."""
    parents = _parent_pids()
    found = []
    for component, pid in system.pids().items():
        if pid is None or pid not in parents:  # not a process, or not running now
            continue
        found += [_describe(component, member, parents[member]) for member in _tree(pid, parents)]
    return found


def _parent_pids() -> dict[int, int]:
    """pid -> parent pid of every process visible in /proc."""
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (command name)"
        if fields[0] != "Z":  # a zombie holds no memory and does no work
            parents[int(entry.name)] = int(fields[1])
    return parents


def _tree(root: int, parents: dict[int, int]) -> list[int]:
    members, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        members += children
        frontier = children
    return members


def _describe(component: str, pid: int, parent: int) -> ProcessInfo:
    return ProcessInfo(component, pid, parent, _command(pid), round(_rss_kib(pid) / 1024, 1), _model_runtime(pid))


def _command(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    return " ".join(Path(argv[0].decode()).name if i == 0 else arg.decode() for i, arg in enumerate(argv[:4]))


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _model_runtime(pid: int) -> str | None:
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return None
    for line in maps.splitlines():
        path = line.rpartition(" ")[2]
        if ".so" in path:
            for runtime, folder in MODEL_RUNTIMES.items():
                if folder in path:
                    return runtime
    return None


# -- the architecture's own code ----------------------------------------------------------------------

def code_lines(system_class: type[System]) -> tuple[str, dict[str, int]]:
    """The architecture's package (the one above the system class's `lab`), and its serving code's
    non-blank, non-comment lines per file kind (Python, templates, contracts): the lab's harness,
    tests and generated files left out."""
    package = system_class.__module__.rpartition(".")[0]
    if package.rpartition(".")[2] == LAB_PACKAGE:
        package = package.rpartition(".")[0]
    folder = Path(importlib.import_module(package).__file__).parent
    counts: dict[str, int] = {}
    for path in sorted(folder.rglob("*")):
        prefix = COMMENT_PREFIXES.get(path.suffix)
        parts = path.relative_to(folder).parts
        if prefix is None or {"tests", LAB_PACKAGE} & set(parts[:-1]) or path.name.startswith("test_"):
            continue
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
        if any(GENERATED_MARK in line for line in lines[:5]):
            continue
        kind = path.suffix.lstrip(".")
        counts[kind] = counts.get(kind, 0) + sum(1 for line in lines if line and not line.startswith(prefix))
    return package, counts
