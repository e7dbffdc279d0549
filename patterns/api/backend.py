"""The front's backend for architecture 2: every prediction is a call to the model service.

`MODEL_TRANSPORT=http` (default) calls `MODEL_SERVICE_URL` over REST; `grpc` calls it over gRPC
(`MODEL_SERVICE_URL=grpc://host:port`); `amqp` goes through RabbitMQ (`AMQP_URL`, `MODEL_QUEUE`).
`MODEL_TIMEOUT` bounds each wait for an answer. With HTTP and gRPC, a loopback-only admin route
switches the service the front calls, which is how the launcher replaces the model service
without a failed request; over HTTP, admin routes also run a canary or a shadow of a new version
beside it (`guards`).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from urllib.parse import urlsplit

from flask import Blueprint, jsonify, request

from shared_model import ModelStore

from patterns.json_body import json_or_none
from patterns.settings import Settings
from patterns.web.auth import ADMIN, json_only, signed_in
from patterns.web.backend import Prediction
from patterns.web.judge import Judge

from .amqp_client import AmqpModelClient
from .grpc_client import GrpcModelClient
from .guards import Guards, guard_routes
from .http_client import HttpModelClient
from .settings import ApiSettings

TRANSPORTS = ("http", "amqp", "grpc")
ADDRESSED = ("http", "grpc")  # transports that call a service at MODEL_SERVICE_URL (scheme = transport)
LOOPBACK = ("127.0.0.1", "::1")


class ApiBackend:
    """Forwards validated records to a model client (HTTP or AMQP), through the release guards
    when it has them (HTTP), and reports its state."""

    architecture = "api"

    def __init__(self, client: HttpModelClient | AmqpModelClient | GrpcModelClient, transport: str,
                 guards: Guards | None = None) -> None:
        self.client = client
        self.transport = transport
        self.guards = guards

    def predict(self, records: list[dict]) -> Prediction:
        """The service's prices; `timing`: its `validation` and `model` parts and the `hop`, the rest
        of the call (network, serialization, the service's framework)."""
        started = time.perf_counter()
        prediction = (self.guards.predict(records, self.client.predict) if self.guards
                      else self.client.predict(records))
        return dataclasses.replace(prediction, timing=hop_timing(prediction.timing, started))

    def status(self) -> dict:
        guards = {"guards": self.guards.status()} if self.guards else {}
        return {"transport": self.transport, "model_service": self.client.ready(), **guards}

    def blueprint(self) -> Blueprint | None:
        if self.transport not in ADDRESSED:
            return None
        bp = admin_blueprint(self.client, self.transport)
        if self.guards:
            guard_routes(bp, self.guards, functools.partial(url_problem, scheme=self.transport), admin_only)
        return bp

    def close(self) -> None:
        if self.guards:
            self.guards.close()
        self.client.close()


def hop_timing(service: dict[str, float], started: float) -> dict[str, float]:
    """The Server-Timing parts of a call to the model service that began at `started`: the parts it
    reported itself (`validation`, `model`), and the `hop`, the whole call minus them."""
    call_ms = (time.perf_counter() - started) * 1000.0
    own = {name: service[name] for name in ("validation", "model") if name in service}
    return {**own, "hop": max(0.0, call_ms - sum(own.values()))}


def create_backend(settings: Settings) -> ApiBackend:
    settings = ApiSettings.from_settings(settings)
    transport = settings.model_transport
    if transport in ADDRESSED:
        url = settings.model_service_url
        problem = url_problem(url, transport) if url else "it is not set"
        if problem:
            raise ValueError(f"MODEL_SERVICE_URL must be a {transport}://host:port URL when ARCHLAB_ARCH=api "
                             f"and MODEL_TRANSPORT={transport} ({problem})")
    if transport == "grpc":
        return ApiBackend(GrpcModelClient(settings.model_service_url, timeout=settings.model_timeout), transport)
    if transport == "http":
        def client_for(url: str) -> HttpModelClient:
            return HttpModelClient(url, read_timeout=settings.model_timeout)

        guards = Guards(client_for, Judge(ModelStore(settings.home / "models").metadata))
        return ApiBackend(client_for(settings.model_service_url), transport, guards)
    if transport == "amqp":
        return ApiBackend(AmqpModelClient(settings.amqp_url, settings.model_queue, settings.model_timeout), transport)
    raise ValueError(f"MODEL_TRANSPORT must be one of {', '.join(TRANSPORTS)}; got {transport!r}")


def admin_blueprint(client: HttpModelClient | GrpcModelClient, scheme: str = "http") -> Blueprint:
    """POST /admin/model-service {"url": ...}: point the front at another service (the admin only, on loopback)."""
    bp = Blueprint("api_admin", __name__)

    @bp.post("/admin/model-service")
    @functools.partial(admin_only, json=True)
    def switch_model_service():
        body = json_or_none(request.get_data())
        url = body.get("url") if isinstance(body, dict) else None
        problem = url_problem(url, scheme)
        if problem:
            return jsonify(error="Bad request", message=problem), 400
        previous, client.url = client.url, url.rstrip("/")
        return jsonify(url=client.url, previous=previous)

    return bp


def admin_only(view, json: bool = False):
    """`view` for the admin only, asked on loopback (a JSON body when `json`)."""
    checked = json_only(view) if json else view

    @functools.wraps(view)
    def on_loopback(*args, **kwargs):
        if request.remote_addr not in LOOPBACK:
            return jsonify(error="Forbidden", message="the admin route only answers on loopback"), 403
        return checked(*args, **kwargs)

    return signed_in(ADMIN)(on_loopback)


def url_problem(url, scheme: str = "http") -> str | None:
    """Why `url` cannot be a model service base URL (`scheme://host:port`, or several separated by
    commas: instances the client spreads requests over), or None if it can."""
    if not isinstance(url, str):
        return f'send {{"url": "{scheme}://host:port"}}'
    for one in url.split(","):
        parts = urlsplit(one.strip())
        if parts.scheme != scheme or not parts.hostname:
            return f"expected a {scheme}://host:port URL (or several, comma-separated); got {one!r}"
        try:
            port = parts.port
        except ValueError:
            return f"the port in {one!r} is not a number from 1 to 65535"
        if port is None and scheme != "http":  # HTTP has a default port (80); gRPC has none
            return f"expected a {scheme}://host:port URL with a port; got {one!r}"
    return None
