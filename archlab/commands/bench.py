"""`archlab bench`: benchmarks that print percentiles and the command to reproduce them."""

from __future__ import annotations

import json

from ..bench.formats import format_format_bench, run_format_bench
from ..bench.model import format_model_bench, run_model_bench


def register(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="benchmark the model paths (fast path, pipeline, floor)")
    parser.add_argument("--version", help="model version (default: newest stored)")
    parser.add_argument("--calls", type=int, default=2000, help="single-record calls per path (default 2000)")
    parser.add_argument("--formats", action="store_true",
                        help="compare the stored formats (pickle, ONNX, MLflow, model.json): size, load, latency, parity")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.formats:
        result = run_format_bench(args.version, calls=args.calls)
        text = format_format_bench(result)
    else:
        result = run_model_bench(args.version, calls=args.calls, pipeline_calls=args.calls)
        text = format_model_bench(result)
    print(json.dumps(result, indent=1) if args.json else text)
    print("reproduce with: archlab bench" + (" --formats" if args.formats else "") + f" --calls {args.calls}"
          + (f" --version {args.version}" if args.version else ""))
    return 0
