"""The one rule for tests that need a service this machine may lack (PostgreSQL, RabbitMQ, Chromium,
Docker Compose, hadolint): skip on a laptop without it, saying how to get it; fail when CI=true,
so CI can never go green by skipping. Used by tests/conftest.py and notebooks/conftest.py.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import socket

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def missing_service_message(name: str, how_to_get_it: str) -> str:
    return f"{name} is not available; {how_to_get_it}"


def require_service(name: str, available: bool, how_to_get_it: str) -> None:
    """Return when the service is there; otherwise skip (laptop) or fail (CI=true)."""
    if available:
        return
    message = missing_service_message(name, how_to_get_it)
    if in_ci():
        pytest.fail(f"CI=true requires {message}", pytrace=False)
    pytest.skip(message, allow_module_level=True)


def require_module(name: str, how_to_get_it: str = "install the dev extra: pip install -e '.[dev]'"):
    """The imported module, under the same rule: instead of `pytest.importorskip`, which skips in CI
    too. Usable at a test module's top level (the whole module is skipped, or fails in CI)."""
    package = name.split(".")[0]
    require_service(f"the Python package {package!r}", importlib.util.find_spec(package) is not None, how_to_get_it)
    return importlib.import_module(name)
