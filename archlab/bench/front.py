"""Where one request's time goes at the embedded front, against the floors: `archlab bench --front`.

Three apps, each timed two ways, one request at a time: in process (its WSGI callable called with a
prepared POST /predict: no socket, no server, what the app itself costs) and over HTTP (waitress with
the front's settings, the lean load client). The apps: the bare WSGI callable (the server's floor),
the Flask route (the framework's floor) and the embedded front with a stored model (its real
`create_app`, launched as the architecture runs it for the HTTP half). The differences name the
layers: HTTP, server and client = over HTTP - in process; Flask = Flask route - bare callable;
the architecture's own work = embedded front - Flask route, which its Server-Timing parts split.
"""

from __future__ import annotations

import io
import json
import time

from werkzeug.test import EnvironBuilder

from shared_model import ModelStore, example_record

from patterns.embedded.backend import EmbeddedBackend
from patterns.launch.systems import launch
from patterns.settings import Settings
from patterns.web import create_app

from ..measure.constant_server import app as bare_app
from ..measure.constant_server import flask_app
from ..measure.floors import constant_server
from ..measure.stats import summarize
from ..measure.throughput import measure_throughput
from .model import machine_description

APPS = ("bare WSGI callable", "Flask route", "embedded front")
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


def run_front_bench(version: str | None, calls: int, seconds: float) -> dict:
    """Each app in process and over HTTP; the model is `version` (default: the newest stored)."""
    settings = Settings.from_env()
    models = ModelStore(settings.home / "models")
    version = version or models.latest()
    house = example_record()
    body = json.dumps(house).encode()
    front = create_app(EmbeddedBackend(models.load(version)), settings=settings)
    in_process = {name: summarize(in_process_ms(app, body, calls)).p50
                  for name, app in zip(APPS, (bare_app, flask_app(), front))}
    http = {}
    for name, kind in zip(APPS, ("http_constant", "flask_constant")):
        with constant_server(kind) as url:
            http[name] = over_http(url, house, calls, seconds)
    with launch("embedded", settings=settings, version=version) as system:
        http[APPS[2]] = over_http(system.url + "/predict", house, calls, seconds)
    return {"machine": machine_description(), "version": version, "calls": calls, "seconds": seconds,
            "in_process_p50_ms": in_process, "http": http}


def format_front_bench(result: dict) -> str:
    inside, http = result["in_process_p50_ms"], result["http"]
    over = {name: http[name]["p50_ms"] for name in APPS}
    lines = [f"one POST /predict at a time on {result['machine']}, model {result['version']}",
             f"in process: {result['calls']} WSGI calls each; over HTTP: at most {result['calls']} requests in "
             f"{result['seconds']:g} s, lean client",
             f"  {'app':20} {'in process p50 ms':>18} {'over HTTP p50 ms':>17} {'HTTP, server, client':>21}"]
    lines += [f"  {name:20} {inside[name]:18.3f} {over[name]:17.3f} {over[name] - inside[name]:21.3f}" for name in APPS]
    embedded = over[APPS[2]]
    parts = http[APPS[2]]["server_timing_p50_ms"]
    layers = {
        "HTTP, server and client (over HTTP - in process)": embedded - inside[APPS[2]],
        "Flask (Flask route - bare callable, in process)": inside[APPS[1]] - inside[APPS[0]],
        "the architecture's work (embedded - Flask route, in process)": inside[APPS[2]] - inside[APPS[1]],
    }
    lines.append(f"the embedded front's {embedded:.3f} ms over HTTP:")
    lines += [f"  {label:62} {ms:7.3f} ms  {ms / embedded:4.0%}" for label, ms in layers.items()]
    lines.append("  its Server-Timing parts (p50): "
                 + ", ".join(f"{name} {ms:.3f} ms" for name, ms in parts.items()))
    lines.append(f"over HTTP: embedded / Flask route {embedded / over[APPS[1]]:.2f}, "
                 f"embedded / bare WSGI {embedded / over[APPS[0]]:.2f}, "
                 f"Flask route / bare WSGI {over[APPS[1]] / over[APPS[0]]:.2f}")
    return "\n".join(lines)
