"""The model service: the model behind its own HTTP API, served by waitress.

    python -m patterns.api.service --host 127.0.0.1 --port 8001

Loads ARCHLAB_MODEL_VERSION (default: the newest) from the model store, from the file MODEL_FORMAT
names (pickle, onnx, mlflow or json; with onnx no scikit-learn is imported). The model loads after the
port opens, so `/health` (the process answers) and `/ready` (the model is loaded: send traffic)
answer different questions, as a load balancer or the launcher's replacement step needs.
On SIGTERM it stops accepting connections and finishes the requests in flight (see `graceful`).

Each prediction call first spends MODEL_COST_MS of CPU (`patterns.model_cost`), and each answer to
POST /v1/predict says in its `Server-Timing` header what validating and predicting took
(`validation`, `model`, `total`): the front subtracts them from its call to find the hop.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading

from flask import Flask, jsonify, make_response, request
from werkzeug.exceptions import HTTPException

from shared_model import ModelError, ModelStore
from shared_model.formats import load_model
from shared_model.keys import require_keys_for_listener

from patterns.server_timing import HEADER as SERVER_TIMING
from patterns.server_timing import ServerTiming

from .graceful import GracefulServer
from .openapi import openapi_document
from .predicting import answer_body
from .settings import MODEL_FORMATS, ApiSettings

log = logging.getLogger("patterns.api.service")

# 4 MiB: all 1,459 new houses fit in one request (the front allows the same).
MAX_BODY_BYTES = 4 * 1024 * 1024
RUNTIME_MODULES = {"scikit-learn": "sklearn", "onnxruntime": "onnxruntime", "mlflow": "mlflow", "pandas": "pandas"}


class ModelSlot:
    """The loaded model, or the reason there is none yet (read by request threads, set once), and
    the CPU milliseconds each prediction call spends first (MODEL_COST_MS)."""

    def __init__(self, cost_ms: float = 0.0) -> None:
        self.cost_ms = cost_ms
        self.model = None
        self.reason = "the model is loading"
        self.failed = False

    def load(self, store: ModelStore, version: str | None, model_format: str = "pickle") -> None:
        try:
            self.model = load_model(store, version, model_format)
        except (ModelError, ImportError) as exc:  # ImportError: this format's runtime is not installed here
            self.reason = f"the model could not be loaded: {exc}"
            self.failed = True
            log.error(self.reason)
            return
        log.info("model %s %s loaded from its %s file (digest %s)", self.model.name, self.model.version,
                 self.model.format, self.model.digest[:12])


def create_app(slot: ModelSlot) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.post("/v1/predict")
    def predict():
        timing = ServerTiming()
        reply = answer_body(slot.model, request.get_data(), slot.cost_ms)
        timing.add_all(reply.timing)
        response = make_response(jsonify(reply.body), reply.status)
        response.headers[SERVER_TIMING] = timing.header()
        return response

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    @app.get("/ready")
    def ready():
        if slot.model is None:
            return jsonify(ready=False, reason=slot.reason), 503
        return jsonify(ready=True, model_version=slot.model.version)

    @app.get("/version")
    def version():
        model = slot.model
        if model is None:
            return jsonify(error=slot.reason), 503
        meta = model.metadata
        return jsonify(
            name=model.name, version=model.version, digest=model.digest,
            created=meta.get("created"), metrics=meta.get("metrics", {}),
        )

    @app.get("/status")
    def status():
        """Which file the model came from and which runtimes this process has imported (with
        MODEL_FORMAT=onnx, scikit-learn is not among them)."""
        model = slot.model
        return jsonify(
            model_version=model.version if model else None, model_format=model.format if model else None,
            state="ready" if model else slot.reason,
            libraries_loaded={name: module in sys.modules for name, module in RUNTIME_MODULES.items()},
        )

    @app.get("/openapi.json")
    def openapi():
        return jsonify(openapi_document())

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        """Every error in the front's JSON shape; 500s carry a generic message, never a traceback.
        Headers the status needs (405's Allow) are kept."""
        response = make_response(jsonify(error=exc.name, message=exc.description), exc.code)
        response.headers.extend((name, value) for name, value in exc.get_headers() if name.lower() != "content-type")
        return response

    return app


def service_arguments(prog: str, description: str, argv: list[str] | None) -> argparse.Namespace:
    """The command line both model services take (HTTP here, gRPC in grpc_service), with
    `model_cost_ms` from MODEL_COST_MS; a listener others can reach is refused with the development
    signing key, and a setting that cannot be read names itself (exit 2)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    try:
        settings = ApiSettings.from_env()
    except ValueError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    parser.add_argument("--model-version", default=settings.model_version)
    parser.add_argument("--model-format", default=settings.model_format, choices=MODEL_FORMATS,
                        help="which stored file to load and predict with (MODEL_FORMAT)")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    args.model_cost_ms = settings.model_cost_ms
    try:
        require_keys_for_listener(args.host)  # the development signing key only where no one else connects
    except ModelError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return args


def main(argv: list[str] | None = None) -> int:
    args = service_arguments("python -m patterns.api.service", __doc__.splitlines()[0], argv)

    slot = ModelSlot(args.model_cost_ms)
    server = GracefulServer(create_app(slot), args.host, args.port, threads=args.threads, max_body=MAX_BODY_BYTES)

    def load_or_stop() -> None:
        slot.load(ModelStore(), args.model_version, args.model_format)
        if slot.failed:
            server.stop()  # a service that can never be ready should say so and exit

    server.stop_on_signals()
    threading.Thread(target=load_or_stop, name="model-loader", daemon=True).start()
    server.serve()
    return 1 if slot.failed else 0


if __name__ == "__main__":
    sys.exit(main())
