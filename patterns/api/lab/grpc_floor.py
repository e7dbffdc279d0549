"""The gRPC floor: one loopback gRPC call to a server answering a constant, in the same run.

    python -m patterns.api.lab.grpc_floor --port N      # the constant server alone

The constant server speaks the model service's own contract (`proto/model_service.proto`) and
the client sends the same request the front sends (one house as a Struct), so the floor holds
everything a gRPC call to the model service costs except validation and the model itself.
"""

from __future__ import annotations

import argparse
import sys
import threading

import grpc

from patterns.launch.contract import FloorSamples
from patterns.launch.process import free_port

from ..grpc_process import GrpcServiceProcess
from ..grpc_service import create_server, run, stop_on_signals
from ..grpc_wire import channel, predict_request
from ..proto import model_service_pb2 as messages
from ..proto import model_service_pb2_grpc as stubs
from .floor_front import through_front, timed_calls

CONSTANT = messages.PredictReply(predictions=[0.0], model_version="constant", model_name="constant")


class ConstantServicer(stubs.ModelServiceServicer):
    """Decodes the request (a real service must) and answers the same reply every time."""

    def Predict(self, request: messages.PredictRequest, context: grpc.ServicerContext) -> messages.PredictReply:
        return CONSTANT

    def Ready(self, request: messages.ReadyRequest, context: grpc.ServicerContext) -> messages.ReadyReply:
        return messages.ReadyReply(ready=True, model_version=CONSTANT.model_version)


def grpc_constant_roundtrip(record: dict, count: int = 2000, timeout_s: float = 30.0) -> list[FloorSamples]:
    """Two floors on one constant gRPC server process, `count` sequential calls each: a Predict call
    carrying `record` (the transport alone), and a POST through the floor front that makes that
    call (the model API's shape: HTTP, then gRPC)."""
    with GrpcServiceProcess("floor-grpc-constant", free_port(), module=__name__) as server:
        connection = channel(server.url)
        try:
            call, request = stubs.ModelServiceStub(connection).Predict, predict_request([record])
            alone = timed_calls(lambda: call(request, timeout=5.0), count, timeout_s)
        finally:
            connection.close()
        env = {"MODEL_TRANSPORT": "grpc", "MODEL_SERVICE_URL": server.url}
        fronted = through_front("floor-front-grpc", env, record, count, timeout_s)
    return [
        FloorSamples("grpc_constant",
                     "loopback gRPC call (one house as a Struct) to a grpcio server answering a constant, 1 client",
                     *alone),
        FloorSamples("http_then_grpc",
                     "loopback HTTP POST to a Flask route that passes the body to the API's gRPC client, to a "
                     "grpcio server answering a constant: two round trips in series (the model API's shape over "
                     "gRPC, no model), 1 client", *fronted),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns.api.lab.grpc_floor", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    server = create_server(ConstantServicer(), args.host, args.port, threads=4)
    stopping = threading.Event()
    stop_on_signals(stopping)
    run(server, stopping, drain_seconds=1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
