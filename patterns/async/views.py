"""Routes of the async architecture: the status page, the dashboard, review, re-run and "score now".

HTML for people (`/requests/<id>`, `/dashboard`, its forms), JSON for programs (the same status
URL with `Accept: application/json`, and `/api/async/...`). Bad input raises shared_model's
ValidationError with one error per field, which the front turns into 422; a database that cannot
be reached becomes BackendUnavailable, which the front turns into 503.

Everything but a user's own status page is for reviewers and the admin (`patterns.web.auth`): the
dashboard shows predictions before review. The front never scores: "score now" queues a request
that a worker answers, and the caller may wait for that pass's stats; a shadow pass of a candidate
version is the same request with `shadow`, answered with its counts and verdict (`shadow.py`). No
route here reads the shadow answers themselves: a user is only ever given a served prediction.
"""

from __future__ import annotations

import csv
import functools
import io
import time
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, g, jsonify, redirect, render_template, request, url_for

from shared_model import ValidationError

from patterns.json_body import json_or_none
from patterns.web.auth import ADMIN, REVIEWER, form_protected, json_only, signed_in
from patterns.web.backend import BackendUnavailable
from patterns.web.errors import wants_json

from . import shadow
from .backend import DATABASE_DOWN
from .chart import histogram_svg
from .public_status import iso, public_status
from .schema import REQUEST_STATUSES, REVIEW_STATUSES
from .store import DATABASE_DOWN_ERRORS, Filters

bp = Blueprint("async", __name__, template_folder="templates")

LISTING_LIMIT = 200
WAIT_SECONDS = 60.0  # how long POST /api/async/score waits for the worker by default
MAX_WAIT_SECONDS = 600.0
WAIT_POLL_SECONDS = 0.05
WORKER_GRACE_SECONDS = 10.0  # a worker process that is starting has this long to show up
NO_WORKER_NOW = "no scoring worker is running"
START_ONE = "start one (`archlab score --every 5`, or `archlab serve async`) and ask again"
REPORT_COLUMNS = ("request_id", "request_status", "submitted_at", "prediction_id", "run_id", "model_version",
                  "value", "created_at", "review_status", "reviewed_by", "reviewed_at", "gate_reason", "current")


def backend():
    return current_app.extensions["archlab.backend"]


def database(view):
    """Turn a lost database connection into the front's 503 instead of a 500."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except DATABASE_DOWN_ERRORS as exc:
            current_app.logger.warning("database error on %s: %s", request.path, exc)
            raise BackendUnavailable(DATABASE_DOWN) from exc

    return wrapped


def _error(field: str, message: str, expected: str, got) -> ValidationError:
    return ValidationError([{"field": field, "message": message, "expected": expected, "got": got}])


def _choice(values: dict, field: str, choices) -> str | None:
    value = values.get(field) or None
    if value is not None and value not in choices:
        raise _error(field, f"unknown {field} {value!r}", f"one of {list(choices)}", value)
    return value


def _filters(values) -> Filters:
    return Filters(
        status=_choice(values, "status", REQUEST_STATUSES),
        version=values.get("version") or None,
        review=_choice(values, "review", REVIEW_STATUSES),
    )


def _ids(raw, field: str) -> list[int]:
    try:
        ids = [int(x) for x in raw]
    except (TypeError, ValueError):
        raise _error(field, "must be a list of integer ids", "a list of integers", raw) from None
    if not ids:
        raise _error(field, "select at least one", "a non-empty list of ids", raw)
    return ids


# -- the actions, shared by the JSON API and the dashboard forms ------------------------------


def review(values: dict, ids_raw) -> int:
    """Validate or reject predictions in the signed-in actor's name."""
    decision = _choice(values, "decision", REVIEW_STATUSES[1:])
    if decision is None:
        raise _error("decision", "is required", "validated or rejected", None)
    return backend().store.review(_ids(ids_raw, "prediction_ids"), decision, g.actor.name)


def _known_version(values: dict, field: str) -> str:
    known = backend().models.versions()
    version = values.get(field)
    if version not in known:
        raise _error(field, f"unknown model version {version!r}", f"one of {known}", version)
    return version


def rerun(values: dict, ids_raw) -> tuple[int, int]:
    """Queue a re-run; `ids_raw` None means every request."""
    version = _known_version(values, "version")
    ids = None if ids_raw is None else _ids(ids_raw, "request_ids")
    return backend().store.rerun(version, ids, source="dashboard", actor=g.actor.name)


