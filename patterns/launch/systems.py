"""Which module runs which architecture, and `launch(arch)` to start one.

Each `patterns/<arch>/system.py` exposes `create_system(port=None, **options) -> System` (not
started; `port` is the web front's, None for a free one);
`async` is a keyword, hence `importlib` rather than import statements.
"""

from __future__ import annotations

import importlib

from patterns.settings import ARCHITECTURES

from .system import System

SYSTEM_MODULES = {arch: f"patterns.{arch}.system" for arch in ARCHITECTURES}


def launch(arch: str, **options) -> System:
    """The (not yet started) system for `arch` as a context manager: `with launch("embedded") as s: s.url`.

    `options` go to that architecture's `create_system`.
    """
    if arch not in SYSTEM_MODULES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(SYSTEM_MODULES)}")
    return importlib.import_module(SYSTEM_MODULES[arch]).create_system(**options)
