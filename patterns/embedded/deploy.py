"""Install a model wheel into the app's environment the way a deployment would: pip, offline."""

from __future__ import annotations

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


def install_wheel(wheel: Path, target: Path) -> None:
    """`pip install --no-index --no-deps --upgrade --target`: no network, nothing but this wheel."""
    command = [
        sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--upgrade",
        "--disable-pip-version-check", "--no-input", "--quiet", "--target", str(target), str(wheel),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    if result.returncode != 0:
        raise InstallFailed(f"pip could not install {wheel.name} (exit {result.returncode}):\n{result.stdout}{result.stderr}")
