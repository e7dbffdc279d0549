"""The front's side of the wire format, shared by the HTTP and the RabbitMQ clients.

Both transports carry the same JSON request and the same (status, body) answer that
`predicting.predict_payload` produces, so encoding records and reading answers live here once.
"""

from __future__ import annotations

from shared_model import ValidationError

from patterns.server_timing import parse_parts
from patterns.web.backend import BackendUnavailable, Prediction


def read_answer(status: int, body, source: str, server_timing: str | None = None) -> Prediction:
    """A Prediction from a 200 (its `timing`: the parts of the service's Server-Timing header, if
    it sent one); ValidationError for 422; BackendUnavailable for anything else."""
    body = body if isinstance(body, dict) else {}
    if status == 200 and isinstance(body.get("predictions"), list) and "model_version" in body:
        return Prediction(values=body["predictions"], model_version=body["model_version"],
                          timing=parse_parts(server_timing))
    if status == 422:
        raise ValidationError.from_json(body)
    reason = body.get("message") or body.get("error") or "no explanation in the answer"
    raise BackendUnavailable(f"the model service at {source} answered {status}: {reason}")
