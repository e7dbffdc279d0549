"""`python -m patterns.web --host 127.0.0.1 --port N`: the front under waitress for ARCHLAB_ARCH
(set up for slow and idle clients: see `wsgi_server`)."""

from __future__ import annotations

import argparse
import signal
import sys

from shared_model import ModelError
from shared_model.keys import require_keys_for_listener

from patterns.settings import Settings

from . import MAX_CONTENT_LENGTH, create_app
from .backend import load_backend
from .wsgi_server import create_server


def _exit_on_sigterm(signum, frame):
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns.web", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()  # ValueError names the setting, e.g. MODEL_COST_MS=fast
        require_keys_for_listener(args.host)
        backend = load_backend(settings)
    except (ValueError, ModelError) as exc:  # e.g. the development signing key where others could reach the app
        print(f"python -m patterns.web: {exc}", file=sys.stderr)
        return 2
    # SIGTERM unwinds through `finally`, so the backend closes its connections and threads.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        print(f"archlab front ({settings.arch}) on http://{args.host}:{args.port}", flush=True)
        create_server(create_app(backend), args.host, args.port, threads=args.threads, max_body=MAX_CONTENT_LENGTH).run()
    finally:
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
