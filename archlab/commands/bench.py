"""`archlab bench`: benchmarks that print percentiles and the command to reproduce them."""

from __future__ import annotations

import json

from ..bench.model import format_model_bench, run_model_bench


def register(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="benchmark the model paths (fast path, pipeline, floor)")
    parser.add_argument("--version", help="model version (default: newest stored)")
    parser.add_argument("--calls", type=int, default=2000, help="single-record calls per path (default 2000)")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    result = run_model_bench(args.version, calls=args.calls, pipeline_calls=args.calls)
    print(json.dumps(result, indent=1) if args.json else format_model_bench(result))
    print(f"reproduce with: archlab bench --calls {args.calls}" + (f" --version {args.version}" if args.version else ""))
    return 0
