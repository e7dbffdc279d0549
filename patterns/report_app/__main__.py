"""`python -m patterns.report_app --host 127.0.0.1 --port N`: the pricing report under waitress,
for the architecture ARCHLAB_ARCH names (the same settings as the front)."""

from __future__ import annotations

import argparse
import signal
import sys

from shared_model import ModelError
from shared_model.keys import require_keys_for_listener

from patterns.web.wsgi_server import create_server

from . import MAX_CONTENT_LENGTH, create_report_app


def _exit_on_sigterm(signum, frame):
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns.report_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args(argv)
    try:
        require_keys_for_listener(args.host)
        app = create_report_app()
    except ModelError as exc:  # e.g. the development signing key where others could reach the app
        print(f"python -m patterns.report_app: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # unwinds through `finally`: the backend closes
    try:
        print(f"archlab pricing report on http://{args.host}:{args.port}/report", flush=True)
        create_server(app, args.host, args.port, threads=4, max_body=MAX_CONTENT_LENGTH, ident="archlab-report").run()
    finally:
        app.extensions["archlab.report"].backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
