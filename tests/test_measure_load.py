"""The load generator against a real HTTP server: its bounds, recorded failures, loopback-only."""

import io

import pytest

from archlab.measure import progress
from archlab.measure.load import Sample, check_loopback, run_load, start_load
from archlab.measure.timeline import converged_at, failures_between
from patterns.launch.process import free_port

from measure_helpers import fake_front, model_version, wait_until


@pytest.fixture
def front():
    with fake_front() as server:
        yield server


def test_sequential_run_stops_at_the_count_and_records_every_answer(front):
    result = run_load(front.url + "/ok", count=25, duration_s=30, extract=model_version, progress=False)
    assert result.stopped_by == "count"
    assert result.mode == "sequential"
    assert len(result.samples) == 25
    assert [s.value for s in result.samples] == ["v1"] * 25
    assert all(s.status == 200 and s.ok for s in result.samples)
    assert result.summary().n == 25
    starts = [s.t_s for s in result.samples]
    assert starts == sorted(starts)


def test_concurrent_run_uses_every_worker_and_still_stops_at_the_count(front):
    result = run_load(front.url + "/slow", count=12, duration_s=30, concurrency=4, method="POST",
                      json={"GrLivArea": 1500}, progress=False)
    assert result.mode == "concurrent"
    assert len(result.samples) == 12
    assert {s.worker for s in result.samples} == {0, 1, 2, 3}


def test_run_stops_at_the_time_limit_before_the_count(front):
    result = run_load(front.url + "/slow", count=100_000, duration_s=0.5, progress=False)
    assert result.stopped_by == "time"
    assert 0 < len(result.samples) < 100_000
    assert all(s.t_s < 0.5 for s in result.samples)  # no request starts after the limit


def test_server_errors_are_recorded_not_raised(front):
    result = run_load(front.url + "/error", count=5, duration_s=30, progress=False)
    assert len(result.failures) == 5
    assert {(s.status, s.error) for s in result.samples} == {(500, "HTTP 500")}
    assert result.summary().n == 0  # failures are counted, not timed


def test_a_mix_of_answers_and_errors_is_counted_exactly(front):
    result = run_load(front.url + "/flaky", count=10, duration_s=30, extract=model_version, progress=False)
    assert len(result.failures) == 5
    assert sorted(s.status for s in result.samples) == [200] * 5 + [503] * 5
    assert [s.value for s in result.samples if s.ok] == ["v1"] * 5
    assert result.to_dict()["failed"] == 5


def test_no_server_at_all_is_recorded_as_no_answer():
    result = run_load(f"http://127.0.0.1:{free_port()}/", count=3, duration_s=30, timeout_s=1, progress=False)
    assert [(s.status, s.error) for s in result.samples] == [(None, "ConnectionError")] * 3


def test_an_answer_without_the_expected_field_is_a_failure(front):
    result = run_load(front.url + "/garbled", count=2, duration_s=30, extract=model_version, progress=False)
    assert all(s.status == 200 and not s.ok and s.error.startswith("bad answer") for s in result.samples)


def test_a_background_run_can_be_stopped_early(front):
    run = start_load(front.url + "/ok", count=1000, duration_s=30, interval_s=0.05, progress=False)
    wait_until(run.snapshot)
    run.stop()
    result = run.result()
    assert result.stopped_by == "stopped"
    assert 0 < len(result.samples) < 1000


def test_an_update_is_read_off_the_served_versions(front):
    run = start_load(front.url + "/ok", count=10_000, duration_s=30, interval_s=0.01, extract=model_version,
                     progress=False)
    wait_until(lambda: len(run.snapshot()) >= 5)
    front.version = "v2"
    wait_until(lambda: sum(s.value == "v2" for s in run.snapshot()) >= 5)
    run.stop()
    samples = run.result().samples
    switch = converged_at(samples, "v2")
    assert switch is not None
    assert all(s.value == "v2" for s in samples if s.t_s >= switch)
    assert all(s.value == "v1" for s in samples if s.t_s < switch)
    assert failures_between(samples, 0, samples[-1].t_s) == 0


@pytest.mark.parametrize(
    "values, expected",
    [
        (["v1", "v1", None, "v2", "v1", "v2", "v2"], 5.0),  # a v1 answer after the first v2 delays convergence
        (["v1", "v2", None], None),  # the last answer failed: never converged
        (["v2", "v2"], 0.0),
    ],
)
def test_convergence_is_the_start_of_the_final_all_new_run(values, expected):
    samples = [
        Sample(t_s=float(i), latency_ms=1.0, status=200 if v else None, error=None if v else "ConnectionError",
               value=v, worker=0)
        for i, v in enumerate(values)
    ]
    assert converged_at(samples, "v2") == expected


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/", "http://127.8.9.10/x", "http://localhost:1/", "http://[::1]:80/"])
def test_loopback_targets_are_accepted(url):
    check_loopback(url)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/", "http://example.com/", "http://0.0.0.0:80/", "http://[2001:db8::1]/", "ftp://127.0.0.1/"]
)
def test_targets_off_this_machine_are_refused_before_any_request(url):
    with pytest.raises(ValueError, match="load target"):
        run_load(url, count=1, duration_s=1, progress=False)


@pytest.mark.parametrize("bounds", [{"count": 0, "duration_s": 1}, {"count": 1, "duration_s": 0}])
def test_a_run_must_be_bounded(front, bounds):
    with pytest.raises(ValueError, match="bounds"):
        run_load(front.url + "/ok", progress=False, **bounds)


def test_short_runs_print_no_progress(front, capsys):
    run_load(front.url + "/ok", count=5, duration_s=30)
    assert capsys.readouterr().err == ""


def test_progress_bar_shows_requests_and_failures(monkeypatch):
    monkeypatch.setattr(progress, "SHOW_AFTER_S", 0.0)
    stream = io.StringIO()
    bar = progress.Progress("latency: api", total=10, limit_s=60, stream=stream)
    bar.update(5, failed=1)
    bar.finish(10, failed=1)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("latency: api [###############...............] 5/10 requests, 1 failed")
    assert lines[-1].startswith("latency: api [" + "#" * 30 + "] 10/10 requests, 1 failed")


def test_several_targets_each_get_their_own_worker_on_one_clock(front):
    from archlab.measure.load import Target

    with fake_front() as second:
        second.version = "v2"
        result = run_load([Target(front.url + "/ok"), Target(second.url + "/ok")], count=40, duration_s=30,
                          extract=model_version, progress=False)
    assert result.concurrency == 2 and len(result.samples) == 40
    served = {worker: {s.value for s in result.samples if s.worker == worker} for worker in (0, 1)}
    assert served == {0: {"v1"}, 1: {"v2"}}  # worker i sends to target i


def test_the_clients_own_cpu_time_is_recorded_and_answers_carry_no_timing_unless_sent(front):
    result = run_load(front.url + "/ok", count=50, duration_s=30, concurrency=2, progress=False)
    assert result.client_cpu_s > 0
    assert result.to_dict()["client_cpu_s"] == result.client_cpu_s
    assert all(s.timing == {} for s in result.samples)
