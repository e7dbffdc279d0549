"""The report folder from a small real measurement run: files exist, every number shown is the JSON's."""

import json
import math
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from archlab.compare.timing import Timings, summary_lines
from archlab.measure.floors import Floor, http_constant_floor
from archlab.measure.load import run_load, start_load
from archlab.measure.throughput import measure_throughput
from archlab.report import Architecture, Fault, Latency, Results, Update, load_results, write_report
from archlab.report.footing import caption
from archlab.report.numbers import fmt
from archlab.report.page import render_page
from archlab.report.timing import timing_section
from patterns.launch.process import free_port

from measure_helpers import fake_front, model_version, wait_until

ASYNC_PARTS_MS = {"waiting for the schedule": [400.0, 600.0, 500.0], "scoring": [2.0, 3.0, 2.5],
                  "review": [10.0, 12.0, 11.0]}


def _measure_update(front):
    """Steady traffic while the served version flips from v1 to v2, as an architecture driver would."""
    run = start_load(front.url + "/ok", count=10_000, duration_s=30, interval_s=0.01, extract=model_version,
                     progress=False)
    wait_until(lambda: len(run.snapshot()) >= 5)
    started = run.clock()
    front.version = "v2"
    ready = run.clock()
    wait_until(lambda: sum(s.value == "v2" for s in run.snapshot()) >= 5)
    run.stop()
    front.version = "v1"
    return Update.from_samples(run.result().samples, from_version="v1", to_version="v2", started_s=started,
                               ready_s=ready, restarted=["web app"], rebuilt=["model wheel"])


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    with pytest.MonkeyPatch.context() as env, fake_front() as front:
        env.setenv("ARCHLAB_HOME", str(tmp_path_factory.mktemp("measure-home")))
        dead = f"http://127.0.0.1:{free_port()}/"
        http_floor = http_constant_floor(json={"GrLivArea": 1500}, count=50)
        floors = {
            "http_constant": http_floor,
            # a floor a system measured itself arrives as plain samples (System.floors())
            "db_transaction": Floor("db_transaction", "claim one row and write it", http_floor.samples_ms[:30]),
        }

        def latency(floor):
            result = run_load(front.url + "/ok", count=40, duration_s=30, method="POST", json={"GrLivArea": 1500},
                              progress=False)
            return Latency.from_load(result, "POST one record to the front", floor)

        def fault(component, url, user_sees):
            return Fault.from_load(component, run_load(url, count=10, duration_s=30, timeout_s=1, progress=False),
                                   user_sees)

        def throughput():
            return [measure_throughput(front.url + "/ok", concurrency, count=30, duration_s=10,
                                       json={"GrLivArea": 1500}).as_dict() for concurrency in (1, 4)]

        architectures = {
            "embedded": Architecture(
                "embedded", latency("http_constant"),
                replace(_measure_update(front), strategy="rolling: one replica at a time behind a balancer",
                        pids_seen={"web": [11, 12], "web-2": [21, 22], "balancer": [31]}, extra_rss_mib=4.5),
                {"app": fault("app", dead, "no answer")}, {"started": True}, ["web"],
                capabilities={"review_gate": False}, throughput=throughput(),
                footprint={"processes": [{"component": "web", "pid": 1, "parent": 0, "command": "python",
                                          "rss_mib": 90.5, "model_runtime": "scikit-learn"}],
                           "rss_mib": {"web": 90.5, "total": 90.5}, "app_environment_mib": 180.2,
                           "model_copies": 1, "code_lines": 230},
                drill={"requests": 120, "bad_answers": 14, "detected_after_s": 1.5, "rollback_s": 3.25, "failed": 7,
                       "rollback_strategy": "stop-then-start",
                       "guards": [{"guard": "canary", "outcome": "aborted", "reason": "model v3: price too high",
                                   "strategy": "one replica first", "bad_answers": 1, "decided_after_s": 0.41,
                                   "failed": 0, "requests": 90, "extra_processes": 1, "extra_rss_mib": 61.2,
                                   "p50_ms_before": 1.25, "p50_ms_during": 1.5, "observed": {}}]},
                second_app={"model_copies": 2, "model_copies_by_component": {"web": "scikit-learn",
                                                                             "report": "scikit-learn"},
                            "restarted_by_update": {"front": True, "report": True}, "apps_restarted": 2,
                            "versions_after_update": ["v2"]},
                naive_update=replace(_measure_update(front), strategy="stop-then-start: replicas one after another",
                                     pids_seen={"web": [41, 42], "web-2": [51, 52]}, extra_rss_mib=0.0),
                footing={"latency and throughput": {"front_instances": 1, "entry_points": 1},
                         "update, drill and faults": {"front_instances": 2, "entry_points": 1}}),
            "api": Architecture(
                "api", latency("http_constant"), None,
                {"app": fault("app", dead, "no answer"),
                 "model_service": fault("model_service", front.url + "/flaky", "503 every other request")},
                {"started": False}, ["web", "model-service"], capabilities={"review_gate": False},
                notes=["the front retries once"],
                footing={"latency and throughput": {"front_instances": 1, "entry_points": 1},
                         "update, drill and faults": {"front_instances": 1, "entry_points": 1}}),
            "async": Architecture(
                "async", replace(latency("db_transaction"), parts_ms=ASYNC_PARTS_MS), None,
                {"database": Fault.external("database", "a shared server: not stopped by archlab")},
                {"started": False, "after the update": False},
                capabilities={"answers_later": True, "review_gate": True}),
        }
        scale_out = [{"architecture": "embedded", "scaled": "the whole app", "instances": n, "model_cost_ms": 5.0,
                      "throughput": run, "components": ["web"], "cpu_s_by_process": {"web (pid 1)": 0.5},
                      "rss_mib_each": 90.5} for n, run in zip((1, 2), throughput())]
        scale_out.append({"architecture": "async", "scaled": "worker", "instances": 1, "model_cost_ms": 0.0,
                          "throughput": {"rows": 100, "rows_per_s": 5000.0}, "components": ["worker"],
                          "cpu_s_by_process": {}, "rss_mib_each": 80.0})
    return Results(floors=floors, architectures=architectures, quick=True, scale_out=scale_out,
                   throughput_floors={"http_constant": throughput()}, duration_s=12.5)


