"""JupyterLab as a student opens it (`make lab`'s server: `jupyter lab` on a free loopback port),
in a real browser (Debian's chromium, headless, driven by Playwright): notebook 00 runs from the
Run menu and its widget is drawn and answers."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from archlab.testing import require_module
from patterns.launch.process import ManagedProcess, free_port
from archlab.chromium import CHROMIUM_ARGS

playwright = require_module("playwright.sync_api")

pytestmark = pytest.mark.slow  # a Jupyter server, a kernel, model training

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
RUN_ALL_TIMEOUT_MS = 240_000  # the notebook trains two model versions on a shared 2-core machine


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`jupyter lab` without a token on loopback, serving a copy of the notebooks (running cells
    in the browser must not rewrite the committed ones), its settings kept in the temporary folder."""
    root = tmp_path_factory.mktemp("lab")
    work = root / "notebooks"
    shutil.copytree(NOTEBOOKS, work, ignore=shutil.ignore_patterns("legacy", ".ipynb_checkpoints"))
    port = free_port()
    server = ManagedProcess(
        "jupyter-lab",
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={work}", f"--LabApp.workspaces_dir={root / 'workspaces'}",
         f"--LabApp.user_settings_dir={root / 'settings'}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI containers run as root
        env={"JUPYTER_RUNTIME_DIR": str(root / "runtime")},
        port=port, health_path="/api/status", log_dir=root, cwd=work,
    )
    server.start()
    try:
        server.wait_healthy(90)
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def page(chromium_path):
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.set_default_timeout(60_000)
            yield tab
        finally:
            browser.close()


def run_menu(page, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def test_notebook_00_runs_in_jupyterlab_and_its_widget_is_drawn_and_answers(lab, page):
    page.goto(f"{lab}/lab/tree/00_start_here.ipynb")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
    kernel_idle = page.locator(".jp-StatusBar-TextItem", has_text="Idle").first
    kernel_idle.wait_for(timeout=90_000)  # Run All before the kernel is up does nothing
    run_menu(page, "Run All Cells")

    # JupyterLab draws cells scrolled out of view lazily: wait for the widget in the page, then show it
    interact = page.locator(".jp-OutputArea .widget-interact").first
    interact.wait_for(state="attached", timeout=RUN_ALL_TIMEOUT_MS)
    interact.scroll_into_view_if_needed()
    assert interact.locator(".widget-hslider .widget-label").all_inner_texts() == ["GrLivArea", "OverallQual"]
    answer = interact.locator(".jp-OutputArea-output", has_text="'v2': '$")
    answer.wait_for(timeout=RUN_ALL_TIMEOUT_MS)  # drawn from the kernel's first call
    before = answer.inner_text()

    # the widget talks to the kernel: another neighborhood, another price (the output is redrawn)
    interact.locator(".widget-dropdown select").select_option("NridgHt")
    redrawn = interact.locator(".jp-OutputArea-output", has_text="'v2': '$").filter(has_not_text=before)
    redrawn.wait_for(timeout=60_000)
    assert "'v1': '$" in redrawn.inner_text()

    page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=RUN_ALL_TIMEOUT_MS)
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                        has_text="Traceback").count() == 0
