"""Each stored version also as ONNX and as an MLflow model: parity with the pickle on every new
house, verification before loading, old versions without the exports, the MODEL_FORMAT setting."""

import math
import os
import subprocess
import sys

import pytest

import shared_model.formats
from patterns.api.settings import MODEL_FORMATS, ApiSettings
from shared_model import IntegrityError, ModelNotFoundError, ModelStore, config, validate_batch
from shared_model.data import new_houses_records
from shared_model.formats import FORMATS, formats_in, load_model
from shared_model.formats import mlflow as mlflow_format
from shared_model.formats import onnx as onnx_format
from shared_model.training import train_version

TOLERANCE = {"pickle": 1e-9, "json": 1e-9, "mlflow": 1e-12, "onnx": onnx_format.PARITY_RTOL}


@pytest.fixture(scope="module")
def houses():
    return [clean for _, clean in validate_batch(new_houses_records(), allow_extra=True).valid]


@pytest.fixture(scope="module")
def pipeline_prices(trained_home, houses):
    """The reference: the unpickled scikit-learn pipeline's own predict on all new houses."""
    return ModelStore(trained_home / "models").load("v2").predict(houses)


def test_every_version_carries_every_format_under_its_signature(trained_home):
    store = ModelStore(trained_home / "models")
    for version in store.versions():
        metadata, _ = store.verified_files(version)
        assert formats_in(metadata) == list(FORMATS)


@pytest.mark.parametrize("name", list(FORMATS))
def test_each_format_predicts_all_new_houses_like_the_pickle(name, trained_home, houses, pipeline_prices):
    model = load_model(ModelStore(trained_home / "models"), "v2", name)
    assert model.format == name and model.version == "v2"
    prices = model.predict_many(houses)
    assert len(prices) == len(houses) == 1459
    worst = max(abs(price / reference - 1) for price, reference in zip(prices, pipeline_prices))
    assert worst <= TOLERANCE[name]
    assert math.isclose(model.predict_one(houses[0]), pipeline_prices[0], rel_tol=TOLERANCE[name])


def test_onnx_is_float32_so_it_is_close_but_not_equal(trained_home, houses, pipeline_prices):
    """The stated tolerance is needed: the graph computes in float32, the pickle in float64."""
    prices = load_model(ModelStore(trained_home / "models"), "v2", "onnx").predict_many(houses)
    assert prices != pipeline_prices


@pytest.mark.parametrize("name, module", [("onnx", onnx_format), ("mlflow", mlflow_format)])
def test_a_tampered_export_is_refused_before_it_is_loaded(name, module, home_with_models, monkeypatch):
    loaded = []
    monkeypatch.setattr(module, "runner", lambda *args: loaded.append(args))
    path = ModelStore().path("v1") / FORMATS[name]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=f"{FORMATS[name]} does not match its signed SHA-256 digest"):
        load_model(ModelStore(), "v1", name)
    assert loaded == []


def test_a_version_stored_before_the_exports_names_the_command_that_adds_them(archlab_home, monkeypatch):
    monkeypatch.setattr(shared_model.formats, "export_files", lambda *args: {})
    store = ModelStore()
    store.write("v1", train_version(config.version_spec("v1"), store.key))
    metadata, _ = store.verified_files("v1")
    assert formats_in(metadata) == ["pickle", "json"]
    with pytest.raises(ModelNotFoundError, match=r"no onnx export .*`archlab train v1`"):
        load_model(store, "v1", "onnx")
    assert load_model(store, "v1", "json").version == "v1"  # the formats it has still load


def test_an_unknown_format_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="pickle, onnx, mlflow, json"):
        load_model(ModelStore(), "v1", "pmml")


def test_model_format_setting_lists_the_formats_the_store_knows():
    assert MODEL_FORMATS == tuple(FORMATS)
    assert ApiSettings.from_env({"MODEL_FORMAT": "onnx"}).model_format == "onnx"
    assert ApiSettings.from_env({}).model_format == "pickle"
    with pytest.raises(ValueError, match="MODEL_FORMAT must be one of pickle, onnx, mlflow, json; got 'xml'"):
        ApiSettings.from_env({"MODEL_FORMAT": "xml"})


def test_the_mlflow_export_is_a_standard_sklearn_flavor_model(trained_home, tmp_path, houses, pipeline_prices):
    """Loadable by MLflow's own API from the unzipped folder, as any MLflow user would."""
    import zipfile

    from mlflow import pyfunc

    from shared_model.pipeline import records_to_frame

    with zipfile.ZipFile(ModelStore(trained_home / "models").path("v2") / mlflow_format.MLFLOW_FILE) as archive:
        archive.extractall(tmp_path)
    assert "sklearn:" in (tmp_path / "MLmodel").read_text()
    model = pyfunc.load_model(str(tmp_path))
    frame = records_to_frame(houses[:5], config.version_spec("v2").features)
    assert list(model.predict(frame)) == pipeline_prices[:5]


def test_loading_the_mlflow_model_starts_no_telemetry(home_with_models):
    """MLflow 3 starts a client that calls its telemetry servers on import, except under CI or
    pytest: so check in a process without those markers, as a user's `archlab` runs."""
    env = {name: value for name, value in os.environ.items() if name not in ("CI", "PYTEST_CURRENT_TEST")}
    code = ("from shared_model import ModelStore; from shared_model.formats import load_model; "
            "load_model(ModelStore(), 'v1', 'mlflow'); "
            "from mlflow.telemetry.client import get_telemetry_client; print(get_telemetry_client())")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "None"
