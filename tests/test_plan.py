"""`archlab plan`: the queueing and fan-out arithmetic against hand-computed cases, the calibration
read from a real quick comparison, the plan checked against a synthetic report it must reproduce,
bad input refused with exit code 2, and the chart and report section drawn.

`data/plan_results.json` is a real `archlab compare --quick` run (2 shared CPUs, loaded by other
work), its latency, floor and drill samples cut to five entries each (the plan reads none of them);
the update timelines, throughput, footprint, scale-out and figures are whole.
"""

import copy
import json
import math
from pathlib import Path

import pytest

from archlab.cli import main
from archlab.plan.calibration import MissingFigure, calibrate, calibrate_all
from archlab.plan.chart import FILE, draw_fanout
from archlab.plan.check import checks
from archlab.plan.fanout import rollouts, time_to_all_new
from archlab.plan.inputs import PlanInputs, read_prices
from archlab.plan.plan import make_plan
from archlab.plan.queueing import erlang_c, response_time_quantile, servers_for_budget
from archlab.plan.section import html_section
from archlab.plan.sizing import size

REAL = Path(__file__).parent / "data" / "plan_results.json"


@pytest.fixture
def real() -> dict:
    return json.loads(REAL.read_text())


# -- queueing, by hand ---------------------------------------------------------------------------

def test_erlang_c_matches_the_hand_computed_cases():
    # c = 2, a = 1 Erlang: (a^2/2! * 2/(2-1)) / (1 + a + a^2/2! * 2/(2-1)) = 1 / 3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # one server: the probability of waiting is the utilisation
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    # c = 3, a = 2: (8/6 * 3) / (1 + 2 + 2 + 8/6 * 3) = 4 / 9
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    assert erlang_c(4, 4.0) == 1.0  # the servers cannot keep up


def test_the_m_m_1_p99_is_the_exponential_quantile_of_mu_minus_lambda():
    # M/M/1: the response time is exponential at rate mu - lambda, so p99 = ln(100) / (mu - lambda)
    assert response_time_quantile(1, 50.0, 0.01) == pytest.approx(math.log(100) / 50, rel=1e-6)
    assert response_time_quantile(1, 100.0, 0.01) == math.inf


def test_servers_for_budget_is_the_fewest_that_meet_it():
    servers = servers_for_budget(1000.0, 0.02, 0.1)
    assert response_time_quantile(servers, 1000.0, 0.02) <= 0.1 < response_time_quantile(servers - 1, 1000.0, 0.02)
    assert servers_for_budget(10.0, 0.05, 0.2) is None  # p99 of the service alone is 4.6 x 50 ms


# -- calibration from a real quick comparison ----------------------------------------------------

def test_every_architecture_of_the_report_is_calibrated_from_its_measurements(real):
    calibrations, skipped = calibrate_all(real)
    assert sorted([c.name for c in calibrations] + list(skipped)) == sorted(real["architectures"])
    streaming = calibrate(real, "streaming")
    assert streaming.fronts == ["web", "web-2"]  # the components whose stop left users with no answer
    best = max(run["requests_per_s"] for run in real["architectures"]["streaming"]["throughput"])
    assert streaming.front_ms == pytest.approx(2 * 1000 / best)
    assert streaming.update["bundle_bytes"] == real["architectures"]["streaming"]["update"]["details"]["bundle_bytes"]
    api = calibrate(real, "api")
    run = next(r for r in real["scale_out"] if r["architecture"] == "api" and r["instances"] == 1)
    cpu_ms = 1000 * sum(run["cpu_s_by_process"].values()) / run["throughput"]["answered"]
    assert api.model_ms == pytest.approx(cpu_ms - run["model_cost_ms"])
    assert api.copies_per_app == 0 and streaming.copies_per_app == 1
    embedded = calibrate(real, "embedded")
    measured = real["architectures"]["embedded"]["update"]["details"]["front_restart_s"]
    assert embedded.update["front_restart_s"] == measured


