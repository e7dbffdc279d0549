"""The prediction step both transports share: a JSON payload in, a status and a JSON body out.

HTTP and RabbitMQ differ only in how the bytes travel; validation, prediction and the shape of the
answer are decided here once, so the two transports cannot drift apart. Errors have the front's
shape, `{"error": title, "message": ..., "errors"|"rows": ...}`, so a client passes them on as is.
A prediction's reply also says what `validation` and the `model` took, which each transport sends
back with the answer (Server-Timing), so the front can tell the model's time from the hop's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from http import HTTPStatus

from shared_model import ValidationError, imputed_fields, validate_batch

from patterns.json_body import MalformedBody, parse_json
from patterns.model_cost import predict as predict_at_cost

NOT_HOUSES = "expected a JSON object (one house) or a non-empty list of objects"


@dataclass(frozen=True)
class Reply:
    """What to answer: an HTTP-style status and a JSON-able body; `timing`: milliseconds per
    Server-Timing part (`validation`, `model`) of a prediction."""

    status: int
    body: dict = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict, compare=False)


def error_reply(status: int, message: str, title: str | None = None, **details) -> Reply:
    """An error in the front's shape; its title is `title` (the front's own, as for bad houses) or
    else the status's standard phrase ("Bad Request")."""
    return Reply(status, {"error": title or HTTPStatus(status).phrase, "message": message, **details})


def answer_body(model, data: bytes, cost_ms: float = 0.0) -> Reply:
    """The reply to a request body as it came off the wire (HTTP or a queue message)."""
    started = time.perf_counter()  # parsing counts as validation
    try:
        payload = parse_json(data)
    except MalformedBody as exc:
        return error_reply(400, str(exc))
    return predict_payload(model, payload, cost_ms, started)


def predict_payload(model, payload, cost_ms: float = 0.0, started: float | None = None) -> Reply:
    """Validate one house (a JSON object) or a list of houses, then predict with `model` after
    `cost_ms` of CPU (MODEL_COST_MS, see `patterns.model_cost`).

    `model` is None while the service is still loading it. A single house takes the model's fast
    single-record path; a list is predicted in one vectorised call. `started` (`time.perf_counter`)
    is when the transport began decoding the payload, which counts as validation.
    """
    started = time.perf_counter() if started is None else started
    if model is None:
        return error_reply(503, "the model is not loaded yet; retry when /ready answers 200")
    if isinstance(payload, dict):
        records, many = [payload], False
    elif isinstance(payload, list) and payload:
        records, many = payload, True
    else:
        return error_reply(400, NOT_HOUSES)
    checked = validate_batch(records)
    if checked.invalid:
        problem = ValidationError(row_errors=checked.invalid) if many else ValidationError(checked.invalid[0])
        return error_reply(422, str(problem), title=problem.title, **problem.as_json())
    cleaned = [record for _, record in checked.valid]
    validation_ms = (time.perf_counter() - started) * 1000.0
    predictions, model_ms = predict_at_cost(model, cleaned, cost_ms)
    return Reply(200, {
        "predictions": predictions, "model_version": model.version, "model_name": model.name,
        "imputed": [imputed_fields(record) for record in cleaned],
    }, timing={"validation": validation_ms, "model": model_ms})
