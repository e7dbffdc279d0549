"""Helpers for the async architecture's tests (its fixtures `database_url` and `store` are in conftest.py)."""

from __future__ import annotations

import base64
import importlib
import re

from sqlalchemy import func, select

REVIEWERS = "ann:ann-secret,bob:bob-secret"  # ARCHLAB_REVIEWERS for the tests


def basic_auth(name: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


ANN = basic_auth("ann", "ann-secret")


def csrf_token(page: str) -> str:
    """The CSRF token a dashboard page puts in its forms."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def async_module(name: str):
    """`patterns.async.<name>` (`async` is a keyword, so no import statement can name it)."""
    return importlib.import_module(f"patterns.async.{name}")


def houses(count: int) -> list[dict]:
    """`count` valid houses (the shipped new houses, repeated), cut down to the model's fields."""
    return async_module("lab.bench").new_houses(count)


def predictions_per_request(store) -> dict[int, int]:
    """request id -> number of prediction rows (history included)."""
    p = async_module("schema").predictions
    with store.engine.connect() as conn:
        return dict(conn.execute(select(p.c.request_id, func.count()).group_by(p.c.request_id)).all())


def statuses(store) -> dict[str, int]:
    r = async_module("schema").requests
    with store.engine.connect() as conn:
        return dict(conn.execute(select(r.c.status, func.count()).group_by(r.c.status)).all())
