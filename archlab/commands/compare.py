"""`archlab compare`: the main job. Prints progress on stderr and the report folder as its last line."""

from __future__ import annotations

import time

from patterns.launch.architectures import ARCHITECTURES
from patterns.launch.contract import PartUnavailable
from patterns.launch.process import ProcessFailed

from ..compare.budget import FULL, QUICK
from ..compare.run import run_comparison, say
from ..errors import UsageError


def register(subparsers) -> None:
    parser = subparsers.add_parser("compare", help="measure every architecture and write the report")
    parser.add_argument("--quick", action="store_true", help="fewer requests and shorter runs, for tests and demos")
    parser.add_argument("--only", action="append", choices=ARCHITECTURES, metavar="ARCH",
                        help=f"measure only this architecture (repeatable; one of {', '.join(ARCHITECTURES)})")
    parser.set_defaults(func=run)


def run(args) -> int:
    started = time.monotonic()
    only = tuple(args.only or ())
    try:
        folder = run_comparison(QUICK if args.quick else FULL, quick=args.quick, architectures=only)
    except (ProcessFailed, PartUnavailable, ConnectionError) as exc:  # a part would not start, or is away
        raise UsageError(f"a system could not start, so nothing more was measured: {exc}") from None
    say(f"finished in {time.monotonic() - started:.0f} s")
    print(folder)
    return 0
