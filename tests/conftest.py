"""Shared fixtures. The rule for external services lives here, in `require_service`."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(name: str, available: bool, how_to_get_it: str) -> None:
    """Skip on a laptop without the service; fail in CI, where a skip would hide a gap."""
    if available:
        return
    message = f"{name} is not available; {how_to_get_it}"
    if IN_CI:
        pytest.fail(f"CI=true requires {message}", pytrace=False)
    pytest.skip(message)


def _tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("ARCHLAB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    require_service(
        "PostgreSQL",
        _tcp_open("127.0.0.1", 5432) or "ARCHLAB_TEST_POSTGRES_URL" in os.environ,
        "start a server on 127.0.0.1:5432 with a database 'test' (trust auth), "
        "or set ARCHLAB_TEST_POSTGRES_URL",
    )
    return url


@pytest.fixture(scope="session")
def amqp_url() -> str:
    url = os.environ.get("ARCHLAB_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
    require_service(
        "RabbitMQ",
        _tcp_open("127.0.0.1", 5672) or "ARCHLAB_TEST_AMQP_URL" in os.environ,
        "install and start rabbitmq-server (guest/guest on 127.0.0.1:5672), or set ARCHLAB_TEST_AMQP_URL",
    )
    return url


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("ARCHLAB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    require_service("Chromium", bool(path), "install it (Debian: apt-get install -y chromium) or set ARCHLAB_CHROMIUM")
    return path


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
    shutil.copytree(trained_home / "models", archlab_home / "models")
    return archlab_home