@pytest.fixture(scope="module")
def report(results, tmp_path_factory):
    return write_report(results, reports_dir=tmp_path_factory.mktemp("reports"))


class _Numbers(HTMLParser):
    """Collects (json path, shown text) of every data-json element, and the tradeoff table's other text."""

    def __init__(self):
        super().__init__()
        self.numbers, self.tradeoff_text = [], []
        self._path, self._in_tradeoffs, self._rows = None, False, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._in_tradeoffs = attrs.get("id") == "tradeoffs"
        if tag == "tr" and self._in_tradeoffs:
            self._rows += 1
        if "data-json" in attrs:
            self._path, self._text = attrs["data-json"], ""

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_tradeoffs = False
        if self._path and tag in ("td", "span"):
            self.numbers.append((self._path, self._text))
            self._path = None

    def handle_data(self, data):
        if self._path:
            self._text += data
        elif self._in_tradeoffs and self._rows > 1:  # the header row names percentiles: p50, p99
            self.tradeoff_text.append(data)


def _parse(folder):
    parser = _Numbers()
    parser.feed((folder / "index.html").read_text())
    return parser


def _at(data, path):
    for key in path.split("/"):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def test_report_folder_holds_page_charts_and_json(report):
    for name in ("latency.png", "update_timelines.png", "coupling.png", "time_split.png"):
        assert (report / name).read_bytes().startswith(b"\x89PNG"), name
        assert f'src="{name}"' in (report / "index.html").read_text()
    assert (report.parent / "latest").resolve() == report.resolve()


def test_every_number_on_the_page_is_the_one_in_the_json(report):
    data = json.loads((report / "results.json").read_text())
    numbers = _parse(report).numbers
    paths = {path for path, _ in numbers}
    for must_show in ("architectures/embedded/latency/summary_ms/p50", "architectures/api/latency/summary_ms/p99",
                      "floors/http_constant/summary_ms/p50", "architectures/embedded/update/cost_s",
                      "architectures/api/faults/model_service/failed", "architectures/embedded/p50_over_floor",
                      "architectures/embedded/throughput/1/requests_per_s", "throughput_floors/http_constant/0/p99_ms",
                      "architectures/embedded/footprint/rss_mib/total", "architectures/embedded/drill/bad_answers",
                      "architectures/embedded/drill/guards/0/decided_after_s",
                      "architectures/embedded/second_app/apps_restarted", "scale_out/1/throughput/requests_per_s",
                      "scale_out/2/throughput/rows_per_s"):
        assert must_show in paths
    for path, shown in numbers:
        value = _at(data, path)
        assert shown == fmt(value), path
        if value is not None:
            assert float(shown.replace(",", "")) == pytest.approx(value, rel=0.006, abs=5e-4), path


