"""Which code a committed notebook's outputs were made by.

nbval re-runs a notebook and compares text, so a chart drawn by older code (an image) passes
unnoticed. `archlab notebooks --execute` therefore records, in the notebook's metadata, a digest of
the files whose behaviour the notebooks show; a test compares it with the checkout's and fails
when the code changed after the outputs were made.

The file set (SOURCES) is what a notebook calls and shows: the notebook helpers and charts
(archlab/notebook, archlab/report), the measurements and the comparison (archlab/measure,
archlab/compare), every architecture it launches (patterns/) and the model (shared_model/). The
CLI, `archlab bench` and the test helpers are left out: changing them changes no notebook output.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
SOURCES = ("archlab/notebook", "archlab/report", "archlab/measure", "archlab/compare", "patterns", "shared_model")
RECORD = "executed_against"
HOW_TO_REFRESH = "archlab notebooks --execute"


def source_files(root: Path = REPO) -> list[Path]:
    files = (path for folder in SOURCES for path in (root / folder).rglob("*") if path.is_file())
    return sorted(path for path in files if "__pycache__" not in path.parts and path.suffix != ".pyc")


def source_digest(root: Path = REPO) -> str:
    """SHA-256 over the SOURCES files' paths and contents (order-independent of the file system)."""
    digest = hashlib.sha256()
    for path in source_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def recorded_digest(notebook) -> str | None:
    """The digest a notebook's outputs were made against (None: never executed the project's way)."""
    return notebook.metadata.get("archlab", {}).get(RECORD, {}).get("sha256")


def record(notebook, digest: str) -> None:
    notebook.metadata.setdefault("archlab", {})[RECORD] = {"sources": list(SOURCES), "sha256": digest}
