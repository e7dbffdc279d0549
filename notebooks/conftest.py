"""Collect the notebooks under nbval whenever pytest is pointed at this folder.

`pytest` (with "notebooks" in testpaths) or `pytest notebooks/00_start_here.ipynb` runs every
notebook cell by cell in the project's own environment and compares outputs after applying
`nbval_sanitize.cfg`. `--nbval-lax` on the command line still wins over this strict default.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archlab.testing import in_ci, missing_service_message, tcp_open

SANITIZERS = Path(__file__).with_name("nbval_sanitize.cfg")


def pytest_configure(config):
    option = config.option
    if not getattr(option, "nbval_lax", False):
        option.nbval = True
    if getattr(option, "nbval_sanitize_with", None) is None:
        option.nbval_sanitize_with = str(SANITIZERS)
    if not getattr(option, "nbval_kernel_name", None):
        option.nbval_current_env = True  # this .venv, whatever kernels the machine has installed


# Services a notebook needs beyond this checkout, declared in its metadata as
# `"archlab": {"requires": ["rabbitmq"]}`: skipped on a laptop without them, run (and failing if
# they are missing) under CI=true, like the tests that need them.
SERVICES = {"rabbitmq": ("RabbitMQ", "127.0.0.1", 5672, "start rabbitmq-server (guest/guest on 127.0.0.1:5672)")}


def pytest_collection_modifyitems(config, items):
    for item in items:
        notebook = getattr(item.parent, "nb", None)
        if notebook is None:
            continue
        declared = notebook.metadata.get("archlab", {})
        if "cell_timeout_s" in declared:  # a cell that runs a whole comparison: minutes, not the suite's 300 s
            item.add_marker(pytest.mark.timeout(declared["cell_timeout_s"]))
        if in_ci():
            continue
        for service in declared.get("requires", []):
            name, host, port, how = SERVICES[service]
            if not tcp_open(host, port):
                item.add_marker(pytest.mark.skip(reason=missing_service_message(f"{name} on {host}:{port}", how)))
