"""Constant answers on the very server the fronts and the model service run on
(`patterns.web.wsgi_server`: waitress with the same limits and timeouts): the floors of the same shape.

    python -m archlab.measure.constant_server --port N                       # bare WSGI
    python -m archlab.measure.constant_server --port N --flask               # a Flask route
    python -m archlab.measure.constant_server --port N --flask --backend URL # Flask, calling URL

- bare: a WSGI callable that reads the body and answers fixed bytes. The server's floor: one
  loopback round trip with no framework, no parsing, no model.
- `--flask`: a Flask route handling a request as the front does (the JSON body parsed, a JSON
  answer built with `jsonify`). The framework's floor.
- `--flask --backend URL`: that route also POSTs the parsed body to `URL` on a kept-alive
  connection per server thread (as the API front calls its model service) and answers with the
  back end's JSON. With a `--flask` back end: two round trips in series, the API's shape, no model.
"""

from __future__ import annotations

import argparse
import json
import threading

from flask import Flask, abort, jsonify, request

from patterns import http
from patterns.web import MAX_CONTENT_LENGTH
from patterns.web.wsgi_server import create_server

ANSWER = {"prediction": 0.0, "model_version": "constant"}
BODY = json.dumps(ANSWER).encode()
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    """Read the request body (a real service must) and answer the same bytes every time."""
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", HEADERS)
    return [BODY]


def flask_app(backend_url: str | None = None, timeout_s: float = 5.0) -> Flask:
    """POST /predict parses the JSON body and answers JSON: the constant, or what `backend_url` answered."""
    constant = Flask(__name__)
    constant.config.update(MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH)
    local = threading.local()  # one kept-alive connection to the back end per server thread

    @constant.get("/health")
    def health():
        return jsonify(status="ok")

    @constant.post("/predict")
    def predict():
        body = request.get_json(force=True)  # json.loads of the body, as the front's parse_json; 400 if not JSON
        if backend_url is None:
            return jsonify(ANSWER)
        if getattr(local, "connection", None) is None:
            local.connection = http.Connection(backend_url, timeout_s)
        try:
            answer = local.connection.request("POST", "/predict", json.dumps(body).encode(), http.JSON_HEADERS)
        except http.NoAnswer as exc:
            abort(503, description=f"the constant back end at {backend_url} did not answer: {exc}")
        if not answer.ok:
            abort(503, description=f"the constant back end at {backend_url} answered {answer.status}")
        return jsonify(answer.json())

    return constant


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8, help="as the front's default")
    parser.add_argument("--flask", action="store_true", help="a Flask route instead of a bare WSGI callable")
    parser.add_argument("--backend", metavar="URL", help="with --flask: POST each body to URL/predict first")
    args = parser.parse_args(argv)
    if args.backend and not args.flask:
        parser.error("--backend needs --flask (the bare WSGI callable calls nothing)")
    wsgi = flask_app(args.backend) if args.flask else app
    create_server(wsgi, args.host, args.port, threads=args.threads, max_body=MAX_CONTENT_LENGTH).run()


if __name__ == "__main__":
    main()
