"""`archlab models` and `archlab bench --formats` on the ONNX and MLflow exports, as a user runs them."""

import json
import re

import pytest
from test_cli_model import archlab

import shared_model.formats
from shared_model import ModelStore, config
from shared_model.training import train_version


@pytest.mark.usefixtures("home_with_models")
def test_models_lists_the_formats_of_each_version():
    listing = archlab("models")
    assert listing.returncode == 0
    rows = listing.stdout.splitlines()[1:]
    assert [row.split()[0] for row in rows] == ["v1", "v2"]
    assert all(row.endswith("pickle,onnx,mlflow,json ok") for row in rows)
    assert [row["formats"] for row in json.loads(archlab("models", "--json").stdout)] == [
        ["pickle", "onnx", "mlflow", "json"]] * 2


def test_models_says_which_versions_lack_the_newer_formats(archlab_home, monkeypatch):
    """A version stored before the ONNX and MLflow exports existed: signed, with only the pickle and model.json."""
    monkeypatch.setattr(shared_model.formats, "export_files", lambda *args: {})
    store = ModelStore()
    store.write("v1", train_version(config.version_spec("v1"), store.key))
    listing = archlab("models")
    assert listing.returncode == 0
    assert re.search(r" pickle,json +ok$", listing.stdout.splitlines()[1])
    assert ("v1 has no onnx or mlflow export (stored before archlab exported those formats): "
            "run `archlab train v1` to store it again with every format") in listing.stdout


@pytest.mark.slow
@pytest.mark.usefixtures("home_with_models")
def test_bench_formats_prints_every_format_beside_the_floor():
    result = archlab("bench", "--formats", "--calls", "20")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    assert {"pickle", "onnx", "mlflow", "json", "floor:"} <= set(rows)
    assert rows["pickle"].endswith(" 0.0e+00")  # the reference itself
    assert float(rows["onnx"].split()[-1]) <= 1e-4  # float32, within the stated tolerance
    assert result.stdout.rstrip().endswith("reproduce with: archlab bench --formats --calls 20")
