"""The deliberately faulty v3 beside the session's v1 and v2, for the bad-model tests.

Import the fixtures into a test module (`from drill_helpers import faulty_home, home_with_v3`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shared_model import ModelStore, train_and_store


@pytest.fixture(scope="session")
def faulty_home(trained_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only ARCHLAB_HOME with v1, v2 and the faulty v3, trained once per session."""
    home = tmp_path_factory.mktemp("faulty-home")
    shutil.copytree(trained_home / "models", home / "models", symlinks=True)
    train_and_store(ModelStore(home / "models"), ("v3",))
    return home


@pytest.fixture
def home_with_v3(faulty_home: Path, archlab_home: Path) -> Path:
    """A fresh ARCHLAB_HOME (set in the environment) holding a copy of v1, v2 and v3."""
    shutil.copytree(faulty_home / "models", archlab_home / "models", symlinks=True)
    return archlab_home
