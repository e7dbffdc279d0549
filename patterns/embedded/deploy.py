"""Install a model wheel into the app's environment the way a deployment would: pip, offline."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

INSTALL_TIMEOUT = 120.0


class InstallFailed(RuntimeError):
    """pip refused the wheel; the message carries pip's output."""


def app_env(home: Path, app: str = "app") -> Path:
    """An embedded app's own site directory (on its PYTHONPATH): `app` for the front, another name
    for a second application, which carries its own copy of the model."""
    return home / "embedded" / f"{app}-env"


def wheel_dir(home: Path) -> Path:
    return home / "embedded" / "wheels"


def installed_dir(home: Path) -> Path:
    """Environments already installed, one per wheel's SHA-256 (see `install_wheel_once`)."""
    return home / "embedded" / "installed"


def install_wheel_once(wheel: Path, target: Path, installed: Path) -> None:
    """`install_wheel`, run by pip once per distinct wheel (its SHA-256) and copied into `target`
    after: starting the same app on the same model again is another container from one image,
    not another build. A model update still runs pip (`install_wheel`): that rebuild is its cost."""
    built = installed / hashlib.sha256(wheel.read_bytes()).hexdigest()
    if not built.is_dir():
        partial = installed / f".{built.name}.{os.getpid()}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        install_wheel(wheel, partial)
        try:
            partial.rename(built)
        except OSError:  # another process installed it first: theirs is the same
            shutil.rmtree(partial, ignore_errors=True)
    # bytecode stays behind: compiled in the cache, it would name the cache's paths in tracebacks
    shutil.copytree(built, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))


def install_wheel(wheel: Path, target: Path) -> None:
    """`pip install --no-index --no-deps --upgrade --target`: no network, nothing but this wheel."""
    command = [
        sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--upgrade",
        "--disable-pip-version-check", "--no-input", "--quiet", "--target", str(target), str(wheel),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    if result.returncode != 0:
        raise InstallFailed(f"pip could not install {wheel.name} (exit {result.returncode}):\n{result.stdout}{result.stderr}")
