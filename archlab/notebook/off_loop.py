"""Run a call that drives Playwright's sync API (a screenshot, a comparison that opens pages in
chromium) from a notebook: the kernel's own asyncio loop is running in its main thread, and
Playwright's sync API refuses to start inside a running loop, so the call runs in a thread of its own."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def off_the_kernel_loop(function: Callable[..., T], *args, **kwargs) -> T:
    """`function(*args, **kwargs)` in a thread of its own, its result (or exception) returned here."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(function, *args, **kwargs).result()
