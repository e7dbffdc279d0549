"""Shared fixtures. The rule for external services is `archlab.testing.require_service`."""

from __future__ import annotations

import importlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from archlab.testing import require_service, tcp_open


# The suite runs on two workers (`make test`: pytest-xdist, one file per worker at a time). A file
# collected last that runs for minutes would leave one worker idle at the end, so the longest files
# (each a comparison or a started system shared by its tests) are handed out first.
LONGEST_FIRST = (
    "tests/test_compare.py",
    "notebooks/05_compare.ipynb",
    "tests/test_compare_variants.py",
    "tests/test_system_contract.py",
    "tests/test_classroom.py",
    "tests/test_async_supervision.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    root = config.rootpath
    items.sort(key=lambda item: rank.get(item.path.relative_to(root).as_posix(), len(rank)))


def archlab_tables_in_public(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_name LIKE 'archlab\\_%'")).scalars())
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The test server's URL. Tests leave nothing behind in its public schema: each creates what
    it uses in a schema or database of its own and drops it (`throw_away_schema`, a run's
    namespace); archlab tables that appear in public during the session fail it at the end."""
    url = os.environ.get("ARCHLAB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    require_service(
        "PostgreSQL",
        tcp_open("127.0.0.1", 5432) or "ARCHLAB_TEST_POSTGRES_URL" in os.environ,
        "start a server on 127.0.0.1:5432 with a database 'test' (trust auth), "
        "or set ARCHLAB_TEST_POSTGRES_URL",
    )
    before = archlab_tables_in_public(url)
    yield url
    left = sorted(archlab_tables_in_public(url) - before)
    assert not left, (f"the tests left {len(left)} archlab tables in the public schema of {make_url(url).database}: "
                      f"{', '.join(left)}; a test must use a schema or database of its own "
                      "(the database_url or postgres_schema_url fixture, or a run's namespace) and drop it")


@pytest.fixture(scope="session")
def amqp_url() -> str:
    url = os.environ.get("ARCHLAB_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
    require_service(
        "RabbitMQ",
        tcp_open("127.0.0.1", 5672) or "ARCHLAB_TEST_AMQP_URL" in os.environ,
        "install and start rabbitmq-server (guest/guest on 127.0.0.1:5672), or set ARCHLAB_TEST_AMQP_URL",
    )
    return url


@pytest.fixture(scope="session")
def chromium_path() -> str:
    from archlab.chromium import chromium_path as find

    path = find()
    require_service("Chromium", bool(path), "install it (Debian: apt-get install -y chromium) or set ARCHLAB_CHROMIUM")
    return path


@pytest.fixture
def browser(chromium_path):
    """Headless chromium for one test, launched with archlab's flags (closed after it, so a test
    may drive a browser of its own, as the client bench does)."""
    from archlab.chromium import CHROMIUM_ARGS
    from archlab.testing import require_module

    with require_module("playwright.sync_api").sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session", autouse=True)
def signing_keys(tmp_path_factory: pytest.TempPathFactory):
    """One explicit key pair for the whole session (child processes inherit it), so models trained
    once verify in every test's fresh ARCHLAB_HOME. Tests of the development key unset both."""
    from shared_model.keys import PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, SIGNING_KEY_ENV, VERIFY_KEYS_ENV, generate_key_pair

    folder = tmp_path_factory.mktemp("signing-keys")
    key = generate_key_pair(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SIGNING_KEY_ENV, str(folder / PRIVATE_KEY_FILE))
        patch.setenv(VERIFY_KEYS_ENV, str(folder / PUBLIC_KEY_FILE))
        yield key


@pytest.fixture
def archlab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ARCHLAB_HOME for one test, so tests never touch the user's working folder."""
    home = tmp_path / "archlab-home"
    home.mkdir()
    monkeypatch.setenv("ARCHLAB_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ARCHLAB_HOME with v1 and v2 trained once per test session. Treat it as read-only."""
    from shared_model import ModelStore, train_and_store

    home = tmp_path_factory.mktemp("trained-home")
    train_and_store(ModelStore(home / "models"))
    return home


@pytest.fixture
def home_with_models(trained_home: Path, archlab_home: Path) -> Path:
    """A fresh ARCHLAB_HOME (set in the environment) holding a copy of the trained models."""
    shutil.copytree(trained_home / "models", archlab_home / "models", symlinks=True)
    return archlab_home


@pytest.fixture(scope="session")
def faulty_home(trained_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only ARCHLAB_HOME with v1, v2 and the drill's faulty v3, trained once per session."""
    from shared_model import ModelStore, train_and_store

    home = tmp_path_factory.mktemp("faulty-home")
    shutil.copytree(trained_home / "models", home / "models", symlinks=True)
    train_and_store(ModelStore(home / "models"), ("v3",))
    return home


@pytest.fixture
def home_with_v3(faulty_home: Path, archlab_home: Path) -> Path:
    """A fresh ARCHLAB_HOME (set in the environment) holding a copy of v1, v2 and v3."""
    shutil.copytree(faulty_home / "models", archlab_home / "models", symlinks=True)
    return archlab_home


@contextmanager
def throw_away_schema(server: str) -> Iterator[str]:
    """A URL selecting a new, empty schema on the database of `server` (how a shared database gives
    each application its own: `?options=-csearch_path%3Dname`); the schema is dropped afterwards."""
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


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, home_with_models):
    """A fresh, empty database: a file under ARCHLAB_HOME, or a throw-away PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{home_with_models / 'async.db'}"
        return
    with throw_away_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture(scope="module")
def postgres_schema_url(postgres_url) -> Iterator[str]:
    """A user's URL that selects a schema of a shared database (empty; dropped after the module)."""
    with throw_away_schema(postgres_url) as url:
        yield url


@pytest.fixture
def store(database_url):
    opened = importlib.import_module("patterns.async.store").Store.connect(database_url)
    yield opened
    opened.close()


class FakeBackend:
    """A `patterns.web.backend.Backend` with no model behind it (flaskr-style tests of the front):
    a constant price per record, or the exception a test puts in `error`."""

    architecture = "fake"

    def __init__(self) -> None:
        self.error: Exception | None = None
        self.seen: list[list[dict]] = []
        self.closed = False

    def predict(self, records: list[dict]):
        from patterns.web.backend import Prediction

        if self.error is not None:
            raise self.error
        self.seen.append(records)
        return Prediction([123_456.0] * len(records), "v-fake")

    def status(self) -> dict:
        return {"model_version": "v-fake"}

    def blueprint(self):
        return None

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def app(fake_backend):
    from patterns.web import create_app

    return create_app(fake_backend, test_config={"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()