def test_the_page_concludes_with_each_requirement_profile_decided_from_the_json(report):
    data = json.loads((report / "results.json").read_text())
    page = (report / "index.html").read_text()
    review = next(p for p in data["profiles"] if "reviewed" in p["name"])
    assert list(review["fits"]) == ["async"] and sorted(review["fails"]) == ["api", "embedded"]
    for profile in data["profiles"]:
        assert profile["name"] in page
        for arch, why in profile["fails"].items():
            assert f"<li>{arch}: {why}</li>" in page


def test_tradeoff_cells_are_coloured_best_to_worst_from_the_measured_ranks(report):
    data = json.loads((report / "results.json").read_text())
    ranks = data["ranks"]["p50_ms"]
    best = min(ranks, key=ranks.get)
    assert ranks[best] == 1
    assert f'title="rank 1 of {max(ranks.values())}"' in (report / "index.html").read_text()


def test_tradeoff_table_has_no_number_that_is_not_from_the_json(report):
    text = "".join(_parse(report).tradeoff_text)
    assert not any(ch.isdigit() for ch in text), text


def test_recorded_values_are_the_observed_ones(results):
    update = results.architectures["embedded"].update
    assert update.converged_s is not None and update.failed == 0
    assert update.cost_s == max(0.0, update.converged_s - update.ready_s)
    assert {p.version for p in update.timeline} == {"v1", "v2"}
    model_service = results.architectures["api"].faults["model_service"]
    assert (model_service.requests, model_service.failed, model_service.statuses) == (10, 5, {"200": 5, "503": 5})
    assert results.architectures["embedded"].faults["app"].statuses == {"no answer": 10}
    assert results.to_dict()["architectures"]["api"]["p50_over_floor"] == pytest.approx(
        results.architectures["api"].latency.to_dict()["summary_ms"]["p50"]
        / results.floors["http_constant"].summary().p50
    )


def test_an_answer_later_is_split_by_the_p50_of_each_part_it_waited_for(report):
    parts = json.loads((report / "results.json").read_text())["architectures"]["async"]["latency"]["parts_p50_ms"]
    assert parts == {"waiting for the schedule": 500.0, "scoring": 2.5, "review": 11.0}
    assert list(parts) == list(ASYNC_PARTS_MS)  # in the order a request meets them


def test_results_json_round_trips(report):
    data = json.loads((report / "results.json").read_text())
    assert load_results(report).to_dict() == data
    assert data["floors"]["http_constant"]["summary_ms"]["n"] == 50
    assert all(math.isfinite(x) for x in data["architectures"]["api"]["latency"]["samples_ms"])


def test_reports_go_to_archlab_home_each_in_its_own_folder_the_newest_latest(results, archlab_home):
    first, second = write_report(results), write_report(results)
    assert first.parent == second.parent == archlab_home / "reports"
    assert first != second and (first / "index.html").exists()
    assert (archlab_home / "reports" / "latest").resolve() == second.resolve()


def test_results_from_another_schema_are_refused(results):
    data = results.to_dict()
    data["schema_version"] = 99
    with pytest.raises(ValueError, match="schema_version"):
        Results.from_dict(data)


def test_archlab_results_writes_the_page_from_the_json(report, tmp_path, capsys):
    from archlab.cli import main

    page = tmp_path / "RESULTS.md"
    assert main(["results", str(report), "--output", str(page)]) == 0
    text = page.read_text()
    data = json.loads((report / "results.json").read_text())
    for name, arch in data["architectures"].items():
        row = next(line for line in text.splitlines() if line.startswith(f"| {name} |"))
        assert f"| {fmt(arch['latency']['summary_ms']['p50'])} |" in row
    assert f"reports/{report.name}/results.json" in text
    later = data["architectures"]["async"]["latency"]
    assert (f"- async: until stored {fmt(later['summary_ms']['p50'])} ms; waiting for the schedule {fmt(500.0)} ms, "
            f"scoring {fmt(2.5)} ms, review {fmt(11.0)} ms") in text  # the parts in the order a request meets them
    assert main(["results", str(tmp_path / "no-such-report")]) == 2
    assert "run `archlab compare` first" in capsys.readouterr().err


