"""Intervals over queries (and seeds): the paired test is exact where few queries differ, intervals behave at the
edges, and a lucky seed cannot pass for a better method."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from rerec.eval.stats import PairedDifference, mean_interval, paired_difference, seeds_and_queries


def test_paired_test_on_hit_at_1_is_mcnemars_exact_test():
    # 12 queries differ, 9 in favour of the first method; 88 tie
    first = [1] * 9 + [0] * 3 + [1] * 40 + [0] * 48
    second = [0] * 9 + [1] * 3 + [1] * 40 + [0] * 48
    d = paired_difference(first, second)
    assert (d.n, d.differing) == (100, 12)
    assert d.diff == pytest.approx(0.06)
    assert d.p_value == pytest.approx(binomtest(9, 12).pvalue)
    assert d.low <= d.diff <= d.high


def test_a_clear_gap_is_a_finding_and_no_gap_is_level():
    rng = np.random.default_rng(3)
    base = (rng.random(400) < 0.3).astype(float)
    better = np.where(rng.random(400) < 0.3, 1.0, base)  # flips ~70 misses to hits, never the reverse
    assert paired_difference(better, base).finding
    same = paired_difference(base, base)
    assert not same.finding and same.p_value == 1.0 and (same.low, same.high) == (0.0, 0.0)
    few = paired_difference([1.0] * 4 + [0.0] * 46, [0.0] * 50)  # 4 of 50 flip one way: the bootstrap excludes 0
    assert few.low > 0 and few.p_value == pytest.approx(0.125) and not few.finding


def test_mean_interval_covers_the_mean_and_collapses_without_spread():
    interval = mean_interval([0, 1] * 50)
    assert interval.low < 0.5 < interval.high and interval.n == 100
    assert (mean_interval([1.0, 1.0]).low, mean_interval([1.0, 1.0]).high) == (1.0, 1.0)
    assert (mean_interval([0.4]).low, mean_interval([0.4]).high) == (0.4, 0.4)  # one query: nothing to resample
    assert paired_difference([1.0], [0.0]).diff == 1.0


def test_unpaired_or_empty_values_are_refused():
    with pytest.raises(ValueError, match="same, non-zero number of queries"):
        paired_difference([1, 0], [1])
    with pytest.raises(ValueError, match="at least one query"):
        mean_interval([])


def test_a_lucky_seed_is_no_finding_once_seeds_are_draws_too():
    # method A's three runs: one lucky (every query at 0.9), two like B's (0.4); 400 queries of noisy 0/1 scores
    rng = np.random.default_rng(5)
    a = (rng.random((3, 400)) < np.array([[0.9], [0.4], [0.4]])).astype(float)
    b = (rng.random((3, 400)) < 0.4).astype(float)
    d = paired_difference(a.mean(axis=0), b.mean(axis=0))
    assert d.low > 0 and d.p_value < 0.05  # over queries alone: the lucky run looks like a better method
    low, high = seeds_and_queries(a, b)
    assert low < 0 < high and high - low > 3 * (d.high - d.low)
    assert not PairedDifference(**vars(d) | {"seeds_low": low, "seeds_high": high}).finding
    # runs that agree: wider than over queries alone (the pigeonhole bootstrap counts the noise of each query's
    # seeds twice), but not by much, and the finding stands
    steady = (rng.random((3, 400)) < 0.6).astype(float)
    d = paired_difference(steady.mean(axis=0), b.mean(axis=0))
    low, high = seeds_and_queries(steady, b)
    assert low > 0 and 1 < (high - low) / (d.high - d.low) < 2
    assert PairedDifference(**vars(d) | {"seeds_low": low, "seeds_high": high}).finding


def test_seeds_and_queries_needs_the_same_queries():
    with pytest.raises(ValueError, match="same, non-zero queries"):
        seeds_and_queries([[1, 0, 1]], [[1, 0]])
    with pytest.raises(ValueError, match="same, non-zero queries"):
        seeds_and_queries([1, 0], [1, 0])
