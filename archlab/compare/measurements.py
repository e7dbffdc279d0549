"""Measuring one running system through the System contract: latency, a model update under
traffic, faults, its own floors and figures. Nothing here knows an architecture by name: what
differs is read from the system (`capabilities`, `served_requests()`, `faults()`) and the optional
protocols it satisfies (`patterns.launch.protocols`).

Every figure comes from requests actually sent to the running system through its front door, with
the load generator of `archlab.measure`.
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor

from patterns import http
from patterns.launch.contract import ServedRequest
from patterns.launch.protocols import AnswersLater, PredictsInClient
from patterns.launch.system import wait_answering

from ..measure.load import LoadResult, Target, run_load, start_load
from ..measure.throughput import measure_throughput
from ..measure.timeline import converged_at
from ..report import Event, Fault, Latency, Update
from .budget import Budget
from .watch import ProcessWatch

# Longer than any front waits for its back end (the AMQP reply timeout is 5 s): the user's answer, not ours.
USER_PATIENCE_S = 15.0
FAULT_USERS = 8  # users in flight at each front instance while a component is down


def served_version(answer: http.Answer) -> str:
    return answer.json()["model_version"]


def predict_load(system, record: dict, **bounds) -> LoadResult:
    """A user's prediction request through the first front, bounded by `bounds` (see `archlab.measure.load`)."""
    return run_load(prediction_targets(system, record)[:1], **bounds)


def prediction_targets(system, record: dict) -> list[Target]:
    """A user's prediction request of `record` to each front instance, as the system says it is asked."""
    return [Target(r.url, r.method, r.body) for r in system.prediction_requests(record)]


def measure_latency(system, budget: Budget, record: dict) -> Latency:
    floor = system.capabilities.latency_floor
    if isinstance(system, AnswersLater):
        system.time_to_answer(record)  # warm-up: the worker loads its model on the first pass
        return Latency.from_answers([system.answer_time(record) for _ in range(budget.async_samples)],
                                    "submission until the answer is stored (the worker's schedule interval dominates)",
                                    floor)
    predict_load(system, record, count=budget.warmup_requests, duration_s=10, progress=False)
    result = predict_load(system, record, count=budget.latency_requests, duration_s=budget.latency_seconds,
                          extract=served_version, label=f"{system.architecture}: latency")
    return Latency.from_load(result, f"POST /predict through the front, {result.mode}", floor)


def measure_concurrency(system, budget: Budget, record: dict) -> list[dict]:
    """POST /predict spread over every front instance by 1, 8, 32... clients in flight (bounded in
    count and seconds); none for a system that answers later (its figure is the job's rows/s) or
    whose app predicts in the client (no server answers a prediction)."""
    if isinstance(system, (AnswersLater, PredictsInClient)):
        return []
    targets = prediction_targets(system, record)
    return [measure_throughput(targets, concurrency, count=budget.throughput_requests,
                               duration_s=budget.throughput_seconds, json=record).as_dict()
            for concurrency in budget.concurrencies]


def _extractor(served: ServedRequest):
    return lambda answer: served.version_in(answer.json())


def wait_converged(run, version: str, budget: Budget) -> None:
    """Until every answer of `run` comes from `version` and stays so for `budget.settle_s`, or the
    update timeout."""
    deadline = time.monotonic() + budget.update_timeout_s
    while time.monotonic() < deadline:
        if converged_at(run.snapshot(), version) is not None:
            time.sleep(budget.settle_s)
            if converged_at(run.snapshot(), version) is not None:
                return
        time.sleep(0.05)


