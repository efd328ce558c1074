"""Intervals over queries: the paired test is exact where few queries differ, intervals behave at the edges."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from rerec.eval.stats import mean_interval, paired_difference


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
