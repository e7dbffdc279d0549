"""A minimal WSGI app answering a constant, on the very server the fronts and the model service
run on (`patterns.web.serving`: waitress with the same limits and timeouts).

Run as `python -m archlab.measure.constant_server --port N`: the floor for one loopback HTTP
round trip, with no model, no validation and no framework in the way.
"""

from __future__ import annotations

import argparse

from patterns.web import MAX_CONTENT_LENGTH
from patterns.web.serving import create_server

BODY = b'{"prediction": 0.0, "model_version": "constant"}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    """Read the request body (a real service must) and answer the same bytes every time."""
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", HEADERS)
    return [BODY]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8, help="as the front's default")
    args = parser.parse_args(argv)
    create_server(app, args.host, args.port, threads=args.threads, max_body=MAX_CONTENT_LENGTH).run()


if __name__ == "__main__":
    main()
