"""A minimal WSGI app answering a constant, served by waitress (the model service's server).

Run as `python -m archlab.measure.constant_server --port N`: the floor for one loopback HTTP
round trip, with no model, no validation and no framework in the way.
"""

from __future__ import annotations

import argparse

import waitress

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
    args = parser.parse_args(argv)
    waitress.serve(app, host=args.host, port=args.port, _quiet=True)


if __name__ == "__main__":
    main()