def measure_update(system, budget: Budget, record: dict, to_version: str) -> tuple[Update, dict]:
    """Steady traffic on every front instance, then `system.update_model(to_version)`.

    The clock starts when the update is triggered (the version is trained and signed in the store);
    its build steps end at `ready_s`, and the cost is what remains until every answer carries it.
    Returns the timeline record and the system's own report (as a dict)."""
    served = system.served_requests(record)
    from_versions = sorted({v for v in system.served_versions() if v})
    targets = [Target(s.url, s.method, s.body) for s in served]
    extract = _extractor(served[0])  # every instance answers in the same shape
    run = start_load(targets, extract=extract, count=1_000_000, duration_s=budget.update_timeout_s + 30,
                     interval_s=budget.update_interval_s, timeout_s=3, progress=False)
    try:
        time.sleep(budget.settle_s)  # a baseline of answers from the old version
        started = run.clock()
        with ProcessWatch(system) as watch:
            report = system.update_model(to_version)
            wait_converged(run, to_version, budget)
    finally:
        run.stop()
    events, at = [], started
    for step in report.steps:
        at += step.seconds
        events.append(Event(at, step.label))
    update = Update.from_samples(
        run.result().samples, from_version=", ".join(from_versions) or "none", to_version=to_version,
        started_s=started, ready_s=started + report.build_seconds,
        restarted=list(report.restarted), rebuilt=list(report.rebuilt), events=events,
        strategy=report.strategy, better_strategy=report.better_strategy, build_s=report.build_seconds,
        started=list(report.started), details=report.details,
        pids_seen=watch.pids_seen, extra_rss_mib=watch.extra_rss_mib,
    )
    return update, report.as_dict()


def describe_answers(system, record: dict, timeout: float = USER_PATIENCE_S) -> str:
    """One request to each front instance, described as its user would see it (instances named
    when there are several)."""
    requests = system.prediction_requests(record)
    if len(requests) == 1:
        return describe_answer(requests[0], timeout)
    return "; ".join(f"instance {i}: {describe_answer(request, timeout)}" for i, request in enumerate(requests, 1))


def describe_answer(request: ServedRequest, timeout: float = USER_PATIENCE_S) -> str:
    """One request, described as the user would: status and the message the app gave.

    `timeout` must outlast the front's own wait for its back end, or a slow 503 reads as no answer."""
    try:
        answer = http.call(request.method, request.url, json=request.body, timeout=timeout)
    except http.NoAnswer as exc:
        return f"no answer at all ({exc}): the app itself is down"
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if answer.status == 200:
        return f"200: predictions as usual, model {body.get('model_version')}"
    if answer.status == 202:
        return "202: the request is accepted and stored; its answer waits until the job runs again"
    return f"{answer.status}: {body.get('message') or body.get('error') or 'no message'}"


def measure_faults(system, budget: Budget, record: dict) -> dict[str, Fault]:
    """Each fault the system declares: taken down, traffic sent to every front instance, brought
    back, recovery awaited. An external component is reported, never stopped."""
    faults = {}
    targets = prediction_targets(system, record)
    for spec in system.faults():
        if spec.component == system.second_app_name:  # another app: its users are not the front's
            continue
        if not spec.breakable:
            faults[spec.component] = Fault.external(spec.component, spec.how)
            continue
        system.stop_component(spec.component)
        try:
            with ThreadPoolExecutor(1) as described:  # what a user reads, asked while the load runs
                user_sees = described.submit(describe_answers, system, record)
                # the same number of requests to each instance (a refused one is quick and would otherwise
                # take most of a shared count), several users at once (a slow failure costs the run one
                # wait, not one per request); patience beyond the front's own wait: a slow 503 is an answer
                runs = [run_load([target], count=budget.fault_requests, duration_s=budget.fault_seconds,
                                 concurrency=min(budget.fault_requests, FAULT_USERS), timeout_s=USER_PATIENCE_S,
                                 progress=False) for target in targets]
                result = dataclasses.replace(runs[0], samples=[s for run in runs for s in run.samples])
                user_sees = user_sees.result()
        finally:
            system.start_component(spec.component)
        wait_answering(system)
        faults[spec.component] = Fault.from_load(spec.component, result, user_sees, spec.how)
    return faults


def app_carries_model(system) -> bool:
    """Ask the running front whether scikit-learn is loaded in its own process (measured, not typed)."""
    status = http.call_json("GET", system.url + "/status", timeout=5)
    return bool(status["runtime"]["scikit_learn_loaded"])
