"""`archlab compare`: the main job. Prints progress on stderr and the report folder as its last line."""

from __future__ import annotations

import time

from ..compare.budget import FULL, QUICK
from ..compare.run import run_comparison, say
from ..compare.subjects import SUBJECTS


def register(subparsers) -> None:
    parser = subparsers.add_parser("compare", help="measure all four architectures and write the report")
    parser.add_argument("--quick", action="store_true", help="fewer requests (under a minute), for tests and demos")
    parser.add_argument("--only", action="append", choices=[s.name for s in SUBJECTS], metavar="ARCH",
                        help="measure only this architecture (repeatable)")
    parser.set_defaults(func=run)


def run(args) -> int:
    started = time.monotonic()
    folder = run_comparison(QUICK if args.quick else FULL, quick=args.quick, architectures=tuple(args.only or ()))
    say(f"finished in {time.monotonic() - started:.0f} s")
    print(folder)
    return 0
