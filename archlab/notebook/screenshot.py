"""A picture of a page a running system serves, taken by headless chromium while the notebook
runs: the stored notebook then shows the page (a live frame shows nothing once the system is
stopped, or to a reader of the committed file)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from IPython.display import Image, Markdown

from ..chromium import CHROMIUM_ARGS, chromium_path
from .off_loop import off_the_kernel_loop


def screenshot(url: str, *, credentials: tuple[str, str] | None = None, width: int = 1200,
               height: int = 760) -> Image | Markdown:
    """The page at `url` as a PNG (signed in with HTTP basic `credentials` if given, which are
    sent to the page and never shown), or a sentence saying why no picture could be taken."""
    chromium = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401  (imported where it runs, in its own thread)
    except ImportError:
        return Markdown("*No screenshot: Playwright is not installed (`pip install -e '.[dev]'`).*")
    if chromium is None:
        return Markdown("*No screenshot: chromium was not found (Debian: `apt-get install -y chromium`, "
                        "or set ARCHLAB_CHROMIUM to its path). Open the address in a browser instead.*")
    png = off_the_kernel_loop(_take, chromium, url, credentials, width, height)
    return Image(data=png, format="png", width=width)


def _take(chromium: str, url: str, credentials: tuple[str, str] | None, width: int, height: int) -> bytes:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="archlab-shot-"))
    credentials_arg = {"username": credentials[0], "password": credentials[1]} if credentials else None
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": width, "height": height}, http_credentials=credentials_arg)
                page.goto(url, wait_until="networkidle", timeout=30_000)
                page.screenshot(path=folder / "page.png")
            finally:
                browser.close()
        return (folder / "page.png").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
