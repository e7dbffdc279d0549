"""Helpers for the async architecture's tests (its fixtures `database_url` and `store` are in conftest.py)."""

from __future__ import annotations

import importlib
import itertools

from sqlalchemy import func, select

from shared_model import input_fields
from shared_model.data import new_houses_records


def async_module(name: str):
    """`patterns.async.<name>` (`async` is a keyword, so no import statement can name it)."""
    return importlib.import_module(f"patterns.async.{name}")


def houses(count: int) -> list[dict]:
    """`count` valid houses (the shipped new houses, repeated), cut down to the model's fields."""
    names = {spec.name for spec in input_fields()}
    rows = [{k: v for k, v in row.items() if k in names} for row in new_houses_records()]
    return list(itertools.islice(itertools.cycle(rows), count))


def predictions_per_request(store) -> dict[int, int]:
    """request id -> number of prediction rows (history included)."""
    p = async_module("schema").predictions
    with store.engine.connect() as conn:
        return dict(conn.execute(select(p.c.request_id, func.count()).group_by(p.c.request_id)).all())


def statuses(store) -> dict[str, int]:
    r = async_module("schema").requests
    with store.engine.connect() as conn:
        return dict(conn.execute(select(r.c.status, func.count()).group_by(r.c.status)).all())
