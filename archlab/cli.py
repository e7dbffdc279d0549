"""`archlab`: the single entry point. Each subcommand lives in `archlab.commands.<name>`.

A command module exposes `register(subparsers)`, which adds its parser and sets `func`
(a callable taking the parsed namespace and returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from shared_model import ModelError

from .errors import UsageError

COMMAND_MODULES = (
    "train",
    "models",
    "predict",
    "bench",
    "compare",
    "results",
    "submit",
    "score",
    "serve",
    "publish",
    "keys",
    "plan",
    "classroom",
    "notebooks",
)

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archlab",
        description="Compare the ways of serving one house-price model (embedded, a model API, streaming, asynchronous, in the client).",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"archlab.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UsageError, ModelError) as exc:
        print(f"archlab {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error of ours
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
