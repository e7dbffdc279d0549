"""Talking to a running system from a notebook: one request, steady traffic, an update under
traffic — thin wrappers over `archlab.measure` and `archlab.compare.measurements`, so the notebooks
measure exactly as `archlab compare` does and print byte-stable lines nbval can check."""

from __future__ import annotations

from shared_model import example_record

from patterns import http

from ..compare.budget import QUICK
from ..compare.measurements import (
    USER_PATIENCE_S,
    describe_answers,
    measure_update,
    predict_load,
    served_version,
)
from ..measure.load import LoadResult
from ..measure.stats import summarize
from ..report import Update
from .display import money


def ask(system, record: dict | None = None) -> dict:
    """One house through the front's JSON endpoint, as a user's script would send it: the answer."""
    request = system.prediction_requests(record or example_record())[0]
    response = http.call(request.method, request.url, json=request.body, timeout=10)
    body = response.json()
    answer = {"status": response.status, "architecture": body.get("architecture")}
    if "model_version" in body:
        answer.update(model_version=body["model_version"], price=money(body["predictions"][0]))
    if "tickets" in body:
        answer["tickets"] = len(body["tickets"])
    return answer


def user_sees(system, record: dict | None = None) -> str:
    """What one user gets right now (status and message), in the comparison report's words."""
    return describe_answers(system, record or example_record(), timeout=USER_PATIENCE_S)


def traffic(system, requests_count: int, record: dict | None = None) -> LoadResult:
    """`requests_count` sequential requests (at most 30 s) through the front; every one recorded."""
    return predict_load(system, record or example_record(), count=requests_count, duration_s=30,
                        extract=served_version, progress=False)


def describe_traffic(result: LoadResult) -> str:
    """The counts of a run (checked by nbval) and the percentiles the chart marks (printed with their
    unit, so nbval masks them: they vary from run to run)."""
    served = sorted({s.value for s in result.samples if s.ok})
    counts = f"{len(result.failures)} of {len(result.samples)} requests failed; served by {', '.join(served) or 'nothing'}"
    latency = summarize(result.latencies_ms())
    if latency.n == 0:
        return counts
    return f"{counts}; latency p50 {latency.p50:.2f} ms, p95 {latency.p95:.2f} ms"


def update_under_traffic(system, version: str, start_from: str | None = None) -> tuple[Update, dict]:
    """The system's model update to `version` while steady traffic flows, exactly as `archlab compare`
    measures it; returns the update's timeline and the system's own report of it.

    `start_from`: the version the update is meant to start from. A cell run a second time finds
    the system already on `version`, and would show an update from it to itself; with
    `start_from`, the system is first put back on it (`system.rollback`, not measured), so the cell
    shows the same update every time it runs. Without it, an update to the version already served
    everywhere is refused with a message saying how to start over (a system that cannot go back,
    such as streaming after a signed rollback pin, shows its update once per launch)."""
    served = system.served_versions()
    if start_from is not None and any(seen != start_from for seen in served):
        system.rollback(start_from)
    elif start_from is None and all(seen == version for seen in served):
        raise RuntimeError(f"every front already serves {version}: an update to it would show nothing. Re-run the "
                           f"launch cell (it replaces the system with a fresh one), then the cells after it")
    return measure_update(system, QUICK, example_record(), version)


def describe_update(update: Update) -> str:
    """The lesson of an update: the versions users saw, whether any request failed and how many
    (the count varies with timing, so nbval masks it; "some" against "no" is the lesson it checks)
    and whether it converged."""
    seen = sorted({p.version for p in update.timeline if p.version})
    done = "every answer since carries it" if update.converged_s is not None else "it never served everyone"
    failed = "no request failed" if update.failed == 0 else f"some requests failed: {update.failed} of the {len(update.timeline)} sent"
    return f"versions served during the update: {', '.join(seen)}; {failed}; {update.to_version} reached users and {done}"
