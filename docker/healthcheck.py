"""Container health probe: `archlab-healthcheck CHECK...`, exit 0 when every check passes.

The slim base image has no curl, and a worker has no HTTP port, so one small stdlib-first probe
covers every deployable:

- `http://...`  the URL answers 200 (web front `/health`, model service `/ready`);
- `store`       the newest model in $ARCHLAB_HOME/models verifies with this container's trusted keys;
- `database`    `DATABASE_URL` (or the SQLite default) accepts a connection.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 3


def check_http(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return f"{url} answered {response.status}"
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RuntimeError(f"{url} did not answer: {getattr(exc, 'reason', exc)}") from None


def check_store() -> str:
    from shared_model import ModelError, ModelStore

    store = ModelStore()
    try:
        version = store.latest()
    except ModelError as exc:
        raise RuntimeError(str(exc)) from None
    status = store.status(version)
    if status != "ok":
        raise RuntimeError(f"model {version} in {store.root} cannot be loaded: {status}")
    return f"model store {store.root}: {version} verified"


def check_database() -> str:
    import sqlalchemy

    import importlib

    url = importlib.import_module("patterns.async.settings").AsyncSettings.from_env().effective_database_url
    engine = sqlalchemy.create_engine(url, connect_args=_connect_timeout(url))
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise RuntimeError(f"database unreachable: {exc.__class__.__name__}: {exc.orig or exc}") from None
    finally:
        engine.dispose()
    return f"database {engine.url.render_as_string(hide_password=True)} answers"


def _connect_timeout(url: str) -> dict:
    return {"connect_timeout": TIMEOUT_SECONDS} if url.startswith("postgresql") else {}


def run(checks: list[str]) -> int:
    if not checks:
        print("usage: archlab-healthcheck (URL | store | database)...", file=sys.stderr)
        return 2
    healthy = True
    for check in checks:
        try:
            if check.startswith(("http://", "https://")):
                print(check_http(check))
            elif check == "store":
                print(check_store())
            elif check == "database":
                print(check_database())
            else:
                print(f"unknown check {check!r}: expected a URL, 'store' or 'database'", file=sys.stderr)
                return 2
        except RuntimeError as exc:
            print(f"unhealthy: {exc}", file=sys.stderr)
            healthy = False
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
