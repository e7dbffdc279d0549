"""The model CLI as a user runs it: real subprocesses, exit codes and messages."""

import json
import os
import subprocess
import sys

import pytest

from shared_model import example_record


def archlab(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "archlab", *args], input=stdin, capture_output=True,
                          text=True, env=os.environ.copy(), timeout=120)


def test_train_then_models_lists_both_versions(archlab_home):
    assert archlab("train").returncode == 0
    listing = archlab("models")
    assert listing.returncode == 0
    assert [line.split()[0] for line in listing.stdout.splitlines()[1:]] == ["v1", "v2"]
    assert all(line.endswith("ok") for line in listing.stdout.splitlines()[1:])


@pytest.mark.usefixtures("home_with_models")
def test_predict_json_from_stdin():
    result = archlab("predict", "--version", "v1", stdin=json.dumps(example_record()))
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["model_version"] == "v1" and row["price"] > 0
    assert row["imputed"] == []


@pytest.mark.usefixtures("home_with_models")
def test_predict_refuses_an_empty_house_and_lists_what_a_sparse_one_left_to_imputation():
    sparse = {"Neighborhood": "NAmes", "OverallQual": 6, "GrLivArea": 1500}
    result = archlab("predict", "--version", "v1", stdin=json.dumps([{}, sparse]))
    assert result.returncode == 2
    assert "row 1: Neighborhood: is required" in result.stderr
    (row,) = json.loads(result.stdout)
    assert row["row"] == 2 and "LotFrontage" in row["imputed"] and "GrLivArea" not in row["imputed"]


@pytest.mark.usefixtures("home_with_models")
def test_predict_csv_reports_bad_rows_and_exits_2(tmp_path):
    path = tmp_path / "houses.csv"
    path.write_text("Id,GrLivArea,Neighborhood,OverallQual\n1,1500,NAmes,6\n2,lots,NAmes,6\n")
    result = archlab("predict", str(path))
    assert result.returncode == 2
    assert result.stdout.splitlines()[1].startswith("1,1,")
    assert "row 2: GrLivArea: is not a number" in result.stderr


@pytest.mark.usefixtures("home_with_models")
@pytest.mark.parametrize("args, message", [
    (("predict", "missing.csv"), "no such file"),
    (("predict", "--version", "v9", "-"), "no model version 'v9'"),
    (("train", "v9"), "no training recipe"),
])
def test_bad_input_exits_2_with_a_message(args, message):
    result = archlab(*args, stdin='{"GrLivArea": 1000}')
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_models_on_an_empty_store_says_what_to_do(archlab_home):
    result = archlab("models")
    assert result.returncode == 0 and "archlab train" in result.stdout


@pytest.mark.usefixtures("home_with_models")
def test_bench_prints_percentiles_and_the_command_to_reproduce():
    result = archlab("bench", "--calls", "50")
    assert result.returncode == 0, result.stderr
    assert "fast path: Model.predict_one" in result.stdout and "floor: numpy dot" in result.stdout
    assert result.stdout.rstrip().endswith("reproduce with: archlab bench --calls 50")
