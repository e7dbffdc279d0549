"""The embedded front seen from outside: `archlab bench --outside [--against CHECKOUT]`.

An outside load generator (wrk, a C program in its own process) POSTs the example house to each
app, so no Python client shares the server's interpreter lock or skews the figures with its own
cost. The apps, each on waitress with the front's settings and thread count: the bare WSGI
callable (the server's floor), the Flask route (the framework's floor), this checkout's embedded
front and, with `--against`, another checkout's embedded front, started the way that checkout
starts it (`python -m archlab serve embedded`, with a model it trains into a home of its own).
Runs are interleaved round by round, so load from other work on the machine falls on every app
alike; each round prints requests/s and wrk's latency percentiles, and the ratios that matter:
embedded / bare WSGI requests/s and embedded / Flask route p50. Each run also prints the CPU time
the app's server process spent per request (Linux /proc): on a machine shared with other work the
rates follow the load, while the CPU a request costs moves much less.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from statistics import median

from shared_model import example_record

from patterns.launch.architectures import launch
from patterns.launch.process import ManagedProcess, ProcessFailed, free_port
from patterns.settings import Settings

from ..measure.floors import constant_server
from ..measure.footprint import process_cpu_seconds
from .front import front_in_process
from .model import machine_description

HOW_TO_GET_WRK = "install it: apt-get install -y wrk (Debian, Ubuntu) or brew install wrk (macOS)"
BARE, FLASK, EMBEDDED = "bare WSGI (server floor)", "Flask route (framework floor)", "embedded front"
AGAINST = "embedded front (--against)"
AGAINST_START_TIMEOUT_S = 300.0  # trains a model and installs its wheel first, on a shared machine

# wrk's own Lua hooks: the POST it sends, and one machine-readable line with what it measured.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = io.open(os.getenv("ARCHLAB_WRK_BODY"), "rb")
wrk.body = file:read("*a")
file:close()
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("ARCHLAB-WRK requests=%d duration_us=%d errors=%d non_2xx=%d p50_us=%d p90_us=%d p99_us=%d\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""
RESULT_LINE = re.compile(r"ARCHLAB-WRK (.*)")


class WrkMissing(RuntimeError):
    """No wrk on PATH: the message says how to get it."""


class AgainstFailed(RuntimeError):
    """The other checkout could not train its model or start its front: the message says which and why."""


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing(f"the outside load generator wrk is not installed; {HOW_TO_GET_WRK}")
    return path


def parse_wrk(output: str) -> dict:
    """The figures of wrk's ARCHLAB-WRK line: requests, requests/s, errors, p50/p90/p99 in ms."""
    match = RESULT_LINE.search(output)
    if match is None:
        raise ValueError(f"wrk printed no result line; its output was:\n{output}")
    fields = {key: int(value) for key, value in (item.split("=") for item in match.group(1).split())}
    seconds = fields["duration_us"] / 1e6
    return {"requests": fields["requests"], "seconds": seconds,
            "requests_per_s": fields["requests"] / seconds if seconds else 0.0,
            "errors": fields["errors"], "non_2xx": fields["non_2xx"],
            **{f"p{q}_ms": fields[f"p{q}_us"] / 1000.0 for q in (50, 90, 99)}}


def run_wrk(wrk: str, url: str, script: Path, body: Path, seconds: float, connections: int) -> dict:
    threads = min(connections, 2)
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script), url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60,
                          env={**os.environ, "ARCHLAB_WRK_BODY": str(body)})
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def listening_pid(url: str) -> int | None:
    """The process listening on `url`'s loopback port (Linux /proc), or None where that cannot be read."""
    port = int(url.split(":")[2].split("/")[0])
    try:
        with open("/proc/net/tcp") as table:
            inodes = {row[9] for row in (line.split() for line in list(table)[1:])
                      if int(row[1].split(":")[1], 16) == port and row[3] == "0A"}  # 0A: LISTEN
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if any(os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] in inodes for fd in os.listdir(f"/proc/{pid}/fd")):
                    return int(pid)
            except OSError:  # gone meanwhile, or not ours to read
                continue
    except (OSError, ValueError, IndexError):
        return None
    return None



def checkout_source(path: str) -> Path:
    """The root of an archlab checkout (it has patterns/web), or ValueError saying what is expected."""
    root = Path(path).expanduser().resolve()
    if not (root / "patterns" / "web" / "__init__.py").is_file() or not (root / "archlab").is_dir():
        raise ValueError(f"--against expects the root of an archlab checkout (with patterns/web and archlab); "
                         f"got {path}")
    return root


