"""A notebook's kernel runs an asyncio loop in its main thread; a call that starts a loop of its own
there (as Playwright's sync API does) must run off it, and its result or error come back."""

import asyncio

import pytest

from archlab.notebook.off_loop import off_the_kernel_loop


def own_loop_answer() -> int:
    return asyncio.run(asyncio.sleep(0, result=42))


def test_a_call_that_starts_its_own_loop_runs_beside_a_running_one():
    async def kernel_cell():
        with pytest.raises(RuntimeError, match="cannot be called from a running event loop"):
            own_loop_answer()  # what Playwright meets when called in the cell's own thread
        return off_the_kernel_loop(own_loop_answer)

    assert asyncio.run(kernel_cell()) == 42


def test_its_error_reaches_the_caller():
    def fails():
        raise ValueError("chromium went away")

    with pytest.raises(ValueError, match="chromium went away"):
        off_the_kernel_loop(fails)
