"""`archlab notebooks`: which committed notebooks are stale, and re-executing one records the code
it ran against (or leaves it untouched when a cell fails)."""

import os
import subprocess
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from archlab.commands.notebooks import execute
from archlab.notebook_freshness import recorded_digest


def archlab(*args):
    return subprocess.run([sys.executable, "-m", "archlab", *args], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)


def test_an_unknown_notebook_name_is_a_usage_error_listing_the_real_ones():
    result = archlab("notebooks", "99_nowhere")
    assert result.returncode == 2
    assert "no notebook named 99_nowhere" in result.stderr and "04_async" in result.stderr


def test_the_status_names_each_notebook_and_how_to_refresh_a_stale_one():
    result = archlab("notebooks", "05_compare")
    assert result.stdout.startswith("05_compare: ")
    if result.returncode == 1:
        assert "re-execute: archlab notebooks --execute 05_compare" in result.stdout
    else:
        assert result.returncode == 0 and "up to date" in result.stdout


def test_executing_saves_the_outputs_and_the_digest_and_a_failing_cell_saves_nothing(tmp_path):
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("print(6 * 7)")], metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}), path)
    assert execute(path, "digest-of-this-code")
    saved = nbformat.read(path, as_version=4)
    assert saved.cells[0].outputs[0]["text"] == "42\n"
    assert recorded_digest(saved) == "digest-of-this-code"

    saved.cells.append(new_code_cell("raise RuntimeError('broken cell')"))
    nbformat.write(saved, path)
    before = path.read_text()
    assert not execute(path, "another-digest")
    assert path.read_text() == before
