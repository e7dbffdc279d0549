"""What the gRPC model service and its clients agree on: the address form, messages, status codes.

The service answers what the HTTP service would (`predicting.predict_payload`): a 200 becomes a
PredictReply; any other status becomes a gRPC status code (`GRPC_CODES`) whose message is the HTTP
service's JSON error body, with the HTTP status itself in the trailing metadata key
`archlab-status`. So a client tells "the service refused" (key present: read it as HTTP) from
"the call never reached the service" (no key: refused connection, reset, deadline). Every answer's
trailing metadata also carries the service's Server-Timing parts under `server-timing`.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import grpc
from google.protobuf import json_format

from patterns.server_timing import parse_parts

from .proto import model_service_pb2 as messages

SCHEME = "grpc"
STATUS_KEY = "archlab-status"
TIMING_KEY = "server-timing"
GRPC_CODES = {400: grpc.StatusCode.INVALID_ARGUMENT, 422: grpc.StatusCode.INVALID_ARGUMENT, 503: grpc.StatusCode.UNAVAILABLE}

# Reconnect quickly when a service comes back (gRPC's default backoff grows to 120 s), and let
# a second server on the same port fail instead of sharing it (SO_REUSEPORT is on by default).
CHANNEL_OPTIONS = [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 1000)]
SERVER_OPTIONS = [("grpc.so_reuseport", 0)]


def target(url: str) -> str:
    """`grpc://host:port` -> `host:port`, the form gRPC channels take (`[::1]:port` stays bracketed)."""
    return urlsplit(url).netloc


def channel(url: str) -> grpc.Channel:
    return grpc.insecure_channel(target(url), options=CHANNEL_OPTIONS)


def grpc_code(status: int) -> grpc.StatusCode:
    return GRPC_CODES.get(status, grpc.StatusCode.INTERNAL)


def predict_request(records: list[dict]) -> messages.PredictRequest:
    request = messages.PredictRequest()
    for record in records:
        request.houses.add().update(record)
    return request


def request_records(request: messages.PredictRequest) -> list[dict]:
    """The houses as the JSON-shaped dicts `predict_payload` takes (numbers, strings, None)."""
    return [json_format.MessageToDict(house) for house in request.houses]


def service_answer(error: grpc.RpcError) -> tuple[int, object] | None:
    """(HTTP status, JSON body) if the service itself refused the call, None if it never got it."""
    status = dict(error.trailing_metadata() or ()).get(STATUS_KEY)
    if status is None:
        return None
    try:
        body = json.loads(error.details() or "")
    except ValueError:
        body = None
    return int(status), body


def service_timing(metadata) -> dict[str, float]:
    """The service's Server-Timing parts from a call's trailing metadata (empty if it sent none)."""
    return parse_parts(dict(metadata or ()).get(TIMING_KEY))
