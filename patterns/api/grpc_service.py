"""The model service over gRPC: the HTTP service's model slot and prediction step behind a grpcio server.

    python -m patterns.api.grpc_service --host 127.0.0.1 --port 50051

The contract is `proto/model_service.proto`. As with the HTTP service, the port opens before the
model loads: the `Ready` RPC answers "not ready" until it has loaded (the launcher waits for it).
On SIGTERM the server refuses new calls and lets the calls in flight finish (up to `DRAIN_SECONDS`),
which is what lets the launcher replace it under traffic without a failed request.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc

from shared_model import ModelStore

from patterns.server_timing import ServerTiming

from .grpc_wire import SERVER_OPTIONS, STATUS_KEY, TIMING_KEY, grpc_code, request_records
from .predicting import error_reply, predict_payload
from .proto import model_service_pb2 as messages
from .proto import model_service_pb2_grpc as stubs
from .service import ModelSlot, service_arguments

log = logging.getLogger("patterns.api.grpc_service")

DRAIN_SECONDS = 10.0


class ModelServicer(stubs.ModelServiceServicer):
    """Translates between gRPC messages and `predict_payload`; decides nothing itself."""

    def __init__(self, slot: ModelSlot) -> None:
        self.slot = slot

    def Predict(self, request: messages.PredictRequest, context: grpc.ServicerContext) -> messages.PredictReply:
        """Every answer carries the service's Server-Timing parts in its trailing metadata (`TIMING_KEY`)."""
        timing = ServerTiming()
        try:  # taking the houses out of their protobuf Structs counts as validation
            reply = predict_payload(self.slot.model, request_records(request), self.slot.cost_ms, timing.started)
        except Exception:
            log.exception("prediction failed")
            reply = error_reply(500, "the model service hit an unexpected error; it has been logged")
        timing.add_all(reply.timing)
        metadata = [(TIMING_KEY, timing.header())]
        if reply.status != 200:
            context.set_trailing_metadata((*metadata, (STATUS_KEY, str(reply.status))))
            context.abort(grpc_code(reply.status), json.dumps(reply.body))
        context.set_trailing_metadata(metadata)
        body = reply.body
        return messages.PredictReply(
            predictions=body["predictions"], model_version=body["model_version"], model_name=body["model_name"],
        )

    def Ready(self, request: messages.ReadyRequest, context: grpc.ServicerContext) -> messages.ReadyReply:
        model = self.slot.model
        if model is None:
            return messages.ReadyReply(ready=False, reason=self.slot.reason)
        return messages.ReadyReply(ready=True, model_version=model.version)


def create_server(servicer: stubs.ModelServiceServicer, host: str, port: int, threads: int = 8) -> grpc.Server:
    """A server for `servicer` on host:port, not started yet; RuntimeError if the port is taken."""
    server = grpc.server(ThreadPoolExecutor(max_workers=threads, thread_name_prefix="grpc"), options=SERVER_OPTIONS)
    stubs.add_ModelServiceServicer_to_server(servicer, server)
    server.add_insecure_port(f"{host}:{port}")
    return server


def stop_on_signals(stopping: threading.Event) -> None:
    """Set `stopping` on SIGTERM (and Ctrl-C); call from the main thread."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())


def run(server: grpc.Server, stopping: threading.Event, drain_seconds: float) -> None:
    """Start `server` and serve until `stopping` is set; then refuse new calls, let those in
    flight finish (up to `drain_seconds`) and return."""
    server.start()
    stopping.wait()
    log.info("stopping: refusing new calls, finishing those in flight (up to %g s)", drain_seconds)
    server.stop(drain_seconds).wait()
    log.info("stopped")


def main(argv: list[str] | None = None) -> int:
    args = service_arguments("python -m patterns.api.grpc_service", __doc__.splitlines()[0], argv)

    slot = ModelSlot(args.model_cost_ms)
    try:
        server = create_server(ModelServicer(slot), args.host, args.port, args.threads)
    except RuntimeError as exc:
        log.error("cannot listen on %s:%s: %s", args.host, args.port, exc)
        return 1
    stopping = threading.Event()
    stop_on_signals(stopping)

    def load_or_stop() -> None:
        slot.load(ModelStore(), args.model_version, args.model_format)
        if slot.failed:
            stopping.set()  # a service that can never be ready should say so and exit

    threading.Thread(target=load_or_stop, name="model-loader", daemon=True).start()
    log.info("serving gRPC on %s:%s", args.host, args.port)
    run(server, stopping, DRAIN_SECONDS)
    return 1 if slot.failed else 0


if __name__ == "__main__":
    sys.exit(main())
