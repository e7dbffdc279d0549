"""The gRPC floor: one loopback gRPC call to a server answering a constant, in the same run.

    python -m patterns.api.grpc_floor --port N      # the constant server alone

The constant server speaks the model service's own contract (`proto/model_service.proto`) and
the client sends the same request the front sends (one house as a Struct), so the floor holds
everything a gRPC call to the model service costs except validation and the model itself.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import grpc

from patterns.launch.contract import FloorSamples
from patterns.launch.process import free_port

from .grpc_process import GrpcServiceProcess
from .grpc_service import create_server, run, stop_on_signals
from .grpc_wire import channel, predict_request
from .proto import model_service_pb2 as messages
from .proto import model_service_pb2_grpc as stubs

CONSTANT = messages.PredictReply(predictions=[0.0], model_version="constant", model_name="constant")


class ConstantServicer(stubs.ModelServiceServicer):
    """Decodes the request (a real service must) and answers the same reply every time."""

    def Predict(self, request: messages.PredictRequest, context: grpc.ServicerContext) -> messages.PredictReply:
        return CONSTANT

    def Ready(self, request: messages.ReadyRequest, context: grpc.ServicerContext) -> messages.ReadyReply:
        return messages.ReadyReply(ready=True, model_version=CONSTANT.model_version)


def grpc_constant_roundtrip(record: dict, count: int = 2000, timeout_s: float = 30.0) -> FloorSamples:
    """Time `count` sequential Predict calls carrying `record` to a constant gRPC server process."""
    with GrpcServiceProcess("floor-grpc-constant", free_port(), module=__name__) as server:
        connection = channel(server.url)
        try:
            call = stubs.ModelServiceStub(connection).Predict
            request = predict_request([record])
            deadline = time.monotonic() + timeout_s
            samples, failed = [], 0
            clock = time.perf_counter
            for _ in range(count):
                if time.monotonic() >= deadline:
                    break
                started = clock()
                try:
                    call(request, timeout=max(0.1, deadline - time.monotonic()))
                except grpc.RpcError:
                    failed += 1
                    continue
                samples.append((clock() - started) * 1000.0)
        finally:
            connection.close()
    return FloorSamples(
        "grpc_constant",
        "loopback gRPC call (one house as a Struct) to a grpcio server answering a constant, 1 client",
        samples,
        failed,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns.api.grpc_floor", description=__doc__.splitlines()[0])
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
