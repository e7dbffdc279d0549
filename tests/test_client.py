"""The client architecture without a browser: the app's own JavaScript run in V8 (mini-racer)
prices every new house as the Python fast path does, refuses what Python refuses; the static
server hands out releases, and an update is a new release that new visitors get."""

from __future__ import annotations

import pytest

from archlab.bench.client import format_client_bench, run_client_bench
from archlab.chromium import NO_CHROMIUM
from archlab.compare.budget import QUICK
from archlab.compare.in_client import client_drill, client_latency, measure_client_update
from archlab.testing import require_module
from launch_helpers import writable_home
from patterns import http
from patterns.client.bundle import build_release
from patterns.client.lab.engine import ReleaseEngine
from patterns.client.lab.system import ClientSystem
from patterns.settings import Settings
from shared_model import ModelStore, example_record, validate_batch
from shared_model.data import new_houses_records

require_module("py_mini_racer")

PARITY = 1e-9  # relative: model.json is float64 in both languages; only libm's last bits may differ


@pytest.fixture(scope="module")
def store(trained_home):
    return ModelStore(trained_home / "models")


@pytest.fixture(scope="module")
def engine(store, tmp_path_factory):
    """V8 holding the v2 release exactly as the static server would hand it out."""
    return ReleaseEngine(build_release(store, "v2", tmp_path_factory.mktemp("client-release"), 5.0).folder)


def test_v8_prices_every_new_house_as_the_python_fast_path_does(store, engine):
    houses = new_houses_records()  # raw CSV cells, as strings: the JavaScript cleans them itself
    batch = validate_batch(houses, allow_extra=True)
    assert len(houses) == 1459 and not batch.invalid
    model = store.load("v2")
    expected = [model.predict_one(record) for _, record in batch.valid]
    answers = engine.answers(houses)
    assert engine.model_version == "v2" and all("price" in answer for answer in answers)
    worst = max(abs(answer["price"] - want) / want for answer, want in zip(answers, expected))
    assert worst < PARITY


@pytest.mark.parametrize("change", [
    {"GrLivArea": "huge"}, {"OverallQual": "42"}, {"OverallQual": 7.5}, {"Neighborhood": ""},
    {"MSZoning": "nowhere"}, {"GrLivArea": None, "LotFrontage": "NA"}, {"OverallQual": True},
])
def test_v8_refuses_the_fields_python_refuses(engine, change):
    house = {**example_record(), **change}
    python_errors = validate_batch([house], allow_extra=True).invalid[0]
    [answer] = engine.answers([house])
    assert [error["field"] for error in answer["errors"]] == [error["field"] for error in python_errors]
    if "Neighborhood" in change:  # the same words as the server-side fronts
        assert answer["errors"][0]["message"] == python_errors[0]["message"]


def test_a_missing_optional_field_is_imputed_in_both_languages(store, engine):
    house = {**example_record(), "LotFrontage": "NA", "FireplaceQu": ""}
    [cleaned] = [record for _, record in validate_batch([house]).valid]
    [answer] = engine.answers([house])
    assert answer["price"] == pytest.approx(store.load("v2").predict_one(cleaned), rel=PARITY)


@pytest.fixture
def system(trained_home, tmp_path):
    home = writable_home(trained_home, tmp_path)
    with ClientSystem(settings=Settings(home=home), version="v1", namespace="client-test") as running:
        yield running


@pytest.mark.slow
def test_an_update_is_a_new_release_new_visitors_get(system):
    first = system.release
    report = system.update_model("v2")
    assert report.served_before == ("v1",) and report.served_after == ("v2",)
    assert report.restarted == () and report.started == ()  # no process touched: only files
    assert report.rebuilt == (f"runs/client-test/client/releases/{system.release.name} (5 files)",)
    assert report.details["bundle_bytes"] == system.release.size_bytes
    assert (first.folder / "release.json").is_file()  # pages open on v1 still find their files
    page = http.call("GET", system.url + "/")
    assert f"/releases/{system.release.name}/model.js" in page.body.decode()
    assert ReleaseEngine(system.release.folder).model_version == "v2"
    rollback = system.rollback("v1")  # the same version again is a new release: open apps notice it
    assert rollback.served_after == ("v1",) and system.release.name.startswith("0003-")


@pytest.mark.slow
def test_the_static_server_predicts_nothing_and_says_what_it_serves(system):
    answer = http.call("POST", system.url + "/predict", json=example_record())
    assert answer.status == 405 and "predicts in the browser" in answer.json()["message"]
    for path in ("/releases/../models/v1/model.json", "/releases/0001-v1/missing.js", "/nothing"):
        answer = http.call("GET", system.url + path)
        assert answer.status == 404 and "GET /release.json" in answer.json()["message"]
    status = http.call_json("GET", system.url + "/status")
    assert status["architecture"] == "client" and status["model_version"] == "v1"
    assert status["runtime"]["scikit_learn_loaded"] is False
    [fault] = system.faults()  # the one part that can break, and what a user then sees
    assert fault.component == "static" and "open apps keep pricing" in fault.how


def test_the_bench_without_chromium_says_so_and_still_measures_the_bundle_and_v8(home_with_v3):
    result = run_client_bench(loads=2, batches=2, chromium=None)
    text = format_client_bench(result, "python -m archlab.bench.client --loads 2 --batches 2")
    assert result["browser"] == NO_CHROMIUM and f"headless chromium: {NO_CHROMIUM}" in text
    assert result["bundle"]["bytes"] == sum(f["bytes"] for f in result["bundle"]["files"].values())
    assert result["v8"]["per_prediction_s"]["n"] == 2 and "reproduce: python -m archlab.bench.client" in text


@pytest.mark.slow
def test_without_chromium_the_comparison_measures_new_visitors_and_says_what_it_could_not(system):
    latency = client_latency(system, QUICK)
    assert len(latency.samples_ms) == QUICK.client_batches and "no network" in latency.definition
    update, _ = measure_client_update(system, None, QUICK, example_record(), "v2")
    assert update.converged_s is not None and update.timeline[-1].version == "v2"  # new visitors
    assert update.details["open_pages"] == NO_CHROMIUM == "not measured: needs chromium (apt install chromium, " \
                                                         "or set ARCHLAB_CHROMIUM)"
    assert client_drill(system, None, QUICK, example_record(), "v3", "v2") == {}
