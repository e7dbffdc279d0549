"""Regenerate the Python code for `model_service.proto` (needs grpcio-tools, in the `dev` extra).

    .venv/bin/python -m patterns.api.proto.generate

The generated `model_service_pb2.py` and `model_service_pb2_grpc.py` are committed, so running
archlab needs only grpcio and protobuf; tests/test_api_grpc.py fails when they are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROTO = Path(__file__).with_name("model_service.proto")
ROOT = PROTO.parents[3]  # the folder holding `patterns/`: imports in the generated code start there
GENERATED = ("model_service_pb2.py", "model_service_pb2_grpc.py")


def generate(out_dir: Path = ROOT) -> list[Path]:
    """Run protoc on the .proto; return the generated files (under out_dir/patterns/api/proto/)."""
    from grpc_tools import protoc

    include = Path(protoc.__file__).with_name("_proto")  # google/protobuf/*.proto shipped with grpcio-tools
    relative = PROTO.relative_to(ROOT)
    status = protoc.main([
        "grpc_tools.protoc", f"-I{ROOT}", f"-I{include}",
        f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", str(relative),
    ])
    if status != 0:
        raise RuntimeError(f"protoc failed on {PROTO} (exit status {status})")
    return [out_dir / relative.parent / name for name in GENERATED]


def main() -> int:
    for path in generate():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
