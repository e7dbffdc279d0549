"""A real Jupyter kernel that starts a server and then fails, is interrupted, or is killed
(as nbval and "restart kernel" do) leaves no server behind."""

from __future__ import annotations

import os
import signal
import textwrap

import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from nbformat.v4 import new_code_cell, new_notebook

from launch_helpers import TRACKED_SERVER_SOURCE, still_alive

START_CELL = TRACKED_SERVER_SOURCE + """
open({pid_file!r}, "w").write(str(server.pid))
"""

FAILING_CELLS = {
    "raises": "raise RuntimeError('a cell failed')",
    "interrupted": "import time; time.sleep(60)",  # the client's timeout interrupts it
}

# (failing cell, how the client ends the kernel)
CASES = [
    ("raises", "graceful"),
    ("raises", "immediate"),  # nbval's way: SIGKILL to the kernel's process group
    ("interrupted", "graceful"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("failure", "shutdown"), CASES)
def test_kernel_ending_after_a_failed_cell_stops_the_server(failure, shutdown, tmp_path):
    pid_file = tmp_path / "server.pid"
    notebook = new_notebook(cells=[
        new_code_cell(textwrap.dedent(START_CELL).format(pid_file=str(pid_file))),
        new_code_cell(FAILING_CELLS[failure]),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(
        notebook, timeout=60 if failure == "raises" else 3, kernel_name="python3",
        interrupt_on_timeout=True, shutdown_kernel=shutdown, resources={"metadata": {"path": str(tmp_path)}},
    )
    with pytest.raises((CellExecutionError, CellTimeoutError)):
        client.execute()
    pid = int(pid_file.read_text())
    try:
        assert still_alive([pid], timeout=10) == [], f"the server (pid {pid}) outlived its kernel"
    finally:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
