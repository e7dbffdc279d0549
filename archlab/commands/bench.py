"""`archlab bench`: benchmarks that print percentiles and the command to reproduce them."""

from __future__ import annotations

import json
import shlex

from ..bench.formats import format_format_bench, run_format_bench
from ..bench.front import format_front_bench, run_front_bench
from ..bench.model import format_model_bench, run_model_bench
from ..bench.outside import (AgainstFailed, WrkMissing, checkout_source, format_outside_bench, run_outside_bench,
                             wrk_path)
from ..bench.throughput import format_throughput_bench, run_throughput_bench
from ..errors import UsageError


def register(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="benchmark the model paths (fast path, pipeline, floor)")
    parser.add_argument("--version", help="model version (default: newest stored)")
    parser.add_argument("--calls", type=int, default=2000, help="single-record calls per path (default 2000)")
    parser.add_argument("--formats", action="store_true",
                        help="compare the stored formats (pickle, ONNX, MLflow, model.json): size, load, latency, parity")
    parser.add_argument("--throughput", action="store_true",
                        help="the constant floors (bare WSGI, Flask, two round trips) at concurrency 1, 8 and 32: "
                             "requests/s, p50/p99, errors and the load client's CPU per request "
                             "(--calls bounds the requests of each run)")
    parser.add_argument("--front", action="store_true",
                        help="where one request's time goes at the embedded front: the bare WSGI callable, the "
                             "Flask route and the front, each in process and over HTTP (--calls each)")
    parser.add_argument("--outside", action="store_true",
                        help="the embedded front beside the bare WSGI and Flask floors, loaded from outside by wrk "
                             "(requests/s and p50/p90/p99 per run, rounds interleaved, the ratios)")
    parser.add_argument("--rounds", type=int, default=3, help="with --outside: interleaved rounds (default 3)")
    parser.add_argument("--connections", type=int, default=1,
                        help="with --outside: wrk's open connections, one request in flight on each (default 1)")
    parser.add_argument("--against", metavar="CHECKOUT",
                        help="with --outside: also another archlab checkout's embedded front (its own code "
                             "trains model v1 and serves it), in the same rounds")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="with --throughput, --front or --outside: the time bound of each HTTP run (default 10)")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.calls < 1 or args.seconds <= 0:
        raise UsageError(f"--calls must be at least 1 and --seconds above 0; got {args.calls} and {args.seconds:g}")
    if args.formats + args.throughput + args.front + args.outside > 1:
        raise UsageError("choose one of --formats, --throughput, --front and --outside")
    if not args.outside and (args.against or args.rounds != 3 or args.connections != 1):
        raise UsageError("--against, --rounds and --connections go with --outside")
    if args.rounds < 1 or args.connections < 1:
        raise UsageError(f"--rounds and --connections must be at least 1; got {args.rounds} and {args.connections}")
    if args.outside:
        result = outside_bench(args)
        text = format_outside_bench(result)
    elif args.front:
        result = run_front_bench(args.version, calls=args.calls, seconds=args.seconds)
        text = format_front_bench(result)
    elif args.throughput:
        result = run_throughput_bench(count=args.calls, seconds=args.seconds)
        text = format_throughput_bench(result)
    elif args.formats:
        result = run_format_bench(args.version, calls=args.calls)
        text = format_format_bench(result)
    else:
        result = run_model_bench(args.version, calls=args.calls, pipeline_calls=args.calls)
        text = format_model_bench(result)
    print(json.dumps(result, indent=1) if args.json else text)
    print(f"reproduce with: {reproduce_command(args)}")
    return 0


def outside_bench(args) -> dict:
    """--outside, after checking that wrk is there and --against is a checkout (exit 2 if not)."""
    try:
        wrk = wrk_path()
        against = checkout_source(args.against) if args.against else None
    except (WrkMissing, ValueError) as exc:
        raise UsageError(str(exc)) from None
    try:
        return run_outside_bench(wrk, args.seconds, args.rounds, args.connections, against)
    except AgainstFailed as exc:  # the other checkout's own code could not train or start its front
        raise UsageError(str(exc)) from None


def reproduce_command(args) -> str:
    words = ["archlab bench"]
    if args.formats:
        words.append("--formats")
    if args.outside:
        words.append(f"--outside --seconds {args.seconds:g} --rounds {args.rounds} --connections {args.connections}")
        if args.against:
            words.append(f"--against {shlex.quote(args.against)}")
        return " ".join(words)
    if args.throughput or args.front:
        words.append(f"--{'throughput' if args.throughput else 'front'} --seconds {args.seconds:g}")
    words.append(f"--calls {args.calls}")
    if args.version and not args.throughput:
        words.append(f"--version {args.version}")
    return " ".join(words)
