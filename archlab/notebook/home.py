"""A throw-away ARCHLAB_HOME per notebook run, and the two model versions inside it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .registry import remove_at_exit

HOME_PREFIX = "archlab-nb-"


def fresh_home(name: str) -> Path:
    """Point ARCHLAB_HOME (for this kernel and every process it starts) at a new temporary folder.

    The folder is deleted when the kernel ends, even if it is killed. Call it in a notebook's
    first code cell, before anything reads the setting.
    """
    home = Path(tempfile.mkdtemp(prefix=f"{HOME_PREFIX}{name}-"))
    os.environ["ARCHLAB_HOME"] = str(home)
    remove_at_exit(home)
    return home


def ensure_models() -> list[str]:
    """The stored model versions, training v1 and v2 first (about 2 s) if the store is empty."""
    from shared_model import ModelStore, train_and_store

    store = ModelStore()
    if not store.versions():
        train_and_store(store)
    return store.versions()
