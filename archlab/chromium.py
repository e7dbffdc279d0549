"""How archlab drives Debian's chromium headless (the client bench, the comparison's open pages, the
notebooks' screenshots, the tests' browsers): one way to find it and one set of flags, so every page
is loaded the same way and nothing reaches past loopback on its own; and what is said where no
chromium is installed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NO_CHROMIUM = "not measured: needs chromium (apt install chromium, or set ARCHLAB_CHROMIUM)"


def chromium_path() -> str | None:
    """ARCHLAB_CHROMIUM, else chromium on the PATH; None when there is none."""
    return os.environ.get("ARCHLAB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def headless_chromium(path: str | None = None) -> Iterator:
    """A Playwright browser on chromium at `path` (default: the installed one), closed on exit;
    None where no chromium is installed."""
    path = path or chromium_path()
    if path is None:
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
