"""`python -m patterns.client.server --root DIR --port N`: the static server of the app releases.

It predicts nothing: it hands out the current release (the page at `/`, its manifest at
`/release.json`) and every release's files under `/releases/<release>/`, which never change once
written (cached for good). The current release is read at each request, so a publish (the
`current` link swapped) reaches the next new visitor without a restart.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import re
import signal
import sys
from pathlib import Path

from patterns.web.runtime import loaded_distributions
from patterns.web.wsgi_server import create_server

from .bundle import MANIFEST, PAGE, current_link, releases_dir

RELEASE_FILE = re.compile(r"/releases/([0-9A-Za-z][0-9A-Za-z._-]*)/([0-9A-Za-z][0-9A-Za-z._-]*)")
MAX_BODY = 1024  # nothing here reads a body
FOREVER = "public, max-age=31536000, immutable"  # a release's files never change once written
ROUTES = "GET / (the app), GET /release.json (what a new visitor gets), GET /releases/<release>/<file>"
# The page gets a high-resolution clock (cross-origin isolated), and scripts from this server only.
PAGE_HEADERS = [
    ("Cross-Origin-Opener-Policy", "same-origin"), ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'"),
]


def create_app(workdir: Path):
    """The WSGI app serving the releases under `workdir`."""

    def app(environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        if path == "/health":
            return _json(start_response, "200 OK", {"status": "ok"})
        if path == "/status":
            return _json(start_response, "200 OK", _status(workdir))
        if method not in ("GET", "HEAD"):
            return _json(start_response, "405 Method Not Allowed", {
                "error": "Method Not Allowed",
                "message": f"{method} {path}: this server only hands out the app, which predicts in the browser; "
                           f"it answers {ROUTES}"}, [("Allow", "GET, HEAD")])
        if path in ("/", "/index.html"):
            return _file(start_response, current_link(workdir) / PAGE, "no-cache", PAGE_HEADERS)
        if path == "/release.json":
            return _file(start_response, current_link(workdir) / MANIFEST, "no-store")
        if match := RELEASE_FILE.fullmatch(path):
            return _file(start_response, releases_dir(workdir) / match[1] / match[2], FOREVER)
        return _not_found(start_response, path)

    return app


def _status(workdir: Path) -> dict:
    try:
        manifest = json.loads((current_link(workdir) / MANIFEST).read_text())
    except (OSError, ValueError):
        manifest = {}
    return {"architecture": "client", "release": manifest.get("release"),
            "model_version": manifest.get("model_version"),
            "runtime": {"pid": os.getpid(), "scikit_learn_loaded": "sklearn" in sys.modules,
                        "distributions": loaded_distributions()}}


def _file(start_response, path: Path, cache: str, extra: list | None = None):
    try:
        body = path.read_bytes()
    except OSError:
        return _not_found(start_response, "/" + path.name)
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers = [("Content-Type", f"{kind}; charset=utf-8" if kind.startswith(("text/", "application/j")) else kind),
               ("Content-Length", str(len(body))), ("Cache-Control", cache),
               ("Cross-Origin-Resource-Policy", "same-origin"), *(extra or [])]
    start_response("200 OK", headers)
    return [body]


def _not_found(start_response, path: str):
    return _json(start_response, "404 Not Found", {"error": "Not Found", "message": f"no {path} here; {ROUTES}"})


def _json(start_response, status: str, data: dict, extra: list | None = None):
    body = json.dumps(data).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store"), *(extra or [])])
    return [body]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns.client.server", description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="the folder holding releases/ and current")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if not (current_link(args.root) / MANIFEST).is_file():
        print(f"python -m patterns.client.server: no published release under {args.root} "
              f"(expected {current_link(args.root) / MANIFEST})", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    print(f"archlab client app releases on http://{args.host}:{args.port}", flush=True)
    create_server(create_app(args.root), args.host, args.port, threads=4, max_body=MAX_BODY).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