def test_each_architectures_declared_targets_are_read_from_its_own_results():
    from archlab.report.targets import evaluate_targets
    from patterns.launch.architectures import system_class

    declared = [t.as_dict() for t in system_class("async").targets]
    data = {"duration_s": 100, "quick": True, "architectures": {
        "async": {"targets": declared, "figures": {"job_rows_per_s": 12_000},
                  "namespace": {"database": "postgresql://127.0.0.1/run"}},
        "api-grpc": {"targets": []}}}
    targets = evaluate_targets(data)
    assert targets["async_job_rows_per_s"] == {
        "description": declared[0]["description"], "measured": 12_000, "op": ">=", "target": 10_000, "met": True}
    assert targets["run_seconds"]["met"] is False  # 100 s against a quick run's 90
    data["architectures"]["async"]["namespace"] = {"database": "sqlite:///runs/x/async.db"}
    assert evaluate_targets(data)["async_job_rows_per_s"]["met"] is False  # 20,000 on SQLite


def test_a_footing_says_how_much_the_systems_waiting_beside_took_from_the_cores():
    footings = {"embedded": {"latency and throughput": {"front_instances": 1, "entry_points": 1, "beside_cpu_pct": 4.5}},
                "api": {"latency and throughput": {"front_instances": 1, "entry_points": 1, "beside_cpu_pct": 2.0}}}
    line = caption(footings, "latency and throughput", 2)
    assert line == ("latency and throughput: 1 user-facing instance each; one client (archlab's load generator) on "
                    "the same 2 CPUs; the other systems waited running beside each one, using at most 4.5% of one CPU")


def test_the_page_states_each_measurement_s_footing_and_where_one_could_not_match(report):
    page = (report / "index.html").read_text()
    assert "latency and throughput: 1 user-facing instance each; one client" in page
    assert ("update, drill and faults: 2 user-facing instances behind 1 load balancer: embedded; "
            "1 user-facing instance: api; one client") in page
    assert "<b>api</b>: fewer user-facing instances than the others' 2" in page
    assert "<b>async</b> answers later" in page


def test_both_update_strategies_are_shown_with_restarts_and_extra_memory(report):
    data = json.loads((report / "results.json").read_text())
    embedded = data["architectures"]["embedded"]
    assert embedded["update"]["restarts"] == {"web": 1, "web-2": 1}  # the balancer kept its process
    assert embedded["naive_update"]["strategy"].startswith("stop-then-start")
    paths = {path for path, _ in _parse(report).numbers}
    for key in ("naive_update", "update"):
        for field in ("failed", "cost_s", "extra_rss_mib", "restarts/web"):
            assert f"architectures/embedded/{key}/{field}" in paths


def test_the_tradeoff_table_has_the_lecture_s_columns_first_and_the_details_in_a_second_table(report):
    page = (report / "index.html").read_text()
    lecture = page.split('<table id="tradeoffs">')[1].split("</tr>")[0]
    headers = [cell.split("<")[0].strip() for cell in lecture.split("<th>")[1:]]
    assert headers == ["architecture", "p50 ms", "p99 ms", "update cost", "coupling", "complexity", "scale",
                       "reviewed before use"]
    assert page.index('id="tradeoffs"') < page.index('id="tradeoff-details"')
    assert "2 entries, 2 files" in page or "1 entry, 1 file" in page  # rebuilt files by count, not listed


def test_where_the_run_s_time_went_is_shown_from_the_json(results):
    timings = Timings()
    with timings.phase("floors"):
        pass
    timings.launches.append({"phase": "repetition 1: api scale-out", "purpose": "scale-out", "system": "api",
                             "start_s": 1.5, "alive_s": 3.25, "stop_s": 0.75})
    data = replace(results, timings=timings.as_dict()).to_dict()
    assert data["timings"]["all_launches"] == {"purpose": "all", "count": 1, "start_s": 1.5, "alive_s": 3.2,
                                               "stop_s": 0.8}
    section = timing_section(data)
    assert "<td>floors</td>" in section and "<td>scale-out</td><td>1</td><td>1.5</td><td>3.2</td>" in section
    assert any(line.startswith("scale-out") and line.split()[1:] == ["1", "1.5", "3.2", "0.8"]
               for line in summary_lines(data["timings"]))
    assert timing_section({}) == ""  # results written before timings were kept


def test_a_run_without_guard_drills_says_why_the_guards_table_is_empty(report):
    data = json.loads((report / "results.json").read_text())
    for arch in data["architectures"].values():
        (arch.get("drill") or {}).pop("guards", None)
    names = list(data["architectures"])
    quick = render_page({**data, "quick": True}, names)
    assert 'id="guards"' not in quick and "a quick run leaves the guard drills out" in quick
    assert "no architecture offered a guard" in render_page({**data, "quick": False}, names)