def test_a_variant_without_a_scale_out_run_is_not_planned_and_says_which_figure_is_missing(real):
    plan = make_plan(real, PlanInputs(), "fixture")
    assert "api-grpc" in plan.not_planned and "scale_out" in plan.not_planned["api-grpc"]
    with pytest.raises(MissingFigure, match="scale_out run of api-grpc"):
        make_plan(real, PlanInputs(), "fixture", only=["api-grpc"])


def test_more_traffic_needs_more_instances_and_more_applications_more_copies_only_where_each_carries_one(real):
    small, large = (make_plan(real, PlanInputs(requests_per_s=rate), "f") for rate in (1_000, 100_000))
    for few, many in zip(small.architectures, large.architectures):
        assert many.sizing.cores > few.sizing.cores, few.name
    shared = {p.name: p.sizing.model_copies for p in make_plan(real, PlanInputs(applications=5), "f").architectures}
    alone = {p.name: p.sizing.model_copies for p in make_plan(real, PlanInputs(), "f").architectures}
    assert shared["api"] == alone["api"] and shared["embedded"] == 5 * alone["embedded"]


# -- the plan reproduces a report built from its own model ---------------------------------------

def _synthetic(real: dict, front_ms: float, restart_s: float, load_per_s: float) -> dict:
    """The real report with embedded's measurements replaced by what the plan's model predicts
    for one front of `front_ms` per request."""
    data = copy.deepcopy(real)
    arch = data["architectures"]["embedded"]
    one_client_ms = arch["throughput"][0]["p50_ms"]
    capacity = 1000 / front_ms
    for run in arch["throughput"]:
        rate = min(run["concurrency"] / (one_client_ms / 1000), capacity)
        run["requests_per_s"], run["p50_ms"] = rate, run["concurrency"] / rate * 1000
    update = arch["update"]
    update["details"]["front_restart_s"] = [restart_s]
    update["timeline"] = [{**update["timeline"][0], "t_s": i / load_per_s} for i in range(501)]
    update["failed"] = 501 / 500 * load_per_s * restart_s  # the plan reads the load as points / span
    data["scale_out"] = [{"architecture": "embedded", "scaled": "the whole app", "instances": n, "model_cost_ms": 20.0,
                          "throughput": {"requests_per_s": n * 1000 / (front_ms + 20.0)}} for n in (1, 2)]
    return data


def test_the_plan_reproduces_the_measurements_of_a_report_made_by_its_own_model(real):
    data = _synthetic(real, front_ms=0.5, restart_s=2.0, load_per_s=50.0)
    found = checks(data, calibrate(data, "embedded"))
    assert {c.what.split(":")[0] for c in found} >= {"1 client", "8 clients", "32 clients",
                                                    "1 x the whole app, model cost 20 ms",
                                                    "2 x the whole app, model cost 20 ms"}
    for check in found:
        assert check.error == pytest.approx(0.0, abs=1e-9), check.what


def test_the_check_reports_the_error_when_the_measurement_disagrees(real):
    data = _synthetic(real, front_ms=0.5, restart_s=2.0, load_per_s=50.0)
    data["scale_out"][1]["throughput"]["requests_per_s"] /= 2  # the second instance bought nothing
    two = next(c for c in checks(data, calibrate(data, "embedded")) if c.what.startswith("2 x"))
    assert two.error == pytest.approx(1.0)


# -- update fan-out ------------------------------------------------------------------------------

def test_a_rolling_restart_takes_build_plus_batches_times_restart(real):
    data = copy.deepcopy(real)
    update = data["architectures"]["embedded"]["update"]
    update["build_s"], update["details"]["front_restart_s"] = 1.0, [2.0, 2.0]
    c = calibrate(data, "embedded")
    inputs = PlanInputs(requests_per_s=300, rolling_batch_percent=10)
    measured, better = rollouts(c, 100, inputs)  # batches of 10: 10 batches
    assert measured.seconds == pytest.approx(1.0 + 10 * 2.0)
    assert measured.failed == pytest.approx(300 * 2.0)  # each replica's share of traffic fails while it restarts
    assert better.failed == 0 and not better.measured
    assert time_to_all_new(c, 7, inputs) == pytest.approx(1.0 + 7 * 2.0)  # 10% of 7 rounds down to batches of 1


