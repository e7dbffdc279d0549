"""Helpers for the async architecture's tests: its modules, a database per test (SQLite and PostgreSQL)."""

from __future__ import annotations

import importlib
import itertools
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from shared_model import input_fields
from shared_model.data import new_houses_records


def async_module(name: str):
    """`patterns.async.<name>` (`async` is a keyword, so no import statement can name it)."""
    return importlib.import_module(f"patterns.async.{name}")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, home_with_models):
    """A fresh, empty database: a file under ARCHLAB_HOME, or a throw-away PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{home_with_models / 'async.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    schema = f"archlab_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(database_url):
    opened = async_module("store").Store.connect(database_url)
    yield opened
    opened.close()


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
