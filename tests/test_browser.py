"""A real browser (Debian's chromium, headless, driven by Playwright) uses the form of a real front."""

from __future__ import annotations

import importlib

import pytest

from archlab.chromium import CHROMIUM_ARGS
from archlab.testing import require_module
from launch_helpers import embedded_system, http_server, writable_home
from patterns.settings import Settings

playwright = require_module("playwright.sync_api")

pytestmark = pytest.mark.slow  # starts real front processes

@pytest.fixture(scope="module")
def front(trained_home, tmp_path_factory):
    home = writable_home(trained_home, tmp_path_factory.mktemp("browser-home"))
    with embedded_system(home, "v2") as system:
        yield system.url


@pytest.fixture
def page(chromium_path):
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.set_default_timeout(15_000)
            yield tab
        finally:
            browser.close()


def test_fill_the_form_and_see_a_price_and_version(front, page):
    page.goto(front)
    page.select_option("#field-Neighborhood", "NridgHt")
    page.fill("#field-OverallQual", "8")
    page.fill("#field-GrLivArea", "2100")
    page.click("#submit")
    price = page.locator("#price").inner_text()
    assert price.startswith("$") and int(price.strip("$").replace(",", "")) > 100_000
    assert page.locator("#model-version").inner_text() == "v2"
    assert page.locator("#field-OverallQual").input_value() == "8"


def test_an_invalid_value_shows_the_error_beside_its_field(front, page):
    page.goto(front)
    page.fill("#field-OverallQual", "42")
    page.click("#submit")
    error = page.locator("#error-OverallQual")
    assert "out of range" in error.inner_text()
    field = page.locator(".field.invalid")
    assert field.count() == 1 and field.locator("#field-OverallQual").count() == 1
    assert page.locator("#price").count() == 0


@pytest.fixture(scope="module")
def dashboard(trained_home, tmp_path_factory):
    """An async system with one reviewer, and two houses already scored (awaiting review)."""
    home = writable_home(trained_home, tmp_path_factory.mktemp("browser-async-home"))
    settings = Settings(home=home, arch="async", reviewers="ann:ann-secret")
    with importlib.import_module("patterns.async.lab.system").SYSTEM(settings=settings, every=0.2) as system:
        for _ in range(2):
            system.time_to_answer()  # submitted through the front, predicted by the worker
        yield system


@pytest.fixture
def reviewer_page(chromium_path, dashboard):
    """A browser tab signed in as the reviewer ann (HTTP basic auth, as a browser prompts for it)."""
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(http_credentials={"username": "ann", "password": "ann-secret"})
            tab = context.new_page()
            tab.set_default_timeout(15_000)
            yield tab
        finally:
            browser.close()


def test_a_reviewer_validates_in_the_dashboard_and_the_history_names_her(dashboard, reviewer_page):
    reviewer_page.goto(dashboard.url + "/dashboard")
    assert "signed in as ann" in reviewer_page.locator("#signed-in").inner_text()
    reviewer_page.locator('input[name="row"]').first.check()
    reviewer_page.click("text=Validate selected")
    assert reviewer_page.locator("#message").inner_text() == "1 predictions marked validated"
    history = reviewer_page.locator("#actions-history tbody tr").first.inner_text()
    assert "ann" in history and "review" in history and "validated" in history

    reviewer_page.click("#score-now")
    assert reviewer_page.locator("#message").inner_text().startswith("scoring requested")


def test_the_dashboard_loads_in_the_notebooks_iframe(dashboard, reviewer_page, tmp_path):
    """Notebook 04 shows the dashboard as `IFrame(system.url + "/dashboard")`: the same display
    object's HTML, in a page served from another loopback port (as JupyterLab's is), loads it signed in."""
    from IPython.display import IFrame

    (tmp_path / "index.html").write_text(IFrame(dashboard.url + "/dashboard", width="100%", height=560)._repr_html_())
    with http_server("notebook-page", tmp_path) as notebook_page:
        reviewer_page.goto(notebook_page.url + "/index.html")
        frame = reviewer_page.frame_locator("iframe")
        assert "signed in as ann" in frame.locator("#signed-in").inner_text()
        assert frame.locator('input[name="row"]').count() >= 1  # the scored houses, awaiting review
