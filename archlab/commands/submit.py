"""`archlab submit`: store houses as asynchronous prediction requests; `archlab score` predicts them.

Invalid rows are reported on stderr with their row numbers and field errors and are not stored;
the valid rows are. The exit code is 2 when any row was invalid (as for `archlab predict`).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from shared_model.data import new_houses_records

from ..errors import UsageError
from .predict import read_records

SOURCE_MAX_CHARS = 64


def register(subparsers) -> None:
    parser = subparsers.add_parser("submit", help="store houses as requests for the async scoring job")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="CSV or JSON file of houses ('-' reads stdin)")
    source.add_argument("--new-houses", action="store_true", help="the 1,459 unlabelled houses shipped with the model")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.new_houses:
        rows, source = new_houses_records(), "cli:new-houses"
    else:
        rows, _ = read_records(args.file, None)
        source = f"cli:{Path(args.file).name}"[:SOURCE_MAX_CHARS]
    store_module = importlib.import_module("patterns.async.store")
    intake = importlib.import_module("patterns.async.intake")
    settings = importlib.import_module("patterns.async.settings").AsyncSettings.from_env()
    try:
        store = store_module.Store.connect(settings.effective_database_url)
    except store_module.DatabaseUnavailable as exc:
        raise UsageError(str(exc)) from None
    try:
        report = intake.submit_records(store, rows, source)
    finally:
        store.close()
    *problems, summary = report.lines()
    for line in problems:
        print(line, file=sys.stderr)
    print(summary)
    return 2 if report.invalid else 0