@contextmanager
def checkout_front(checkout: Path, home: Path) -> Iterator[str]:
    """That checkout's embedded front, as it starts one: its own code trains model v1 into `home`
    (a model store's format may differ between checkouts), then `archlab serve embedded`."""
    env = {**os.environ, "ARCHLAB_HOME": str(home), "PYTHONPATH": str(checkout)}
    train = subprocess.run([sys.executable, "-m", "archlab", "train", "v1"], cwd=checkout, env=env,
                           capture_output=True, text=True, timeout=AGAINST_START_TIMEOUT_S)
    if train.returncode != 0:
        said = (train.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
        raise AgainstFailed(f"training v1 with {checkout} failed (exit {train.returncode}): {said}")
    port = free_port()
    argv = [sys.executable, "-m", "archlab", "serve", front_in_process(), "--port", str(port), "--version", "v1"]
    front = ManagedProcess("against-front", argv, env={"ARCHLAB_HOME": str(home), "PYTHONPATH": str(checkout)},
                           port=port, cwd=checkout, log_dir=home / "logs")
    front.start()
    try:
        try:
            front.wait_healthy(AGAINST_START_TIMEOUT_S)
        except ProcessFailed as exc:
            raise AgainstFailed(f"the embedded front of {checkout} did not start: {exc}") from None
        yield front.url + "/predict"
    finally:
        front.stop()


def run_outside_bench(wrk: str, seconds: float, rounds: int, connections: int, other: Path | None = None) -> dict:
    """Every app started once, then `rounds` rounds of one wrk run per app (`wrk_path()`), in the same
    order each round; `other`: another checkout's root (`checkout_source`) whose front runs too."""
    settings = Settings.from_env()
    with tempfile.TemporaryDirectory(prefix="archlab-outside-") as scratch, ExitStack() as apps:
        script, body = Path(scratch) / "post.lua", Path(scratch) / "house.json"
        script.write_text(WRK_SCRIPT)
        body.write_text(json.dumps(example_record()))
        # the other checkout first: it is the slowest to start and the likeliest to fail
        against = other and apps.enter_context(checkout_front(other, Path(scratch) / "against-home"))
        urls = {BARE: apps.enter_context(constant_server("http_constant")),
                FLASK: apps.enter_context(constant_server("flask_constant")),
                EMBEDDED: apps.enter_context(launch(front_in_process(), settings=settings)).url + "/predict",
                **({AGAINST: against} if against else {})}
        pids = {name: listening_pid(url) for name, url in urls.items()}
        runs = []
        for index in range(1, rounds + 1):
            for name, url in urls.items():
                cpu_before, started = process_cpu_seconds(pids[name]), time.time()
                run = run_wrk(wrk, url, script, body, seconds, connections)
                cpu_after = process_cpu_seconds(pids[name])
                cpu_us = (None if cpu_before is None or cpu_after is None or not run["requests"]
                          else (cpu_after - cpu_before) / run["requests"] * 1e6)
                runs.append({"round": index, "app": name, "started": started, **run,
                             "server_cpu_us_per_request": cpu_us})
    return {"machine": machine_description(), "wrk": wrk_version(wrk), "seconds": seconds, "rounds": rounds,
            "connections": connections, "against": str(other) if other else None,
            "apps": list(urls), "runs": runs}


def wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
    return (done.stdout or done.stderr).split("Copyright")[0].strip() or "wrk"


def format_outside_bench(result: dict) -> str:
    apps, runs = result["apps"], result["runs"]
    lines = [f"POST /predict (the example house) by {result['wrk']} from outside, {result['connections']} "
             f"connection(s), {result['seconds']:g} s a run, {result['rounds']} round(s) interleaved",
             f"on {result['machine']}; every app on waitress as patterns.web.wsgi_server sets it up, default threads",
             *([f"{AGAINST}: the checkout at {result['against']} (model v1 trained by its own code)"]
               if result["against"] else []),
             f"  {'round':>5} {'app':30} {'req/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'errors':>6} "
             f"{'server CPU us/req':>17}"]
    lines += [f"  {run['round']:5} {run['app']:30} {run['requests_per_s']:8.0f} {run['p50_ms']:7.3f} "
              f"{run['p90_ms']:7.3f} {run['p99_ms']:7.3f} {run['errors'] + run['non_2xx']:6} "
              f"{_us(run['server_cpu_us_per_request'])}" for run in runs]
    by_round = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[run["app"]] = run
    lines.append("over the rounds (min-max, median):")
    for app in apps:
        rates = [rounds[app]["requests_per_s"] for rounds in by_round.values()]
        p50s = [rounds[app]["p50_ms"] for rounds in by_round.values()]
        cpus = [cpu for rounds in by_round.values() if (cpu := rounds[app]["server_cpu_us_per_request"]) is not None]
        lines.append(f"  {app:30} req/s {_span(rates, '.0f')}   p50 ms {_span(p50s, '.3f')}"
                     + (f"   server CPU us/req {_span(cpus, '.0f')}" if cpus else ""))
    lines.append("ratios within each round (min-max, median):")
    for app in apps[2:]:
        share = [_ratio(rounds[app]["requests_per_s"], rounds[BARE]["requests_per_s"]) for rounds in by_round.values()]
        over = [_ratio(rounds[app]["p50_ms"], rounds[FLASK]["p50_ms"]) for rounds in by_round.values()]
        cpu = [_ratio(rounds[app]["server_cpu_us_per_request"], rounds[FLASK]["server_cpu_us_per_request"])
               for rounds in by_round.values()
               if rounds[app]["server_cpu_us_per_request"] and rounds[FLASK]["server_cpu_us_per_request"]]
        lines.append(f"  {app:30} req/s / bare WSGI's {_span(share, '.2f')}   "
                     f"p50 / Flask route's {_span(over, '.2f')}"
                     + (f"   server CPU / Flask route's {_span(cpu, '.2f')}" if cpu else ""))
    return "\n".join(lines)


def _us(value: float | None) -> str:
    return f"{value:17.0f}" if value is not None else f"{'-':>17}"


def _ratio(value: float, reference: float) -> float:
    """value / reference; NaN when the reference run answered nothing (it is printed, not hidden)."""
    return value / reference if reference else float("nan")


def _span(values: list[float], spec: str) -> str:
    return f"{min(values):{spec}}-{max(values):{spec}} ({median(values):{spec}})"
