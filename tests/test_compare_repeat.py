"""Repetitions pooled the way `archlab compare` pools them: each repetition kept, the median shown,
and the scale-out factor computed repetition by repetition (never from two different repetitions)."""

from archlab.compare.repeat import pooled_runs, pooled_scale_out
from archlab.report.scaling import scale_factors


def run(concurrency: int, rate: float) -> dict:
    return {"concurrency": concurrency, "requests_per_s": rate}


def scaled(instances: int, rate: float, cost: float = 20.0) -> dict:
    return {"architecture": "api", "scaled": "model-service", "instances": instances, "model_cost_ms": cost,
            "throughput": {"requests_per_s": rate}}


def test_each_concurrency_shows_its_median_repetition_with_every_repetition_kept():
    pooled = pooled_runs([[run(1, 100.0), run(8, 900.0)], [run(1, 300.0), run(8, 700.0)], [run(1, 200.0), run(8, 800.0)]])
    assert [p["requests_per_s"] for p in pooled] == [200.0, 800.0]
    assert pooled[0]["rounds_requests_per_s"] == [100.0, 300.0, 200.0] and pooled[0]["spread_requests_per_s"] == 200.0


def test_the_scale_out_factor_is_taken_within_each_repetition_on_a_linear_scale():
    rounds = [[scaled(1, 50.0), scaled(2, 90.0)], [scaled(1, 40.0), scaled(2, 80.0)], [scaled(1, 60.0), scaled(2, 90.0)]]
    factors = scale_factors(pooled_scale_out(rounds))
    assert len(factors) == 1
    assert factors[0]["rounds"] == [1.8, 2.0, 1.5] and factors[0]["factor"] == 1.8


def test_one_repetition_has_one_factor_and_no_spread():
    factors = scale_factors(pooled_scale_out([[scaled(1, 50.0), scaled(2, 75.0)]]))
    assert factors[0]["rounds"] == [1.5] and factors[0]["factor"] == 1.5
