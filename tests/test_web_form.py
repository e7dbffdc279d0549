"""The HTML form through a real embedded front: fields from the schema, a price, field errors."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
import requests

from launch_helpers import embedded_system, writable_home
from shared_model import input_fields

pytestmark = pytest.mark.slow  # starts real front processes


class Page(HTMLParser):
    """The bits of a page a user looks at: inputs and selects by name, texts by element id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}
        self.selects: dict[str, list[str]] = {}
        self.selected: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        self._select = None
        self._ids: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input":
            self.inputs[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs["name"]
            self.selects[self._select] = []
        elif tag == "option" and self._select:
            self.selects[self._select].append(attrs["value"])
            if "selected" in attrs:
                self.selected[self._select] = attrs["value"]
        if "id" in attrs and tag in ("span", "strong", "section", "p"):
            self._ids.append(attrs["id"])
            self.texts[attrs["id"]] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag in ("span", "strong", "section", "p") and self._ids:
            self._ids.pop()

    def handle_data(self, data):
        for element_id in self._ids:
            self.texts[element_id] += data


@pytest.fixture(scope="module")
def front(trained_home, tmp_path_factory):
    home = writable_home(trained_home, tmp_path_factory.mktemp("form-home"))
    with embedded_system(home, "v1") as system:
        yield system.url


def defaults(front) -> dict[str, str]:
    page = Page(requests.get(front, timeout=10).text)
    return {**page.inputs, **page.selected}


def test_form_has_every_field_with_choices_and_defaults(front):
    page = Page(requests.get(front, timeout=10).text)
    for spec in input_fields():
        if spec.kind == "categorical":
            assert page.selects[spec.name] == ["", *spec.choices]
            assert page.selected[spec.name] == spec.default
        else:
            assert float(page.inputs[spec.name]) == spec.default
    assert page.texts["architecture"] == "embedded"


def test_submitting_the_form_shows_price_version_and_time(front):
    response = requests.post(front, data=defaults(front), timeout=10)
    assert response.status_code == 200
    page = Page(response.text)
    assert page.texts["price"].startswith("$")
    assert 50_000 < int(page.texts["price"].strip("$").replace(",", "")) < 500_000
    assert page.texts["model-version"] == "v1"
    assert page.texts["elapsed"].endswith("ms")


def test_form_and_json_give_the_same_price(front):
    values = {**defaults(front), "OverallQual": "8", "GrLivArea": "2200"}
    shown = Page(requests.post(front, data=values, timeout=10).text).texts["price"]
    json_price = requests.post(f"{front}/predict", json=values, timeout=10).json()["predictions"][0]
    assert shown == f"${json_price:,.0f}"


def test_invalid_values_are_shown_beside_their_fields_and_kept(front):
    values = {**defaults(front), "OverallQual": "42", "GrLivArea": "lots", "YrSold": "2008"}
    response = requests.post(front, data=values, timeout=10)
    assert response.status_code == 422
    page = Page(response.text)
    assert "out of range" in page.texts["error-OverallQual"] and "1 to 10" in page.texts["error-OverallQual"]
    assert "not a number" in page.texts["error-GrLivArea"]
    assert "error-YrSold" not in page.texts
    assert "price" not in page.texts
    assert page.inputs["OverallQual"] == "42" and page.inputs["YrSold"] == "2008"


def test_a_left_blank_field_is_imputed_not_an_error(front):
    values = {**defaults(front), "LotFrontage": "", "FireplaceQu": ""}
    response = requests.post(front, data=values, timeout=10)
    assert response.status_code == 200 and "price" in Page(response.text).texts
