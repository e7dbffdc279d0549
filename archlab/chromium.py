"""How archlab drives Debian's chromium headless (the client bench, the notebooks' screenshots, the
tests' browsers): one way to find it and one set of flags, so every page is loaded the same way and
nothing reaches past loopback on its own."""

from __future__ import annotations

import os
import shutil

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    """ARCHLAB_CHROMIUM, else chromium on the PATH; None when there is none."""
    return os.environ.get("ARCHLAB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
