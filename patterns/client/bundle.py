"""An app release: a static bundle that carries one model version inside it.

`build_release` writes `releases/<release>/` (the page, the app, the model evaluator and the model
itself as a script) from the signed, verified `model.json` of the store; `publish` points
`current` at it in one rename, so a new visitor gets either the old release or the new one, never
a mix. Releases are kept: a page opened on an old release still finds its own files.

    python -m patterns.client.bundle --root DIR [--version V] [--poll-seconds S]

builds and publishes the next release under DIR from the store in $ARCHLAB_HOME/models (the Docker
image `client-static` is built this way and served by nginx, docker/nginx.client.conf).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from shared_model import ModelStore
from shared_model.artifacts import PORTABLE_FILE
from shared_model.schema import input_fields

from patterns.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
APP_FILES = ("predict.js", "app.js")  # copied as they are: the same predict.js the parity test runs
MODEL_SCRIPT = "model.js"
MANIFEST = "release.json"
PAGE = "index.html"


@dataclass(frozen=True)
class Release:
    name: str
    folder: Path
    model_version: str

    @property
    def size_bytes(self) -> int:
        """The whole bundle as a new visitor downloads it (manifest included)."""
        return sum(path.stat().st_size for path in self.folder.iterdir())


def releases_dir(workdir: Path) -> Path:
    return workdir / "releases"


def current_link(workdir: Path) -> Path:
    return workdir / "current"


def model_script(model_json: bytes, metadata: dict, release: str, poll_seconds: float) -> str:
    """The model as a script the page loads: model.json as it was signed, with the form's fields."""
    fields = [{**asdict(spec), "required": spec.required} for spec in input_fields()]
    release_data = {"release": release, "model_version": metadata["version"], "model_digest": metadata["digest"],
                    "poll_seconds": poll_seconds, "fields": fields}
    return (f"globalThis.ARCHLAB_RELEASE = {json.dumps(release_data, separators=(',', ':'))};\n"
            f"globalThis.ARCHLAB_RELEASE.model = {model_json.decode().strip()};\n")


def build_release(store: ModelStore, version: str, workdir: Path, poll_seconds: float) -> Release:
    """Write the bundle for `version` as the next release (numbered, so a version published again,
    a rollback, is a new release that open apps notice too)."""
    metadata, files = store.verified_files(version)
    folder_root = releases_dir(workdir)
    folder_root.mkdir(parents=True, exist_ok=True)
    number = 1 + sum(1 for path in folder_root.iterdir() if path.is_dir())
    name = f"{number:04d}-{metadata['version']}"
    staging = folder_root / f".{name}.tmp"
    staging.mkdir()
    for file in APP_FILES:
        (staging / file).write_bytes((STATIC / file).read_bytes())
    (staging / MODEL_SCRIPT).write_text(model_script(files[PORTABLE_FILE], metadata, name, poll_seconds))
    (staging / PAGE).write_text((STATIC / PAGE).read_text().replace("{{release}}", name))
    assets = {file: _sha256(staging / file) for file in (*APP_FILES, MODEL_SCRIPT, PAGE)}
    manifest = {"release": name, "model_version": metadata["version"], "model_digest": metadata["digest"],
                "files": assets}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    os.rename(staging, folder_root / name)
    return Release(name, folder_root / name, metadata["version"])


def publish(release: Release, workdir: Path) -> None:
    """New visitors get `release` from now on (an atomic swap of the `current` link)."""
    link = current_link(workdir)
    temporary = link.with_name(f".current-{release.name}")
    temporary.unlink(missing_ok=True)
    os.symlink(Path("releases") / release.name, temporary)
    os.replace(temporary, link)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns.client.bundle",
                                     description="build and publish the next app release, the model inside")
    parser.add_argument("--root", type=Path, required=True, help="the folder holding releases/ and current")
    parser.add_argument("--version", default=None, help="the model version to carry (default: the newest stored)")
    parser.add_argument("--poll-seconds", type=float, default=5.0,
                        help="how often an open app checks for a newer release (default 5)")
    args = parser.parse_args(argv)
    store = ModelStore(Settings.from_env().home / "models")
    version = args.version or store.latest()
    if version is None or version not in store.versions():
        print(f"python -m patterns.client.bundle: no model {version or ''} in {store.root} "
              f"(stored: {', '.join(store.versions()) or 'none'}; `archlab train` makes v1 and v2)", file=sys.stderr)
        return 2
    release = build_release(store, version, args.root, args.poll_seconds)
    publish(release, args.root)
    print(f"release {release.name} ({release.size_bytes:,} bytes, model {version}) published under {args.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
