"""The model API's shape with no model, over gRPC or RabbitMQ: the floor its variants are shown beside.

    python -m patterns.api.lab.floor_front --port N     # MODEL_TRANSPORT and its address from the environment

A Flask route that parses the JSON body, hands it to the transport's own client (the one the API
front uses, built by `create_backend`) and answers the back end's JSON, as
`archlab.measure.constant_server --flask --backend URL` does over HTTP. In front of a constant
back end (`grpc_floor`, `amqp_floor`) it is two round trips in series, HTTP then the transport:
everything the model API costs except validation and the model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

from flask import Flask, abort, jsonify, request

from patterns import http
from patterns.launch.process import ManagedProcess, free_port
from patterns.settings import Settings
from patterns.web import MAX_CONTENT_LENGTH
from patterns.web.wsgi_server import create_server

from ..backend import create_backend


def timed_calls(call: Callable[[], object], count: int, timeout_s: float) -> tuple[list[float], int]:
    """Milliseconds of each of up to `count` sequential `call()`s within `timeout_s`, and how many
    raised (a lost answer is what a floor counts, not a bug of the floor)."""
    deadline = time.monotonic() + timeout_s
    samples, failed = [], 0
    for _ in range(count):
        if time.monotonic() >= deadline:
            break
        started = time.perf_counter()
        try:
            call()
        except Exception:  # noqa: BLE001 - counted as a failed call
            failed += 1
            continue
        samples.append((time.perf_counter() - started) * 1000.0)
    return samples, failed


def floor_app(settings: Settings) -> Flask:
    """POST /predict: the body, parsed, to the transport's client; its answer as JSON (503 if none)."""
    client = create_backend(settings).client
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH)

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    @app.post("/predict")
    def predict():
        try:
            answer = client.predict([request.get_json(force=True)])
        except Exception as exc:  # noqa: BLE001 - the floor's user sees why, as a front's would
            abort(503, description=f"the constant back end did not answer: {exc}")
        return jsonify(model_version=answer.model_version, predictions=answer.values)

    return app


def through_front(name: str, env: dict[str, str], record: dict, count: int,
                  timeout_s: float) -> tuple[list[float], int]:
    """Start the floor front with `env` (its transport and back end), then time `count` sequential
    POST /predict of `record` through it on one kept-alive connection."""
    port = free_port()
    argv = [sys.executable, "-m", __name__, "--port", str(port)]
    body = json.dumps(record).encode()
    with ManagedProcess(name, argv, env=env, port=port) as front:
        connection = http.Connection(front.url, timeout=10.0)

        def post() -> None:
            answer = connection.request("POST", "/predict", body, http.JSON_HEADERS)
            if answer.status != 200:
                raise RuntimeError(f"{answer.status}: {answer.body[:200]!r}")

        try:
            return timed_calls(post, count, timeout_s)
        finally:
            connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns.api.lab.floor_front", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8, help="as the front's default")
    args = parser.parse_args(argv)
    app = floor_app(Settings.from_env())
    create_server(app, args.host, args.port, threads=args.threads, max_body=MAX_CONTENT_LENGTH).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
