"""Percentiles against samples whose answers are worked out by hand (linear interpolation, type 7)."""

import math

import pytest

from archlab.measure.stats import summarize


def test_one_to_hundred():
    # rank h = 99 * q: p50 at 49.5 -> 50.5, p95 at 94.05 -> 95.05, p99 at 98.01 -> 99.01
    summary = summarize(range(1, 101))
    assert summary.n == 100
    assert summary.mean == pytest.approx(50.5)
    assert summary.p50 == pytest.approx(50.5)
    assert summary.p95 == pytest.approx(95.05)
    assert summary.p99 == pytest.approx(99.01)
    assert summary.max == 100


def test_unsorted_input_interpolates_between_ranks():
    # sorted 1, 2, 3: p95 at rank 1.9 -> 2 + 0.9 * (3 - 2)
    summary = summarize([3, 1, 2])
    assert (summary.p50, summary.p95, summary.max) == (2, pytest.approx(2.9), 3)


def test_every_sample_counts_one_slow_request_shows_in_p99_and_max():
    # 99 requests of 1 ms and one of 1000 ms: p99 at rank 98.01 -> 1 + 0.01 * 999
    summary = summarize([1.0] * 99 + [1000.0])
    assert summary.p50 == 1.0
    assert summary.p99 == pytest.approx(10.99)
    assert summary.max == 1000.0
    assert summary.mean == pytest.approx(10.99)


def test_single_sample_is_every_percentile():
    summary = summarize([7.5])
    assert (summary.n, summary.p50, summary.p95, summary.p99, summary.max) == (1, 7.5, 7.5, 7.5, 7.5)


def test_no_samples_gives_no_statistics():
    summary = summarize([])
    assert summary.n == 0
    assert summary.p50 is None and summary.max is None and summary.mean is None


def test_non_finite_samples_are_refused():
    with pytest.raises(ValueError, match="finite"):
        summarize([1.0, math.nan])
