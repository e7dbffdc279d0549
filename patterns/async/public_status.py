"""What the end user may see of a request: only a reviewed (validated) prediction is served.

Kept apart from the views so the rule is one small function, the same for the HTML page and JSON.
"""

from __future__ import annotations

from datetime import datetime

from shared_model import ValidationError, imputed_fields, validate_record


def iso(moment: datetime | None, timespec: str = "seconds") -> str | None:
    """Naive UTC from the store -> ISO 8601 with a Z."""
    return None if moment is None else moment.isoformat(timespec=timespec) + "Z"


def timeline(request: dict) -> dict[str, str | None]:
    """When the request was submitted and its newest prediction's scoring started, ended and was
    reviewed (to the millisecond; None: not yet, or stored before claim times were kept): what
    the answer waited for, the schedule, the model or a reviewer."""
    newest = request["predictions"][0] if request["predictions"] else {}
    moments = {"submitted_at": request["submitted_at"], "scoring_started_at": newest.get("claimed_at"),
               "predicted_at": newest.get("created_at"), "reviewed_at": newest.get("reviewed_at")}
    return {name: iso(moment, "milliseconds") for name, moment in moments.items()}


def public_status(request: dict) -> dict:
    """The end user's view of `request` (as `Store.request` returns it, predictions newest first).

    `state` is one of: queued, failed, awaiting review, rejected, available. The newest validated
    prediction is served; if a newer one (a re-run) awaits review or was rejected, the answer says
    so too, and a rejection's reason is given, never its price. `imputed` names the fields the
    house did not give, which the model fills in (as the synchronous answers do).
    """
    history = request["predictions"]
    validated = next((p for p in history if p["review_status"] == "validated"), None)
    newest = history[0] if history else None
    answer = {"id": request["id"], "status": request["status"], "submitted_at": iso(request["submitted_at"]),
              "prediction": None, "imputed": _imputed(request["payload"])}
    if validated is not None:
        answer["prediction"] = {"value": validated["value"], "model_version": validated["model_version"],
                                "predicted_at": iso(validated["created_at"]),
                                "validated_at": iso(validated["reviewed_at"])}
    if request["status"] in ("pending", "claimed"):
        state, message = "queued", "waiting for the scoring job"
    elif request["status"] == "failed" and validated is None:
        state, message = "failed", f"could not be predicted: {request['error']}"
    elif newest is not None and newest["review_status"] == "pending":
        state, message = "awaiting review", "predicted; awaiting review before it is shown"
    elif newest is not None and newest["review_status"] == "rejected":
        state, message = "rejected", _rejection(newest)
    else:
        state, message = "available", "validated prediction"
    if validated is not None and state != "available":
        message += "; showing the last validated prediction"
    return {**answer, "state": state, "message": message, "timeline": timeline(request)}


def _rejection(prediction: dict) -> str:
    if prediction["gate_reason"] is not None:
        return f"the prediction of model {prediction['model_version']} was rejected by the review gate: " \
               f"{prediction['gate_reason']}"
    return f"the prediction of model {prediction['model_version']} was rejected in review"


def _imputed(payload: dict | None) -> list[str] | None:
    """The fields the stored house did not give; None when it is not a valid house (the job fails it)."""
    try:
        return imputed_fields(validate_record(payload))
    except ValidationError:
        return None
