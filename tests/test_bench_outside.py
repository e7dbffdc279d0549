"""`archlab bench --outside`: the embedded front and the floors loaded by wrk from outside, rounds
interleaved, optionally beside another checkout's front; its argument errors and a missing wrk."""

import re
import shutil
from pathlib import Path

import pytest

from archlab.bench.outside import parse_wrk
from archlab.cli import main
from archlab.testing import require_service

CHECKOUT = Path(__file__).resolve().parents[1]
WRK_LINE = "ARCHLAB-WRK requests=6000 duration_us=2000000 errors=1 non_2xx=2 p50_us=310 p90_us=420 p99_us=1500"


@pytest.fixture
def wrk():
    require_service("wrk", shutil.which("wrk") is not None, "install it: apt-get install -y wrk")


def _rows(out: str) -> list[list[str]]:
    """The per-run table: round, app name..., req/s, p50, p90, p99, errors, server CPU us/request."""
    return [line.split() for line in out.splitlines() if line.split()[:1] and line.split()[0].isdigit()]


@pytest.mark.parametrize("argv, message", [
    (["--against", "."], "--against, --rounds and --connections go with --outside"),
    (["--rounds", "2"], "--against, --rounds and --connections go with --outside"),
    (["--outside", "--rounds", "0"], "--rounds and --connections must be at least 1; got 0 and 1"),
    (["--outside", "--connections", "0"], "--rounds and --connections must be at least 1; got 3 and 0"),
    (["--outside", "--front"], "choose one of --formats, --throughput, --front and --outside"),
    (["--outside", "--seconds", "0"], "--seconds above 0"),
])
def test_bad_arguments_are_refused_with_what_is_expected(archlab_home, capsys, argv, message):
    assert main(["bench", *argv]) == 2
    assert message in capsys.readouterr().err


def test_against_a_folder_that_is_no_checkout_is_refused_before_anything_starts(archlab_home, tmp_path, capsys, wrk):
    assert main(["bench", "--outside", "--against", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"--against expects the root of an archlab checkout (with patterns/web and archlab); got {tmp_path}" in err


def test_a_checkout_whose_code_cannot_train_is_named_with_why(archlab_home, tmp_path, capsys, wrk):
    broken = tmp_path / "broken-checkout"
    (broken / "patterns" / "web").mkdir(parents=True)
    (broken / "patterns" / "web" / "__init__.py").write_text("")
    (broken / "archlab").mkdir()
    (broken / "archlab" / "__init__.py").write_text("")  # half a checkout: its `archlab train` cannot run
    assert main(["bench", "--outside", "--against", str(broken)]) == 2
    err = capsys.readouterr().err
    assert re.search(rf"archlab bench: error: training v1 with {re.escape(str(broken))} failed \(exit 1\): "
                     r"(ModuleNotFound|Import)Error", err)  # whichever of its missing parts it imports first
    assert "Traceback" not in err


def test_without_wrk_it_says_how_to_get_it(archlab_home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no wrk on PATH
    assert main(["bench", "--outside"]) == 2
    err = capsys.readouterr().err
    assert "the outside load generator wrk is not installed" in err and "apt-get install -y wrk" in err


def test_wrks_result_line_is_read_into_rates_and_milliseconds():
    result = parse_wrk(f"Running 2s test\n{WRK_LINE}\n")
    assert result == {"requests": 6000, "seconds": 2.0, "requests_per_s": 3000.0, "errors": 1, "non_2xx": 2,
                      "p50_ms": 0.31, "p90_ms": 0.42, "p99_ms": 1.5}
    with pytest.raises(ValueError, match="wrk printed no result line"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


@pytest.mark.slow
@pytest.mark.usefixtures("home_with_models", "wrk")
def test_a_short_run_beside_another_checkout_prints_each_app_per_round_the_ratios_and_the_command(capsys):
    """One run covers both: started once, the four apps share the rounds (this checkout stands in
    for the other one, whose front it starts as that checkout would: a model of its own, `serve`)."""
    assert main(["bench", "--outside", "--seconds", "1", "--rounds", "2", "--against", str(CHECKOUT)]) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    apps = ["bare WSGI (server floor)", "Flask route (framework floor)", "embedded front", "embedded front (--against)"]
    assert [(row[0], " ".join(row[1:-6])) for row in rows] == [(r, app) for r in ("1", "2") for app in apps]
    assert all(float(row[-6]) > 0 and row[-2] == "0" for row in rows)  # requests answered, none failed
    assert all(float(row[-1]) > 0 for row in rows)  # each server's CPU per request, read from /proc
    assert "from outside, 1 connection(s), 1 s a run, 2 round(s) interleaved" in out and "nproc" in out
    assert f"embedded front (--against): the checkout at {CHECKOUT} (model v1 trained by its own code)" in out
    ratios = out.split("ratios within each round")[1]
    assert [line.split("req/s")[0].strip() for line in ratios.splitlines()[1:3]] == apps[2:]
    for ratio in ("req/s / bare WSGI's", "p50 / Flask route's", "server CPU / Flask route's"):
        assert ratio in ratios
    assert out.splitlines()[-1] == (f"reproduce with: archlab bench --outside --seconds 1 --rounds 2 --connections 1 "
                                    f"--against {CHECKOUT}")
