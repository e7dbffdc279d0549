"""Routes of the async architecture: the status page, the dashboard, review, re-run and the job.

HTML for people (`/requests/<id>`, `/dashboard`, its forms), JSON for programs (the same status
URL with `Accept: application/json`, and `/api/async/...`). Bad input raises shared_model's
ValidationError with one error per field, which the front turns into 422; a database that cannot
be reached becomes BackendUnavailable, which the front turns into 503.
"""

from __future__ import annotations

import csv
import functools
import io
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, url_for

from shared_model import ValidationError

from patterns.web.backend import BackendUnavailable
from patterns.web.errors import wants_json

from .backend import DATABASE_DOWN
from .chart import histogram_svg
from .job import ScoringJob
from .schema import REQUEST_STATUSES, REVIEW_STATUSES
from .serving import iso, public_status
from .store import DATABASE_DOWN_ERRORS, Filters

bp = Blueprint("async", __name__, template_folder="templates")

LISTING_LIMIT = 200
REVIEWER_MAX_CHARS = 128
REPORT_COLUMNS = ("request_id", "request_status", "submitted_at", "prediction_id", "run_id", "model_version",
                  "value", "created_at", "review_status", "reviewed_by", "reviewed_at", "current")


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
    decision = _choice(values, "decision", REVIEW_STATUSES[1:])
    if decision is None:
        raise _error("decision", "is required", "validated or rejected", None)
    reviewer = str(values.get("reviewer") or "").strip()
    if not reviewer or len(reviewer) > REVIEWER_MAX_CHARS:
        raise _error("reviewer", "is required (who reviewed)", f"a name of 1 to {REVIEWER_MAX_CHARS} characters",
                     values.get("reviewer"))
    return backend().store.review(_ids(ids_raw, "prediction_ids"), decision, reviewer)


def rerun(values: dict, ids_raw) -> tuple[int, int]:
    """Queue a re-run; `ids_raw` None means every request."""
    known = backend().models.versions()
    version = values.get("version")
    if version not in known:
        raise _error("version", f"unknown model version {version!r}", f"one of {known}", version)
    ids = None if ids_raw is None else _ids(ids_raw, "request_ids")
    return backend().store.rerun(version, ids, source="dashboard")


def score() -> dict:
    b = backend()
    job = ScoringJob(b.store, b.models, default_version=b.settings.model_version)
    return job.run_once().as_dict()


# -- JSON --------------------------------------------------------------------------------------


def _json_body() -> dict:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        abort(400, description="expected a JSON object")
    return body


@bp.post("/api/async/review")
@database
def api_review():
    body = _json_body()
    return jsonify(updated=review(body, body.get("prediction_ids")))


@bp.post("/api/async/rerun")
@database
def api_rerun():
    body = _json_body()
    run_id, queued = rerun(body, body.get("request_ids"))
    return jsonify(run_id=run_id, queued=queued)


@bp.post("/api/async/score")
@database
def api_score():
    return jsonify(score())


@bp.get("/api/async/requests")
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
    )


def _selected(part: int) -> list[str]:
    """Ids from the dashboard's row checkboxes ("request_id:prediction_id"): part 0 or 1."""
    return [pick for value in request.form.getlist("row") if (pick := value.partition(":")[::2][part])]


def _back(message: str):
    return redirect(url_for("async.dashboard", message=message), code=303)


@bp.post("/dashboard/review")
@database
def form_review():
    updated = review(request.form, _selected(1))
    return _back(f"{updated} predictions marked {request.form['decision']}")


@bp.post("/dashboard/rerun")
@database
def form_rerun():
    ids = None if request.form.get("scope") == "all" else _selected(0)
    run_id, queued = rerun(request.form, ids)
    return _back(f"run {run_id}: {queued} requests queued for {request.form['version']}")


@bp.post("/dashboard/score")
@database
def form_score():
    return _back(f"scoring job: {score()['claimed']} requests scored")


@bp.get("/dashboard/report.csv")
@database
def report():
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=REPORT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in backend().store.history(_filters(request.args)):
        writer.writerow({k: iso(v) if k.endswith("_at") else v for k, v in row.items()})
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=archlab-async-report.csv"})
