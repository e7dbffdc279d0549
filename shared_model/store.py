"""The local model store: one folder per version under `$ARCHLAB_HOME/models/`."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from .artifacts import METADATA_FILE, compatibility_problems, load_files, pack, verified_metadata
from .config import archlab_home
from .errors import IntegrityError, ModelError, ModelNotFoundError
from .keys import SigningKey, TrustedKeys, signing_key, trusted_keys
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
    """Versioned, signed artifacts on disk. Writes are atomic (a temp folder renamed into place).

    `key` signs (training only) and `trusted` verifies; both come from the environment on first
    use (shared_model.keys) unless given, so listing the store needs no key at all.
    """

    def __init__(self, root: Path | str | None = None, key: SigningKey | None = None,
                 trusted: TrustedKeys | None = None):
        self.root = Path(root) if root is not None else archlab_home() / "models"
        self._key = key
        self._trusted = trusted

    @property
    def key(self) -> SigningKey:
        if self._key is None:
            self._key = signing_key()
        return self._key

    @property
    def trusted(self) -> TrustedKeys:
        if self._trusted is None:
            self._trusted = trusted_keys()
        return self._trusted

    def path(self, version: str) -> Path:
        return self.root / check_version_name(version)

    def versions(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir() if (p / METADATA_FILE).is_file() and _VERSION_NAME.match(p.name)]
        return sorted(found, key=_version_order)

    def latest(self) -> str:
        """The newest version fit to serve by default: one trained faulty on purpose (its metadata
        names a `fault`: the drill's v3) is served only when asked for by name."""
        versions = [v for v in self.versions() if "fault" not in self.metadata(v)]
        if not versions:
            raise ModelNotFoundError(f"the model store {self.root} is empty: run `archlab train` first")
        return versions[-1]

    def files(self, version: str) -> dict[str, bytes]:
        """One complete copy of `version`: the link is resolved once, so a write that swaps it
        while the files are read cannot mix files of two copies."""
        folder = self.path(version).resolve()
        if not (folder / METADATA_FILE).is_file():
            known = ", ".join(self.versions()) or "none (run `archlab train`)"
            raise ModelNotFoundError(f"no model version {version!r} in {self.root}; stored versions: {known}")
        return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}

    def write(self, version: str, files: dict[str, bytes]) -> Path:
        """Store `files` as `version`, replacing it atomically: readers see the old or the new folder.

        `root/<version>` is a symlink to a hidden folder holding one complete copy; a new copy is
        written beside it and the link is swapped with one rename. The copy it replaced is kept
        until the next write: a reader may have resolved the old link a moment before the swap and
        still be opening files in it. Older copies are removed.
        """
        target = self.path(version)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=self.root))
        for name, data in files.items():
            (staging / name).write_bytes(data)
        previous = target.resolve() if target.is_symlink() else None
        if target.is_dir() and not target.is_symlink():
            previous = self._move_aside(target)
        link = self.root / f".{staging.name}.link"
        os.symlink(staging.name, link)
        os.replace(link, target)
        keep = {staging.name, previous.name if previous is not None else None}
        for stale in self.root.glob(f".{version}-*"):
            if stale.is_dir() and not stale.is_symlink() and stale.name not in keep:
                shutil.rmtree(stale, ignore_errors=True)
        return target

    def _move_aside(self, folder: Path) -> Path:
        """A plain version folder (written before versions were links) renamed out of the way.

        A folder cannot be swapped for a link in one rename, so this one write, converting the
        old layout, leaves a moment without the version; every later write is atomic.
        """
        aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}-old-", dir=self.root))
        aside.rmdir()
        os.rename(folder, aside)
        return aside

    def verified_files(self, version: str | None = None) -> tuple[dict, dict[str, bytes]]:
        """The signed metadata and the files it vouches for, all checked; nothing is unpickled."""
        files = self.files(version or self.latest())
        return verified_metadata(files, self.trusted), files

    def load(self, version: str | None = None, *, portable: bool = False) -> Model:
        """The verified model (newest when `version` is None); see artifacts.load_files."""
        return load_files(self.files(version or self.latest()), self.trusted, portable=portable)

    def bundle(self, version: str | None = None) -> bytes:
        return pack(self.files(version or self.latest()))

    def metadata(self, version: str) -> dict:
        return json.loads(self.files(version)[METADATA_FILE])

    def status(self, version: str) -> str:
        """'ok', or why loading would be refused — without unpickling anything."""
        try:
            metadata = verified_metadata(self.files(version), self.trusted)
        except IntegrityError as exc:
            return f"REFUSED: {exc}"
        except ModelError as exc:
            return f"missing: {exc}"
        problems = compatibility_problems(metadata)
        return "incompatible: " + "; ".join(problems) if problems else "ok"