def test_a_report_with_both_update_ways_plans_each_as_measured(real):
    """Embedded rolled behind a balancer (none failed) beside the naive stop-then-start (some failed)."""
    data = copy.deepcopy(real)
    embedded = data["architectures"]["embedded"]
    naive = embedded["naive_update"] = copy.deepcopy(embedded["update"])
    naive["strategy"], naive["build_s"], naive["details"]["front_restart_s"] = "stop-then-start: ...", 1.0, [2.0, 2.0]
    best = embedded["update"]
    best["strategy"], best["failed"], best["build_s"] = "rolling: ...", 0, 1.0
    best["details"]["front_restart_s"] = [3.0, 3.0]  # out of rotation, drained, restarted, back
    inputs = PlanInputs(requests_per_s=300, rolling_batch_percent=10)
    rolling, stop_then_start = rollouts(calibrate(data, "embedded"), 100, inputs)
    assert (rolling.strategy, rolling.measured, rolling.failed) == ("rolling", True, 0.0)
    assert rolling.seconds == pytest.approx(1.0 + 10 * 3.0)
    assert (stop_then_start.strategy, stop_then_start.measured) == ("stop-then-start", True)
    assert stop_then_start.failed == pytest.approx(300 * 2.0)


def test_behind_a_load_balancer_the_front_tier_is_the_replicas_the_serving_launch_measured(real):
    """Faults probed on two replicas behind a balancer (only the balancer's stop leaves users with no
    answer); latency, throughput and footprint on one replica without it."""
    data = copy.deepcopy(real)
    embedded = data["architectures"]["embedded"]
    web = embedded["faults"]["web"]
    embedded["faults"] = {"balancer": web, "web": {**web, "statuses": {"200": 5}, "failed": 0}}
    assert calibrate(data, "embedded").fronts == ["web"]


def test_streaming_fan_out_grows_with_the_bytes_the_broker_sends(real):
    c = calibrate(real, "streaming")
    inputs = PlanInputs(broker_egress_mib_s=1.0)
    one, thousand = time_to_all_new(c, 1, inputs), time_to_all_new(c, 1000, inputs)
    assert thousand - one == pytest.approx(999 * c.update["bundle_bytes"] / 1024 / 1024)


def test_async_rescore_is_capped_by_the_stores_write_rate(real):
    c = calibrate(real, "async")
    inputs = PlanInputs(rescore_rows=1_000_000)
    assert time_to_all_new(c, 10_000, inputs) == pytest.approx(time_to_all_new(c, 1_000, inputs))
    assert time_to_all_new(c, 1, inputs) > time_to_all_new(c, 1_000, inputs)


# -- costs and where it breaks -------------------------------------------------------------------

def test_without_prices_the_cost_says_how_to_set_them_and_with_prices_it_is_cores_and_memory(real, tmp_path):
    c = calibrate(real, "api")
    assert size(c, PlanInputs()).monthly_cost is None
    priced = size(c, PlanInputs(core_hour_price=0.5, gib_hour_price=0.25))
    assert priced.monthly_cost == pytest.approx((priced.cores * 0.5 + priced.memory_gib * 0.25) * 730)
    prices = tmp_path / "prices.toml"
    prices.write_text("core_hour = 0.5\ngib_hour = 0.25\n")
    assert read_prices(prices) == {"core_hour_price": 0.5, "gib_hour_price": 0.25}


def test_the_store_breaks_past_its_measured_write_rate(real):
    plan = make_plan(real, PlanInputs(requests_per_s=10_000_000), "f", only=["async"])
    store = next(limit for limit in plan.architectures[0].limits if "database" in limit.what)
    assert not store.holds and "docker/compose.async.yaml" in store.lifted_by


# -- the command ---------------------------------------------------------------------------------