def _wait_seconds(raw, field: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 < raw <= MAX_WAIT_SECONDS:
        raise _error(field, "must be a number of seconds", f"more than 0 and at most {MAX_WAIT_SECONDS:g}", raw)
    return float(raw)


def score_answer(row: dict) -> dict:
    """A "score now" request as JSON: the pass's stats at the top level once a worker finished it;
    a shadow pass's counts and verdict under `shadow` (never a shadow price)."""
    status_url = url_for("async.api_score_request", request_id=row["id"])
    answer = {"id": row["id"], "status": row["status"], "status_url": status_url,
              "requested_by": row["requested_by"], "requested_at": iso(row["requested_at"]),
              "worker": row["worker"], "finished_at": iso(row["finished_at"]), "error": row["error"]}
    if row["shadow_version"] is not None:
        answer["shadow"] = shadow.summary(backend().store, row)
    return {**(row["stats"] or {}), **answer}


def wait_for_score(request_id: int, seconds: float, withdraw: bool) -> dict:
    """Poll until a worker finished the request; 503 (BackendUnavailable) when none did in time.

    A worker that is just starting gets WORKER_GRACE_SECONDS to show up; after that, with no
    worker alive, the answer is 503 at once, and `withdraw` takes the request back off the queue.
    """
    store = backend().store
    started = time.monotonic()
    while True:
        row = store.score_request(request_id)
        if row["status"] == "done":
            return score_answer(row)
        if row["status"] == "failed":
            raise BackendUnavailable(f"score request {request_id}: {row['error']}")
        waited = time.monotonic() - started
        if waited >= WORKER_GRACE_SECONDS and not store.live_workers():
            if row["status"] == "running":
                raise BackendUnavailable(f"score request {request_id}: the worker running it stopped; its rows "
                                         "return to the queue when their lease expires")
            if not withdraw:
                raise BackendUnavailable(f"{NO_WORKER_NOW}; score request {request_id} stays queued until one starts")
            if store.withdraw_score_request(request_id, f"withdrawn: {NO_WORKER_NOW}"):
                raise BackendUnavailable(f"{NO_WORKER_NOW}, so the request was withdrawn; {START_ONE}")
        if waited >= seconds:
            where = "waits for a worker" if row["status"] == "queued" else f"is still running on {row['worker']}"
            raise BackendUnavailable(f"score request {request_id} {where} after {seconds:g} s; "
                                     f"ask {url_for('async.api_score_request', request_id=request_id)} later")
        time.sleep(WAIT_POLL_SECONDS)


# -- JSON --------------------------------------------------------------------------------------


def _json_body() -> dict:
    body = json_or_none(request.get_data())
    if not isinstance(body, dict):
        abort(400, description="expected a JSON object")
    return body


@bp.post("/api/async/review")
@signed_in(REVIEWER, ADMIN)
@json_only
@database
def api_review():
    body = _json_body()
    return jsonify(updated=review(body, body.get("prediction_ids")))


@bp.post("/api/async/rerun")
@signed_in(REVIEWER, ADMIN)
@json_only
@database
def api_rerun():
    body = _json_body()
    run_id, queued = rerun(body, body.get("request_ids"))
    return jsonify(run_id=run_id, queued=queued)


@bp.post("/api/async/score")
@signed_in(REVIEWER, ADMIN)
@json_only
@database
def api_score():
    """Ask a worker for a scoring pass, or with `{"shadow": VERSION}` for a shadow pass of a
    candidate version (`shadow.py`). `{"wait": true}` (the default) answers the pass's stats once
    it ran (`timeout` seconds at most, else 503); `{"wait": false}` answers 202 at once."""
    body = _json_body()
    wait = body.get("wait", True)
    if not isinstance(wait, bool):
        raise _error("wait", "must be true or false", "a boolean", wait)
    seconds = _wait_seconds(body.get("timeout", WAIT_SECONDS), "timeout")
    candidate = None if body.get("shadow") is None else _known_version(body, "shadow")
    store = backend().store
    request_id = store.request_scoring(g.actor.name, shadow_version=candidate)
    if not wait:
        return jsonify(score_answer(store.score_request(request_id))), 202
    return jsonify(wait_for_score(request_id, seconds, withdraw=True))


@bp.get("/api/async/score/<int:request_id>")
@signed_in(REVIEWER, ADMIN)
@database
def api_score_request(request_id: int):
    """One "score now" request; `?wait=SECONDS` waits for its stats as POST does."""
    row = backend().store.score_request(request_id)
    if row is None:
        abort(404, description=f"there is no score request {request_id}")
    if "wait" not in request.args:
        return jsonify(score_answer(row))
    try:
        seconds = float(request.args["wait"])
    except ValueError:
        seconds = request.args["wait"]
    return jsonify(wait_for_score(request_id, _wait_seconds(seconds, "wait"), withdraw=False))


@bp.get("/api/async/runs/<int:run_id>")
@signed_in(REVIEWER, ADMIN)
@database
def api_run(run_id: int):
    """A submission's or re-run's predictions by review status (what the review gate rejected)."""
    reviews = backend().store.run_reviews(run_id)
    if reviews is None:
        abort(404, description=f"there is no run {run_id}")
    return jsonify(run_id=run_id, reviews=reviews)


@bp.get("/api/async/schedule")
@signed_in(REVIEWER, ADMIN)
@database
def api_schedule():
    """The running workers' schedules and next scheduled passes (UTC), the soonest first."""
    return jsonify([{**row, "next_run": iso(row["next_run"])} for row in backend().store.schedules()])


@bp.get("/api/async/requests")
@signed_in(REVIEWER, ADMIN)
@database
def api_requests():
    rows = backend().store.listing(_filters(request.args), limit=LISTING_LIMIT)
    return jsonify([{k: iso(v) if k == "submitted_at" else v for k, v in row.items()} for row in rows])


# -- pages -------------------------------------------------------------------------------------


@bp.get("/requests/<int:request_id>")
@database
def request_status(request_id: int):
    found = backend().store.request(request_id)
    if found is None:
        abort(404, description=f"there is no request {request_id}")
    answer = public_status(found)
    if wants_json():
        return jsonify(answer)
    return render_template("async_request.html", answer=answer)


@bp.get("/dashboard")
@signed_in(REVIEWER, ADMIN)
@database
def dashboard():
    filters = _filters(request.args)
    store = backend().store
    return render_template(
        "async_dashboard.html",
        filters=filters,
        rows=store.listing(filters, limit=LISTING_LIMIT),
        limit=LISTING_LIMIT,
        counts=store.counts(),
        versions=store.versions(),
        model_versions=backend().models.versions(),
        chart=histogram_svg(store.current_values(filters)),
        statuses=REQUEST_STATUSES,
        reviews=REVIEW_STATUSES,
        query=urlencode({k: v for k, v in request.args.items() if k in ("status", "version", "review") and v}),
        message=request.args.get("message"),
        actor=g.actor,
        actions=store.recent_actions(limit=10),
        stuck=store.stuck_claims(),
        schedules=store.schedules(),
        rejected=store.listing(Filters(review="rejected"), limit=LISTING_LIMIT),
    )


def _selected(part: int) -> list[str]:
    """Ids from the dashboard's row checkboxes ("request_id:prediction_id"): part 0 or 1."""
    return [pick for value in request.form.getlist("row") if (pick := value.partition(":")[::2][part])]


def _back(message: str):
    return redirect(url_for("async.dashboard", message=message), code=303)


@bp.post("/dashboard/review")
@signed_in(REVIEWER, ADMIN)
@form_protected
@database
def form_review():
    updated = review(request.form, _selected(1))
    return _back(f"{updated} predictions marked {request.form['decision']}")


@bp.post("/dashboard/rerun")
@signed_in(REVIEWER, ADMIN)
@form_protected
@database
def form_rerun():
    ids = None if request.form.get("scope") == "all" else _selected(0)
    run_id, queued = rerun(request.form, ids)
    return _back(f"run {run_id}: {queued} requests queued for {request.form['version']}")


@bp.post("/dashboard/score")
@signed_in(REVIEWER, ADMIN)
@form_protected
@database
def form_score():
    store = backend().store
    request_id = store.request_scoring(g.actor.name)
    if not store.live_workers():
        return _back(f"scoring requested (#{request_id}), but no worker is running: it runs when one starts")
    return _back(f"scoring requested (#{request_id}): a worker runs it within a second")


@bp.get("/dashboard/report.csv")
@signed_in(REVIEWER, ADMIN)
@database
def report():
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=REPORT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in backend().store.history(_filters(request.args)):
        writer.writerow({k: iso(v) if k.endswith("_at") else v for k, v in row.items()})
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=archlab-async-report.csv"})
