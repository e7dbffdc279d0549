"""`archlab train`: train and store the model versions (v1 and v2 by default)."""

from __future__ import annotations

import time

from shared_model import ModelStore, train_and_store

from .models import print_table


def register(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train and store model versions v1 and v2 (v3, the deliberately faulty version of the bad-model drill, only when named)")
    parser.add_argument("versions", nargs="*", metavar="VERSION", help="train only these versions (default: v1 and v2; v3 is the faulty one, prices x10)")
    parser.set_defaults(func=run)


def run(args) -> int:
    store = ModelStore()
    started = time.perf_counter()
    trained = train_and_store(store, tuple(args.versions) or None)
    print(f"trained {', '.join(trained)} in {time.perf_counter() - started:.1f} s into {store.root}")
    print_table(store, trained)
    return 0