def test_archlab_plan_prints_every_architecture_it_could_plan(real, capsys, tmp_path):
    chart = tmp_path / "fanout.png"
    assert main(["plan", "--results", str(REAL), "--requests-per-s", "100000", "--chart", str(chart)]) == 0
    out = capsys.readouterr().out
    for name in ("embedded", "api", "streaming", "async"):
        assert f"| {name} |" in out
    assert "set --core-hour-price/--gib-hour-price" in out and "Erlang C" in out and "api-grpc" in out
    assert "| api | model_ms | scale_out/0/cpu_s_by_process |" in out  # each figure names its source
    assert chart.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(("args", "says"), [
    (["--requests-per-s", "-5"], "requests-per-s=-5: expected a finite number more than 0"),
    (["--requests-per-s", "0"], "requests-per-s=0"),
    (["--p99-budget-ms", "0"], "p99-budget-ms=0"),
    (["--only", "mainframe"], "architecture 'mainframe' is not in this report"),
    (["--only", "api-grpc"], "no scale_out run of api-grpc"),
])
def test_bad_input_exits_2_naming_the_input(args, says, capsys):
    assert main(["plan", "--results", str(REAL), *args]) == 2
    assert says in capsys.readouterr().err


def test_a_prices_file_prices_the_plan_and_a_bad_one_exits_2(tmp_path, capsys):
    prices = tmp_path / "prices.toml"
    prices.write_text("core_hour = 0.5\ngib_hour = 0.25\n")
    assert main(["plan", "--results", str(REAL), "--prices", str(prices), "--only", "api"]) == 0
    assert "set --core-hour-price" not in capsys.readouterr().out
    prices.write_text("core_hour = 'cheap'\n")
    assert main(["plan", "--results", str(REAL), "--prices", str(prices)]) == 2
    assert "core_hour = 'cheap'; expected a number" in capsys.readouterr().err


def test_a_report_missing_a_figure_exits_2_naming_it(real, tmp_path, capsys):
    del real["architectures"]["embedded"]["footprint"]["rss_mib"]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(real))
    assert main(["plan", "--results", str(path), "--only", "embedded"]) == 2
    assert "no architectures/embedded/footprint/rss_mib: expected resident MiB" in capsys.readouterr().err
    assert main(["plan", "--results", str(tmp_path / "absent.json")]) == 2
    assert "run `archlab compare` first" in capsys.readouterr().err


def test_the_report_section_draws_the_chart_and_names_the_assumptions(real, tmp_path):
    section = html_section(real, tmp_path)
    assert (tmp_path / FILE).read_bytes().startswith(b"\x89PNG")
    assert f'src="{FILE}"' in section and "Erlang C" in section and "Where it breaks" in section


def test_the_chart_is_drawn_for_every_planned_architecture(real, tmp_path):
    plan = make_plan(real, PlanInputs(), "f")
    figure_path = draw_fanout(plan, tmp_path / "chart.png")
    assert figure_path.stat().st_size > 10_000


def test_the_notebook_lab_recomputes_the_plan_when_a_slider_moves(real):
    from archlab.notebook.plan_lab import plan_lab

    lab = plan_lab(real)
    before = lab.plan
    lab.children[0].value = 100_000  # requests/s
    assert lab.plan is not before and lab.plan.inputs.requests_per_s == 100_000
    assert lab.plan.architectures[0].sizing.cores > before.architectures[0].sizing.cores
    assert "Planning past one machine" in lab.children[-1].value


def test_a_budget_no_number_of_instances_meets_says_what_one_request_alone_takes(capsys):
    assert main(["plan", "--results", str(REAL), "--p99-budget-ms", "1", "--only", "embedded"]) == 0
    assert "web: none meets its budget (one request alone: p99 " in capsys.readouterr().out


def test_an_app_that_predicts_in_the_browser_is_not_sized_and_the_plan_says_why(real):
    client = copy.deepcopy(real["architectures"]["embedded"])
    client["capabilities"] = {**client["capabilities"], "predicts_in_client": True, "scalable_component": None}
    client["footprint"]["client_bundle_bytes"] = 21_204
    real["architectures"]["client"] = client
    plan = make_plan(real, PlanInputs(), "results.json")
    assert "client" not in [p.name for p in plan.architectures]
    why = plan.not_planned["client"]
    assert "predicts in each user's browser" in why and "21,204 bytes per new visitor" in why
