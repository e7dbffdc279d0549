"""The registry of architectures, and `launch(arch)` to start one.

`ARCHITECTURES` is the registry, in the order reports list them: each name `arch` there has its folder
`patterns/<arch>/` (what a practitioner would deploy) whose `lab/system.py` (the lab's side)
exposes `SYSTEM`, a `System` subclass built with
`SYSTEM(settings=None, version=None, port=None, namespace=None, **its own options)` (not started).
`async` is a keyword, hence `importlib` rather than import statements; importing on first use
also keeps the CLI from loading Kafka or SQLAlchemy for a command that does not need them.
"""

from __future__ import annotations

import importlib

from .system import System

ARCHITECTURES = ("embedded", "api", "streaming", "async", "client")


def system_class(arch: str) -> type[System]:
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    return importlib.import_module(f"patterns.{arch}.lab.system").SYSTEM


def launch(arch: str, second_app: bool = False, **options) -> System:
    """The (not yet started) system for `arch` as a context manager: `with launch("embedded") as s: s.url`.

    `second_app`: also start a second, different application on the same model (the pricing
    report, `patterns.report_app`) once the system is up; `system.second_app_url` is its address.
    """
    system = system_class(arch)(**options)
    system.second_app = second_app
    return system
