"""A real browser (Debian's chromium, headless, driven by Playwright) uses the form of a real front."""

from __future__ import annotations

import pytest

from launch_helpers import embedded_system, writable_home

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.slow  # starts real front processes

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


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
