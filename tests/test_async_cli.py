"""`archlab submit` and `archlab score` as a user runs them (in-process `main`, the real database)."""

from __future__ import annotations

import csv

import pytest

from archlab.cli import main
from async_helpers import async_module, houses, statuses


@pytest.fixture
def cli_env(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    store = async_module("store").Store.connect(database_url)
    yield store
    store.close()


def write_csv(path, rows):
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["Id", *rows[0]])
        writer.writeheader()
        writer.writerows({"Id": i, **row} for i, row in enumerate(rows, start=1))
    return path


def test_submit_new_houses_then_score_once(cli_env, capsys):
    assert main(["submit", "--new-houses"]) == 0
    assert "stored 1459 requests" in capsys.readouterr().out
    assert main(["score", "--once", "--chunk-size", "500"]) == 0
    out = capsys.readouterr().out
    assert "scored 1459 requests in 3 chunks: 1459 predicted (0 rejected by the review gate), 0 failed" in out
    assert statuses(cli_env) == {"predicted": 1459}


def test_score_says_when_rows_are_held_by_a_worker_that_stopped(cli_env, capsys):
    assert main(["submit", "--new-houses"]) == 0
    cli_env.claim("a-worker-that-was-killed", limit=5000, lease_seconds=60)
    assert main(["score", "--once"]) == 0
    out = capsys.readouterr().out
    assert "nothing scored: 1,459 rows claimed by a worker that stopped; the lease expires in " in out
    assert "scored 0 requests" not in out


def test_submit_reports_bad_rows_by_number_and_stores_the_rest(cli_env, tmp_path, capsys):
    rows = houses(4)
    rows[1] = {**rows[1], "GrLivArea": "big"}
    rows[3] = {**rows[3], "OverallQual": "42", "CentralAir": "Maybe"}
    assert main(["submit", str(write_csv(tmp_path / "batch.csv", rows))]) == 2
    captured = capsys.readouterr()
    assert "stored 2 requests" in captured.out and "rejected 2 invalid rows" in captured.out
    assert "row 2: GrLivArea: is not a number" in captured.err
    assert "row 4: " in captured.err and "OverallQual" in captured.err and "CentralAir" in captured.err
    assert "ignored 1 columns the model does not use: Id" in captured.err
    assert statuses(cli_env) == {"pending": 2}


def test_submit_a_missing_file_is_exit_2_with_a_message(cli_env, tmp_path, capsys):
    assert main(["submit", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_score_with_an_unknown_version_is_exit_2(cli_env, capsys):
    assert main(["score", "--once", "--version", "v9"]) == 2
    assert "no model version 'v9'" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["score", "--chunk-size", "0"], "expected a positive int"),
    (["score", "--workers", "two"], "expected a positive int"),
    (["score", "--once", "--every", "5"], "not allowed with argument"),
])
def test_score_refuses_bad_options(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
