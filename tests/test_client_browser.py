"""The client app in a real browser (Debian's chromium, headless, driven by Playwright): it prices
every new house as Python does without a request, keeps its model when a release goes out until it
reloads, and keeps pricing when the static server is down (while nobody new can load it)."""

from __future__ import annotations

import pytest

from archlab.bench.client import format_client_bench, run_client_bench
from patterns.client.lab.pages import READY
from archlab.testing import require_module
from launch_helpers import writable_home
from patterns.client.lab.system import ClientSystem
from patterns.settings import Settings
from shared_model import ModelStore, validate_batch
from shared_model.data import new_houses_records

playwright = require_module("playwright.sync_api")
expect = playwright.expect

pytestmark = pytest.mark.slow  # a real static server and a real browser

PARITY = 1e-9


def visit(browser, url: str):
    """A new user: a browser context of its own (no cache shared with the others), the app loaded."""
    page = browser.new_context().new_page()
    page.set_default_timeout(15_000)
    page.goto(url)
    page.wait_for_function(READY)
    return page


def client_system(trained_home, tmp_path, poll_seconds: float) -> ClientSystem:
    home = writable_home(trained_home, tmp_path)
    return ClientSystem(settings=Settings(home=home), version="v1", poll_seconds=poll_seconds)


def test_the_page_prices_every_new_house_as_python_does_without_a_request(trained_home, tmp_path, browser):
    houses = new_houses_records()
    model = ModelStore(trained_home / "models").load("v1")
    expected = [model.predict_one(record) for _, record in validate_batch(houses, allow_extra=True).valid]
    with client_system(trained_home, tmp_path, poll_seconds=600) as system:
        page = visit(browser, system.url)
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        prices = page.evaluate("houses => houses.map(house => window.archlabClient.predict(house).price)", houses)
        page.fill("#field-GrLivArea", "2100")
        page.click("#submit")
        assert page.locator("#price").inner_text().startswith("$")
    assert requests == []  # 1,460 prices, not one request
    assert len(prices) == len(expected) == 1459
    assert max(abs(price - want) / want for price, want in zip(prices, expected)) < PARITY


def test_an_invalid_value_is_refused_beside_its_field_in_the_page(trained_home, tmp_path, browser):
    with client_system(trained_home, tmp_path, poll_seconds=600) as system:
        page = visit(browser, system.url)
        page.fill("#field-OverallQual", "42")
        page.click("#submit")
        assert "out of range" in page.locator("#error-OverallQual").inner_text()
        assert page.locator("#price").count() == 0


def test_open_apps_keep_v1_after_the_release_until_they_reload(trained_home, tmp_path, browser):
    with client_system(trained_home, tmp_path, poll_seconds=0.3) as system:
        prompted = visit(browser, system.url)
        automatic = visit(browser, system.url + "/?reload=auto")
        assert prompted.locator("#model-version").inner_text() == "v1"
        report = system.update_model("v2")
        assert report.served_after == ("v2",)  # what a new visitor gets
        prompted.locator("#update.shown").wait_for()
        assert "model v2" in prompted.locator("#update-text").inner_text()
        prompted.click("#submit")  # still pricing, with the model it loaded
        assert "model v1" in prompted.locator("#answer").inner_text()
        # Waits on what the user sees, not a JavaScript predicate: the page reloads under the wait, and a
        # string predicate re-evaluated in the new document is refused by the app's CSP (no 'unsafe-eval').
        expect(automatic.locator("#model-version")).to_have_text("v2", timeout=15_000)
        newcomer = visit(browser, system.url)
        assert newcomer.locator("#model-version").inner_text() == "v2"
        prompted.click("#reload")
        expect(prompted.locator("#model-version")).to_have_text("v2", timeout=15_000)


def test_with_the_static_server_down_open_apps_keep_pricing_and_new_ones_cannot_load(trained_home, tmp_path,
                                                                                      browser):
    with client_system(trained_home, tmp_path, poll_seconds=0.3) as system:
        open_app = visit(browser, system.url)
        system.stop_component("static")
        open_app.fill("#field-GrLivArea", "1500")
        open_app.click("#submit")
        assert open_app.locator("#price").inner_text().startswith("$")
        expect(open_app.locator("#server")).to_contain_text("unreachable", timeout=15_000)
        newcomer = browser.new_context().new_page()
        with pytest.raises(playwright.Error, match="ERR_CONNECTION_REFUSED"):
            newcomer.goto(system.url)
        system.start_component("static")
        assert visit(browser, system.url).locator("#model-version").inner_text() == "v1"


def test_the_bench_measures_open_pages_through_a_release_and_the_drill(home_with_v3, chromium_path):
    result = run_client_bench(clients=2, loads=2, batches=2, poll=0.3, seconds=2.0, chromium=chromium_path)
    outcomes = {page["policy"]: page for page in result["browser"]["update"]["pages"]}
    assert outcomes["auto"]["model_version"] == "v2" and outcomes["auto"]["had_new_after_s"] > 0
    assert outcomes["prompt"]["model_version"] == "v1" and outcomes["prompt"]["prompt_after_s"] > 0
    drill = result["browser"]["drill"]
    assert drill["on_v3_after_rollback"] == ["new visitor while v3 was out, prompt"]  # nobody can recall it
    assert drill["answers_from_v3_after_rollback"] == drill["per_page_answers"]
    assert "share of open pages still on v1" in format_client_bench(result, "python -m archlab.bench.client")
