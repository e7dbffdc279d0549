"""Where one request's time goes at a front that holds the model, against the floors: `archlab bench --front`.

Three apps, each timed two ways, one request at a time: in process (its WSGI callable called with a
prepared POST /predict: no socket, no server, what the app itself costs) and over HTTP (waitress with
the front's settings, the lean load client). The apps: the bare WSGI callable (the server's floor),
the Flask route (the framework's floor) and the front of the first registered architecture whose
System offers it in process (`FrontInProcess`: the embedded one), with a stored model (launched as
the architecture runs it for the HTTP half). The differences name the layers: HTTP, server and
client = over HTTP - in process; Flask = Flask route - bare callable; the architecture's own work =
its front - Flask route, which its Server-Timing parts split.
"""

from __future__ import annotations

import io
import json
import time

from werkzeug.test import EnvironBuilder

from shared_model import ModelStore, example_record

from patterns.launch.architectures import ARCHITECTURES, system_class
from patterns.launch.protocols import FrontInProcess
from patterns.settings import Settings

from ..measure.constant_server import app as bare_app
from ..measure.constant_server import flask_app
from ..measure.floors import constant_server
from ..measure.stats import summarize
from ..measure.throughput import measure_throughput
from .model import machine_description

FLOORS = ("bare WSGI callable", "Flask route")
WARMUP_CALLS = 200


def in_process_ms(app, body: bytes, calls: int) -> list[float]:
    """Milliseconds per call of `app` (a WSGI callable) on POST /predict with `body`, after a warm-up."""
    environ = EnvironBuilder(path="/predict", method="POST", data=body, content_type="application/json").get_environ()

    def start_response(status, headers, exc_info=None):
        return None

    samples = []
    for index in range(WARMUP_CALLS + calls):
        started = time.perf_counter()
        b"".join(app({**environ, "wsgi.input": io.BytesIO(body)}, start_response))
        if index >= WARMUP_CALLS:
            samples.append((time.perf_counter() - started) * 1000.0)
    return samples


def over_http(url: str, house: dict, calls: int, seconds: float) -> dict:
    return measure_throughput(url, 1, count=calls, duration_s=seconds, json=house, label="one client").as_dict()


def front_in_process() -> str:
    """The first registered architecture whose front can run in this process (the contract says which)."""
    return next(arch for arch in ARCHITECTURES if issubclass(system_class(arch), FrontInProcess))


def run_front_bench(version: str | None, calls: int, seconds: float) -> dict:
    """Each app in process and over HTTP; the model is `version` (default: the newest stored)."""
    settings = Settings.from_env()
    version = version or ModelStore(settings.home / "models").latest()
    house = example_record()
    body = json.dumps(house).encode()
    system = system_class(front_in_process())(settings=settings, version=version)
    apps = (*FLOORS, f"{system.architecture} front")
    in_process = {name: summarize(in_process_ms(app, body, calls)).p50
                  for name, app in zip(apps, (bare_app, flask_app(), system.front_app(version)))}
    http = {}
    for name, kind in zip(FLOORS, ("http_constant", "flask_constant")):
        with constant_server(kind) as url:
            http[name] = over_http(url, house, calls, seconds)
    with system:
        http[apps[2]] = over_http(system.url + "/predict", house, calls, seconds)
    return {"machine": machine_description(), "version": version, "calls": calls, "seconds": seconds,
            "architecture": system.architecture, "in_process_p50_ms": in_process, "http": http}


def format_front_bench(result: dict) -> str:
    inside, http, arch = result["in_process_p50_ms"], result["http"], result["architecture"]
    apps = (*FLOORS, f"{arch} front")
    over = {name: http[name]["p50_ms"] for name in apps}
    lines = [f"one POST /predict at a time on {result['machine']}, model {result['version']}",
             f"in process: {result['calls']} WSGI calls each; over HTTP: at most {result['calls']} requests in "
             f"{result['seconds']:g} s, lean client",
             f"  {'app':20} {'in process p50 ms':>18} {'over HTTP p50 ms':>17} {'HTTP, server, client':>21}"]
    lines += [f"  {name:20} {inside[name]:18.3f} {over[name]:17.3f} {over[name] - inside[name]:21.3f}" for name in apps]
    front_ms = over[apps[2]]
    parts = http[apps[2]]["server_timing_p50_ms"]
    layers = {
        "HTTP, server and client (over HTTP - in process)": front_ms - inside[apps[2]],
        "Flask (Flask route - bare callable, in process)": inside[apps[1]] - inside[apps[0]],
        f"the architecture's work ({arch} - Flask route, in process)": inside[apps[2]] - inside[apps[1]],
    }
    lines.append(f"the {arch} front's {front_ms:.3f} ms over HTTP:")
    lines += [f"  {label:62} {ms:7.3f} ms  {ms / front_ms:4.0%}" for label, ms in layers.items()]
    lines.append("  its Server-Timing parts (p50): "
                 + ", ".join(f"{name} {ms:.3f} ms" for name, ms in parts.items()))
    lines.append(f"over HTTP: {arch} / Flask route {front_ms / over[apps[1]]:.2f}, "
                 f"{arch} / bare WSGI {front_ms / over[apps[0]]:.2f}, "
                 f"Flask route / bare WSGI {over[apps[1]] / over[apps[0]]:.2f}")
    return "\n".join(lines)
