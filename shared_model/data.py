"""The shipped Ames house data (see data/DATA.md): loaders and the hash that artifacts record."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
TRAINING_FILE = DATA_DIR / "train.csv.gz"
NEW_HOUSES_FILE = DATA_DIR / "new_houses.csv.gz"


def load_training_data():
    """The 1,460 labelled houses (81 columns including SalePrice) as a DataFrame."""
    import pandas as pd

    return pd.read_csv(TRAINING_FILE)


def load_new_houses():
    """The 1,459 unlabelled houses (the batch the async architecture scores) as a DataFrame."""
    import pandas as pd

    return pd.read_csv(NEW_HOUSES_FILE)


def new_houses_records() -> list[dict]:
    """The new houses as raw CSV records (strings; empty or 'NA' cells are missing values)."""
    with gzip.open(NEW_HOUSES_FILE, "rt", newline="") as handle:
        return list(csv.DictReader(handle))


def new_houses_csv_text() -> str:
    with gzip.open(NEW_HOUSES_FILE, "rt", newline="") as handle:
        return handle.read()


@cache
def training_data_sha256() -> str:
    """SHA-256 of the uncompressed training CSV, recorded in every artifact."""
    with gzip.open(TRAINING_FILE, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def read_csv_records(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))
