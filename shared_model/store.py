"""The local model store: one folder per version under `$ARCHLAB_HOME/models/`."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from .artifacts import METADATA_FILE, compatibility_problems, load_files, pack, verified_metadata
from .config import archlab_home, signing_key
from .errors import IntegrityError, ModelError, ModelNotFoundError
from .model import Model

_VERSION_NAME = re.compile(r"^v[0-9]+[A-Za-z0-9._-]*$")


def check_version_name(version: str) -> str:
    if not isinstance(version, str) or not _VERSION_NAME.match(version):
        raise ModelNotFoundError(f"invalid version name {version!r}: expected 'v' and a number, like 'v1' or 'v2'")
    return version


def _version_order(version: str):
    number = re.match(r"v([0-9]+)", version)
    return (int(number.group(1)), version)


class ModelStore:
    """Versioned, signed artifacts on disk. Writes are atomic (a temp folder renamed into place)."""

    def __init__(self, root: Path | str | None = None, key: bytes | None = None):
        self.root = Path(root) if root is not None else archlab_home() / "models"
        self.key = key or signing_key()

    def path(self, version: str) -> Path:
        return self.root / check_version_name(version)

    def versions(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir() if (p / METADATA_FILE).is_file() and _VERSION_NAME.match(p.name)]
        return sorted(found, key=_version_order)

    def latest(self) -> str:
        versions = self.versions()
        if not versions:
            raise ModelNotFoundError(f"the model store {self.root} is empty: run `archlab train` first")
        return versions[-1]

    def files(self, version: str) -> dict[str, bytes]:
        folder = self.path(version)
        if not (folder / METADATA_FILE).is_file():
            known = ", ".join(self.versions()) or "none (run `archlab train`)"
            raise ModelNotFoundError(f"no model version {version!r} in {self.root}; stored versions: {known}")
        return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}

    def write(self, version: str, files: dict[str, bytes]) -> Path:
        target = self.path(version)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=self.root))
        for name, data in files.items():
            (staging / name).write_bytes(data)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
        return target

    def verified_files(self, version: str | None = None) -> tuple[dict, dict[str, bytes]]:
        """The signed metadata and the files it vouches for, all checked; nothing is unpickled."""
        files = self.files(version or self.latest())
        return verified_metadata(files, self.key), files

    def load(self, version: str | None = None, *, portable: bool = False) -> Model:
        """The verified model (newest when `version` is None); see artifacts.load_files."""
        return load_files(self.files(version or self.latest()), self.key, portable=portable)

    def bundle(self, version: str | None = None) -> bytes:
        return pack(self.files(version or self.latest()))

    def metadata(self, version: str) -> dict:
        return json.loads(self.files(version)[METADATA_FILE])

    def status(self, version: str) -> str:
        """'ok', or why loading would be refused — without unpickling anything."""
        try:
            metadata = verified_metadata(self.files(version), self.key)
        except IntegrityError as exc:
            return f"REFUSED: {exc}"
        except ModelError as exc:
            return f"missing: {exc}"
        problems = compatibility_problems(metadata)
        return "incompatible: " + "; ".join(problems) if problems else "ok"
