"""Measuring one running architecture: latency, a model update under traffic, and faults.

Every figure comes from requests actually sent to the running system through its front door
(`POST /predict`), with the load generator of `archlab.measure`.
"""

from __future__ import annotations

import time

import requests

from ..measure.load import LoadResult, run_load, start_load
from ..measure.timeline import converged_at
from ..report import Event, Fault, Latency, Update
from .budget import Budget
from .subjects import FROM_VERSION, TO_VERSION, Subject

JSON_HEADERS = {"Accept": "application/json"}
SETTLE_S = 0.5  # traffic kept on v2 after an update returns, to be sure it stays there


def served_version(response: requests.Response) -> str:
    return response.json()["model_version"]


def predict_load(system, record: dict, **bounds) -> LoadResult:
    return run_load(system.url + "/predict", method="POST", json=record, **bounds)


def measure_latency(subject: Subject, system, budget: Budget, record: dict) -> Latency:
    if subject.answers_later:
        system.time_to_prediction(record)  # warm-up: the worker loads its model on the first pass
        samples = [system.time_to_prediction(record) * 1000.0 for _ in range(budget.async_samples)]
        return Latency(
            f"submission until the prediction is stored, worker every {budget.async_every_s:g} s "
            f"(the schedule interval dominates)", subject.latency_floor, samples)
    predict_load(system, record, count=budget.warmup_requests, duration_s=10, progress=False)
    result = predict_load(system, record, count=budget.latency_requests, duration_s=budget.latency_seconds,
                          extract=served_version, label=f"{subject.name}: latency")
    return Latency.from_load(result, f"POST /predict through the front, {result.mode}",
                             subject.latency_floor)


def _wait_converged(run, version: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if converged_at(run.snapshot(), version) is not None:
            time.sleep(SETTLE_S)
            if converged_at(run.snapshot(), version) is not None:
                return
        time.sleep(0.05)


def measure_update(subject: Subject, system, budget: Budget, record: dict) -> tuple[Update, dict]:
    """Steady traffic, then the update v1 -> v2; 'v2 ready' is the moment the update is triggered
    (v2 is trained and signed in the store), so the cost includes whatever the architecture must
    rebuild, restart or re-run before users see v2."""
    if subject.answers_later:  # watch one stored request's served prediction
        url, method, body, extract = system.prepare_served_request(record), "GET", None, _async_version
    else:
        url, method, body, extract = system.url + "/predict", "POST", record, served_version
    run = start_load(url, method=method, json=body, headers=JSON_HEADERS, extract=extract,
                     count=1_000_000, duration_s=budget.update_timeout_s + 30,
                     interval_s=budget.update_interval_s, timeout_s=3, progress=False)
    try:
        time.sleep(SETTLE_S)  # a baseline of answers from v1
        started = run.clock()
        outcome = subject.update(system, TO_VERSION)
        _wait_converged(run, TO_VERSION, budget.update_timeout_s)
    finally:
        run.stop()
    update = Update.from_samples(
        run.result().samples, from_version=FROM_VERSION, to_version=TO_VERSION,
        started_s=started, ready_s=started, restarted=outcome.restarted, rebuilt=outcome.rebuilt,
        events=[Event(started + seconds, label) for label, seconds in outcome.steps],
    )
    return update, outcome.report


def _async_version(response: requests.Response) -> str:
    return response.json()["prediction"]["model_version"]


def describe_answer(system, record: dict, timeout: float = 5.0) -> str:
    """One request, described as the user would: status and the message the app gave.

    `timeout` must outlast the front's own wait for its back end, or a slow 503 reads as no answer."""
    try:
        response = requests.post(system.url + "/predict", json=record, headers=JSON_HEADERS, timeout=timeout)
    except requests.RequestException as exc:
        return f"no answer at all ({type(exc).__name__}): the app itself is down"
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 200:
        return f"200: predictions as usual, model {body.get('model_version')}"
    if response.status_code == 202:
        return "202: the request is accepted and stored; its prediction waits until the job runs again"
    return f"{response.status_code}: {body.get('message') or body.get('error') or response.reason}"


def measure_faults(subject: Subject, system, budget: Budget, record: dict) -> dict[str, Fault]:
    faults = {}
    for component in subject.faults:
        name = system.front_name if component == "web" else component
        system.stop_component(name)
        try:
            result = predict_load(system, record, count=budget.fault_requests, duration_s=budget.fault_seconds,
                                  timeout_s=3, progress=False)
            user_sees = describe_answer(system, record)
        finally:
            system.start_component(name)
        _wait_answering(system, record)
        faults[name] = Fault.from_load(name, result, user_sees)
    return faults


def _wait_answering(system, record: dict, timeout_s: float = 30.0) -> None:
    """After a component is back, the next fault starts from a system that answers again."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if requests.post(system.url + "/predict", json=record, timeout=3).status_code < 300:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{system.architecture} did not answer within {timeout_s:g} s after a fault was repaired")
