"""`archlab score`: the async scoring job (claims pending requests in chunks, predicts, stores)."""

from __future__ import annotations

import importlib

from ..errors import UsageError


def register(subparsers) -> None:
    parser = subparsers.add_parser("score", help="predict the stored async requests, once or on a schedule")
    importlib.import_module("patterns.async.worker").add_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    worker = importlib.import_module("patterns.async.worker")
    store = importlib.import_module("patterns.async.store")
    try:
        return worker.run(args)
    except store.DatabaseUnavailable as exc:
        raise UsageError(str(exc)) from None
