"""A verdict holds only as far as the run's repetitions agree: a limit inside their spread, or
within the machine's run-to-run variation of it, is "too close to call on this machine", and a
best fit is named only when it beats the next one by more than the spread. The sample sets are synthetic: each repetition's latencies, pooled as
`archlab compare` pools them."""

from archlab.compare.repeat import pooled_latency
from archlab.report import Latency
from archlab.report.profiles import Requirement, verdict

P99_UNDER_5_MS = Requirement(p99_ms=5)


def measured(*repetitions: list[float]) -> dict:
    """An architecture's results whose latency was measured once per sample set."""
    rounds = [Latency("POST /predict", "http_constant", samples) for samples in repetitions]
    return {"latency": pooled_latency(rounds).to_dict(), "capabilities": {}}


def results(**architectures: dict) -> dict:
    return {"architectures": architectures}


def test_overlapping_repetitions_around_the_limit_are_too_close_to_call():
    decided = verdict(results(api=measured([4.0] * 100, [6.0] * 100), embedded=measured([1.0] * 100, [1.2] * 100)),
                      P99_UNDER_5_MS)
    assert list(decided.too_close) == ["api"]
    assert "too close to call on this machine" in decided.too_close["api"]
    assert "api" not in decided.fits and "api" not in decided.fails
    assert list(decided.fits) == ["embedded"]


def test_repetitions_beyond_the_run_to_run_variation_of_the_limit_decide():
    decided = verdict(results(api=measured([11.0] * 100, [12.0] * 100), embedded=measured([1.0] * 100, [1.2] * 100)),
                      P99_UNDER_5_MS)
    assert decided.too_close == {} and list(decided.fails) == ["api"] and list(decided.fits) == ["embedded"]


def test_repetitions_on_one_side_but_within_the_run_to_run_variation_are_too_close_to_call():
    # every repetition above 5 ms, but a run 2x faster (as this machine's runs can be) would fit
    decided = verdict(results(api=measured([6.0] * 100, [6.5] * 100), embedded=measured([1.0] * 100, [1.2] * 100)),
                      P99_UNDER_5_MS)
    assert list(decided.too_close) == ["api"] and "its runs vary by up to 2x" in decided.too_close["api"]
    assert list(decided.fits) == ["embedded"]


def test_best_fit_is_named_only_when_it_beats_the_next_by_more_than_the_spread():
    overlapping = verdict(results(api=measured([1.0] * 100, [1.3] * 100), embedded=measured([1.2] * 100, [1.5] * 100)),
                          P99_UNDER_5_MS)
    assert sorted(overlapping.best) == ["api", "embedded"] and "too close to call" in overlapping.prefer
    assert any("too close to call between api, embedded" in line for line in overlapping.lines())
    apart = verdict(results(api=measured([1.0] * 100, [1.1] * 100), embedded=measured([2.0] * 100, [2.2] * 100)),
                    P99_UNDER_5_MS)
    assert apart.best == ["api"] and apart.prefer == "lowest p99 latency"


def test_one_repetition_decides_as_before():
    decided = verdict(results(api=measured([4.9] * 100), embedded=measured([5.1] * 100)), P99_UNDER_5_MS)
    assert decided.too_close == {} and list(decided.fits) == ["api"] and list(decided.fails) == ["embedded"]
