"""A throw-away ARCHLAB_HOME per notebook run, and the two model versions inside it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .registry import remove_at_exit

HOME_PREFIX = "archlab-nb-"


def fresh_home(name: str) -> Path:
    """Point ARCHLAB_HOME (for this kernel and every process it starts) at a new temporary folder,
    with a signing key pair of this run's own.

    The folder is deleted when the kernel ends, even if it is killed. Call it in a notebook's
    first code cell, before anything reads the settings. The key pair is configured explicitly
    (`ARCHLAB_SIGNING_KEY`; verification uses its public half), so no development key is
    generated and no warning about it interleaves with a cell's output.
    """
    from shared_model.keys import PRIVATE_KEY_FILE, SIGNING_KEY_ENV, VERIFY_KEYS_ENV, generate_key_pair

    home = Path(tempfile.mkdtemp(prefix=f"{HOME_PREFIX}{name}-"))
    os.environ["ARCHLAB_HOME"] = str(home)
    remove_at_exit(home)
    generate_key_pair(home / "keys" / "notebook")
    os.environ[SIGNING_KEY_ENV] = str(home / "keys" / "notebook" / PRIVATE_KEY_FILE)
    os.environ.pop(VERIFY_KEYS_ENV, None)  # one inherited from elsewhere would not trust this run's key
    return home


def ensure_models() -> list[str]:
    """The stored model versions, training v1 and v2 first (about 2 s) if the store is empty."""
    from shared_model import ModelStore, train_and_store

    store = ModelStore()
    if not store.versions():
        train_and_store(store)
    return store.versions()
