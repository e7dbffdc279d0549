"""The prediction step both transports share: a JSON payload in, a status and a JSON body out.

HTTP and RabbitMQ differ only in how the bytes travel; validation, prediction and the shape of the
answer are decided here once, so the two transports cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared_model import validate_batch


@dataclass(frozen=True)
class Reply:
    """What to answer: an HTTP-style status and a JSON-able body."""

    status: int
    body: dict = field(default_factory=dict)


def error_reply(status: int, message: str, details: list[dict] | None = None) -> Reply:
    body = {"error": message}
    if details:
        body["details"] = details
    return Reply(status, body)


def predict_payload(model, payload) -> Reply:
    """Validate one house (a JSON object) or a list of houses, then predict with `model`.

    `model` is None while the service is still loading it. A single house takes the model's fast
    single-record path; a list is predicted in one vectorised call.
    """
    if model is None:
        return error_reply(503, "the model is not loaded yet; retry when /ready answers 200")
    if isinstance(payload, dict):
        records, many = [payload], False
    elif isinstance(payload, list) and payload:
        records, many = payload, True
    else:
        return error_reply(400, "expected a JSON object (one house) or a non-empty list of objects")
    checked = validate_batch(records)
    if checked.invalid:
        details = [
            {"index": index, **error} if many else error
            for index, errors in sorted(checked.invalid.items())
            for error in errors
        ]
        return error_reply(422, "invalid input", details)
    cleaned = [record for _, record in checked.valid]
    return Reply(
        200, {"predictions": model.predict_many(cleaned), "model_version": model.version, "model_name": model.name},
    )
