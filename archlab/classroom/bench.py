"""`python -m archlab.classroom.bench`: what the classroom costs and how fast it shows things.

Starts `archlab classroom` as a real process on this machine's trained store (ARCHLAB_HOME) and
measures, from outside: the seconds from the command to every panel serving (every front instance
answering with a version), split into phases (the page served, the models checked, each panel
serving: the classroom's snapshot notes when each ended); the classroom process's CPU (user + system, /proc) and the resident
memory of it and of everything it started, at its default traffic with no viewer and with N viewers
streaming the page's updates; and from a control (pause / resume traffic, which no architecture
takes any time for) to every viewer's stream carrying its effect: the page's own latency.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time

from patterns import http as archlab_http
from patterns.launch.process import free_port

from ..measure.footprint import _parent_pids, _rss_kib, _tree, process_cpu_seconds
from ..measure.stats import summarize

def memory_mib(pid: int) -> tuple[float, float]:
    """Resident MiB of the process alone, and of it with every process below it."""
    tree = _tree(pid, _parent_pids())
    return _rss_kib(pid) / 1024, sum(_rss_kib(member) for member in tree) / 1024


class Viewer(threading.Thread):
    """One viewer's stream of updates; notes when a snapshot carrying `expect` (bytes) arrives."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port, self.messages = port, 0
        self.expect: bytes | None = None
        self.seen_at: float | None = None
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def run(self) -> None:
        self.connection.request("GET", "/events")
        stream = self.connection.getresponse()
        try:
            for line in stream:
                if line.startswith(b"data: "):
                    self.messages += 1
                    if self.expect is not None and self.seen_at is None and self.expect in line:
                        self.seen_at = time.perf_counter()
        except (OSError, ValueError):  # closed at the end
            pass

    def close(self) -> None:
        self.connection.close()


def cost(pid: int, seconds: float) -> dict:
    before, started = process_cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    cpu = (process_cpu_seconds(pid) - before) / (time.monotonic() - started)
    own, everything = memory_mib(pid)
    return {"cpu_percent_of_one_core": round(100 * cpu, 1), "classroom_rss_mib": round(own, 1),
            "everything_started_rss_mib": round(everything, 1)}


def action_latencies(url: str, viewers: list[Viewer], actions: int) -> list[float]:
    """Seconds from each control's request until the last viewer's stream showed its effect."""
    latencies = []
    for i in range(actions):
        action, expect = ("pause", b'"traffic":false') if i % 2 == 0 else ("resume", b'"traffic":true')
        for viewer in viewers:
            viewer.seen_at = None
            viewer.expect = expect
        started = time.perf_counter()
        archlab_http.call_json("POST", url + "api/control", json={"action": action}, timeout=10)
        deadline = time.monotonic() + 10
        while any(v.seen_at is None for v in viewers) and time.monotonic() < deadline:
            time.sleep(0.005)
        latencies.append(max((v.seen_at or float("inf")) - started for v in viewers))
        time.sleep(0.7)
    return latencies


def startup_split(t0: float, page_s: float, snapshot: dict) -> dict:
    """The seconds from the command to each start-up phase's end: the page served (interpreter,
    imports, listener), the models checked (trained if missing), each panel serving (its system
    started side by side with the others), as the classroom's snapshot notes them."""
    noted = snapshot["meta"].get("startup")
    if noted is None:  # a classroom from before it noted them
        return {"page_served": round(page_s, 1)}
    since = lambda at: round(at - t0, 1)  # noqa: E731
    return {"page_served": round(page_s, 1), "models_checked": since(noted["models_checked"]),
            "panel_serving": {name: since(at) for name, at in sorted(noted["panels"].items(), key=lambda kv: kv[1])}}


def start(port: int, rate: float) -> tuple[subprocess.Popen, dict]:
    """`archlab classroom` started and waited for until every instance answers; its start-up times."""
    url = f"http://127.0.0.1:{port}/"
    t0, started = time.time(), time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "archlab", "classroom", "--port", str(port), "--rate", str(rate)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    page = serving = None
    for line in process.stdout:
        if line.startswith("classroom: "):
            page = time.perf_counter() - started
        if line.startswith("serving: "):
            serving = time.perf_counter() - started
            break
    if serving is None:
        raise RuntimeError(f"the classroom ended (code {process.wait()}) before serving")
    while not all(p["available"] and None not in [i["version"] for i in p["instances"]]
                  for p in archlab_http.call_json("GET", url + "snapshot")["panels"]):
        time.sleep(0.1)
    answering = time.perf_counter() - started
    return process, {"start_to_every_panel_serving_s": round(serving, 1),
                     "start_to_every_instance_answering_s": round(answering, 1),
                     "phases_s": startup_split(t0, page, archlab_http.call_json("GET", url + "snapshot")),
                     "load_average_1min_at_start": round(os.getloadavg()[0], 1)}


def run(viewers: int, seconds: float, actions: int, rate: float, startup_only: bool) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    process, result = start(port, rate)
    try:
        if startup_only:
            return result
        alone = cost(process.pid, seconds)
        streams = [Viewer(port) for _ in range(viewers)]
        for stream in streams:
            stream.start()
        time.sleep(2)
        watched = cost(process.pid, seconds)
        latencies = action_latencies(url, streams, actions)
        per_viewer_rate = sum(s.messages for s in streams) / len(streams) / (seconds + 2 + actions * 0.8)
        for stream in streams:
            stream.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
    summary = summarize(latencies)
    return {**result, "no_viewer": alone, f"{viewers}_viewers": watched,
            "updates_per_viewer_per_s": round(per_viewer_rate, 2),
            "action_to_every_viewer_s": {"n": summary.n, "p50": round(summary.p50, 3), "p99": round(summary.p99, 3),
                                         "max": round(summary.max, 3)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archlab.classroom.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=30.0, help="each CPU measurement's length")
    parser.add_argument("--actions", type=int, default=20, help="controls timed to every viewer")
    parser.add_argument("--rate", type=float, default=4.0, help="requests per second to each architecture")
    parser.add_argument("--startup-only", action="store_true", help="measure the start-up only, then stop")
    args = parser.parse_args(argv)
    if args.viewers < 1 or args.seconds <= 0 or args.actions < 1:
        parser.error("--viewers and --actions take at least 1, --seconds a positive number")
    result = run(args.viewers, args.seconds, args.actions, args.rate, args.startup_only)
    print(json.dumps(result, indent=2))
    print(f"command: python -m archlab.classroom.bench --viewers {args.viewers} --seconds {args.seconds:g} "
          f"--actions {args.actions} --rate {args.rate:g}{' --startup-only' if args.startup_only else ''}")
    print(f"load average now (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
          f"ARCHLAB_HOME={os.environ.get('ARCHLAB_HOME', '(default)')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
