"""Where the time goes: every answer to POST /predict says so in a `Server-Timing` header, and the
model-cost knob (MODEL_COST_MS) shows up in its `model` part, on real running systems.

Each synchronous architecture runs once, with MODEL_COST_MS=20: its answer carries its parts, none
negative, adding up to no more than `total`, and the model part holds the 20 ms of CPU the model's
process spent (for the model API: the model service's, not the front's, and not counted twice in
the hop). No assertion is about speed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from api_helpers import model_service
from launch_helpers import writable_home
from patterns import http
from patterns.launch.architectures import launch, system_class
from patterns.launch.process import free_port
from patterns.model_cost import spend
from patterns.server_timing import format_parts, parse_parts
from patterns.settings import Settings
from shared_model import example_record

COST_MS = 20.0
slow = pytest.mark.slow  # real processes, a real broker and a database

# (architecture, variant) -> how its settings differ, and the parts its answer must carry
SYNCHRONOUS = {
    ("embedded", "in process"): ({}, {"validation", "model", "total"}),
    ("api", "http"): ({"model_transport": "http"}, {"validation", "model", "hop", "total"}),
    ("api", "grpc"): ({"model_transport": "grpc"}, {"validation", "model", "hop", "total"}),
    ("api", "amqp"): ({"model_transport": "amqp"}, {"validation", "model", "hop", "total"}),
    ("streaming", "own broker"): ({}, {"validation", "model", "total"}),
}


def predict(url: str, body=None) -> tuple[int, dict[str, float]]:
    answer = http.call("POST", url + "/predict", json=example_record() if body is None else body, timeout=30)
    headers = {name.lower(): value for name, value in answer.headers.items()}
    return answer.status, parse_parts(headers.get("server-timing"))


def assert_adds_up(parts: dict[str, float]) -> None:
    assert all(value >= 0 for value in parts.values()), parts
    assert sum(value for name, value in parts.items() if name != "total") <= parts["total"], parts


@pytest.fixture(scope="module", params=list(SYNCHRONOUS), ids=[f"{a}-{v}".replace(" ", "-") for a, v in SYNCHRONOUS])
def costly_system(request, trained_home, tmp_path_factory):
    """One running system per synchronous variant, with MODEL_COST_MS=20 in its settings."""
    arch, _ = request.param
    changes, expected = SYNCHRONOUS[request.param]
    if changes.get("model_transport") == "amqp":
        changes = {**changes, "amqp_url": request.getfixturevalue("amqp_url")}
    home = writable_home(trained_home, tmp_path_factory.mktemp("timing-home"))
    settings = system_class(arch).settings_class(home=home, model_cost_ms=COST_MS, **changes)
    with launch(arch, settings=settings, version="v1", namespace="timing") as system:
        yield system, expected


@slow
def test_a_synchronous_answer_says_where_its_time_went(costly_system):
    system, expected = costly_system
    status, parts = predict(system.url)
    assert status == 200
    assert set(parts) == expected
    assert_adds_up(parts)


@slow
def test_the_model_cost_knob_shows_in_the_model_part(costly_system):
    system, _ = costly_system
    status, parts = predict(system.url, [example_record(), example_record()])  # one call for the batch
    assert status == 200
    assert parts["model"] >= COST_MS
    assert_adds_up(parts)


@slow
def test_a_refused_house_still_says_what_validating_it_took(costly_system):
    system, _ = costly_system
    status, parts = predict(system.url, {"GrLivArea": "big"})
    assert status == 422
    assert set(parts) == {"validation", "total"}  # the model was never asked
    assert_adds_up(parts)


@slow
def test_the_model_service_reports_its_own_parts(home_with_models, monkeypatch):
    """What the front subtracts from its call: the HTTP service's own validation and model time."""
    monkeypatch.setenv("MODEL_COST_MS", str(COST_MS))  # the child inherits it
    with model_service(home_with_models, "v1") as service:
        answer = http.call("POST", service.url + "/v1/predict", json=example_record(), timeout=30)
    parts = parse_parts(answer.headers.get("Server-Timing"))
    assert answer.status == 200 and set(parts) == {"validation", "model", "total"}
    assert parts["model"] >= COST_MS
    assert_adds_up(parts)


@slow
def test_an_async_submission_says_what_storing_it_took(trained_home, tmp_path_factory):
    home = writable_home(trained_home, tmp_path_factory.mktemp("async-home"))
    with launch("async", settings=Settings(home=home), namespace="timing") as system:
        status, parts = predict(system.url)
    assert status == 202
    assert set(parts) == {"validation", "database", "total"}
    assert_adds_up(parts)


# -- the knob itself ---------------------------------------------------------------------------

def test_the_cost_is_cpu_time_not_sleep():
    """Busy for 20 ms of this thread's CPU: a sleep would leave thread_time where it was."""
    started = time.thread_time()
    spend(COST_MS)
    assert time.thread_time() - started >= COST_MS / 1000


def test_the_setting_survives_the_trip_to_a_child_process(tmp_path):
    settings = Settings(home=tmp_path, model_cost_ms=12.5)
    assert settings.to_env()["MODEL_COST_MS"] == "12.5"
    assert Settings.from_env(settings.to_env()).model_cost_ms == 12.5
    assert Settings.from_env({}).model_cost_ms == 0.0  # default: no cost


@pytest.mark.parametrize("value", ["fast", "-5", "nan", "inf"])
def test_a_bad_cost_is_refused_naming_the_setting(value):
    with pytest.raises(ValueError, match=f"MODEL_COST_MS must be a non-negative number of milliseconds.*{value}"):
        Settings.from_env({"MODEL_COST_MS": value})


@pytest.mark.parametrize("module", ["patterns.web", "patterns.api.service", "patterns.api.grpc_service",
                                    "patterns.api.amqp_worker", "patterns.async.worker"])
def test_a_process_that_would_run_the_model_refuses_a_bad_cost_at_start(module, archlab_home):
    options = {"patterns.api.amqp_worker": [], "patterns.async.worker": ["--once"]}
    argv = [sys.executable, "-m", module] + options.get(module, ["--port", str(free_port())])
    done = subprocess.run(argv, env={**os.environ, "MODEL_COST_MS": "fast"}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2, done.stderr
    assert "MODEL_COST_MS must be a non-negative number of milliseconds" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_header_format_and_its_reading_agree():
    header = format_parts({"validation": 0.12, "model": 0.4, "total": 0.7})
    assert header == "validation;dur=0.120, model;dur=0.400, total;dur=0.700"
    assert parse_parts(header) == {"validation": 0.12, "model": 0.4, "total": 0.7}
    assert parse_parts('cache;desc="hit", db;dur=oops, hop;dur=inf, model;desc="v2";dur=2') == {"model": 2.0}
    assert parse_parts(None) == {}


@pytest.mark.parametrize("header, parts", [
    ("db;dur=53, app;dur=47.2", {"db": 53.0, "app": 47.2}),
    ('cache;desc="Cache Read";dur=23.2', {"cache": 23.2}),
    ("miss, dc;desc=atl", {}),  # metrics without a duration say nothing about time
    ("model;dur=abc, hop;DUR=0.5", {"hop": 0.5}),
    ("", {}),
])
def test_server_timing_header_parsing(header, parts):
    assert parse_parts(header) == parts
