"""The JSON side of the front: POST /predict, GET /example, GET /health, GET /status.

Each answer to POST /predict says where its time went in a `Server-Timing` header: `validation`
(parsing and validating the body), the parts its back end measured (`model`; for the model API
also `hop`, with the service's own validation added to `validation`; async: `database`), `total`.
"""

from __future__ import annotations

import os
import sys

from flask import Blueprint, abort, current_app, g, jsonify, request

from shared_model import example_record, imputed_fields, validate_batch, validate_record
from shared_model.keys import signing_mode

from patterns.json_body import MalformedBody, parse_json
from patterns.server_timing import HEADER as SERVER_TIMING
from patterns.server_timing import ServerTiming

from .backend import Accepted, timed_predict
from .runtime import loaded_distributions

bp = Blueprint("api", __name__)


def backend():
    return current_app.extensions["archlab.backend"]


@bp.get("/health")
def health():
    """200 while the process answers, whatever the model back end's state (that is /status)."""
    return jsonify(status="ok", architecture=backend().architecture)


@bp.get("/status")
def status():
    return jsonify(architecture=backend().architecture, runtime=runtime(), signing=signing_mode(), **backend().status())


def runtime() -> dict:
    """What this app process carries: the coupling fact `archlab compare` reads instead of assuming."""
    return {"scikit_learn_loaded": "sklearn" in sys.modules, "pid": os.getpid(), "distributions": loaded_distributions()}


@bp.get("/example")
def example():
    return jsonify(example_record())


@bp.post("/predict")
def predict():
    """One house (an object) or several (a list) -> prices, model version, architecture, time,
    and per house the fields it did not give, which the model imputed (`imputed`)."""
    timing = g.server_timing = ServerTiming()
    with timing.part("validation"):
        records = cleaned_records(read_json())
    front_backend = backend()
    result, elapsed_ms = timed_predict(front_backend, records)
    timing.add_all(result.timing)
    architecture = front_backend.architecture
    imputed = [imputed_fields(record) for record in records]
    if isinstance(result, Accepted):
        return jsonify(architecture=architecture, tickets=result.tickets, imputed=imputed), 202
    return jsonify(
        architecture=architecture,
        model_version=result.model_version,
        predictions=result.values,
        imputed=imputed,
        elapsed_ms=round(elapsed_ms, 3),
    )


@bp.after_request
def add_server_timing(response):
    """The Server-Timing header on every answer to POST /predict, a refusal (422, 503) included."""
    timing = g.pop("server_timing", None)
    if timing is not None:
        response.headers[SERVER_TIMING] = timing.header()
    return response


def read_json():
    """The parsed body, whatever the Content-Type header says (curl users forget it)."""
    try:
        return parse_json(request.get_data())
    except MalformedBody as exc:
        abort(400, description=str(exc))


def cleaned_records(body) -> list[dict]:
    """Validated records; a ValidationError (per field, or per row for a list) becomes 422."""
    if isinstance(body, dict):
        return [validate_record(body)]
    if isinstance(body, list) and body:
        batch = validate_batch(body)
        batch.raise_if_invalid()
        return [record for _, record in batch.valid]
    abort(400, description="expected a house as a JSON object, or a non-empty list of them (see GET /example)")
