"""How sure a number over held-out queries is: intervals of a mean and of a paired difference.

The query is the unit of sampling: a method's Hit@1 on 146 misinformed queries is one draw of 146, and a gap
between two methods on the *same* queries is judged on the per-query differences, which cancel what makes a query
easy or hard for both. Intervals are 95% percentile bootstraps over queries (SciPy's `bootstrap`); the paired test
is a sign-flip permutation test of the mean difference (SciPy's `permutation_test` with paired samples) over the
queries whose scores differ: exact when at most 13 differ (for 0/1 scores such as Hit@1 it is then the exact
McNemar test), 9,999 random sign patterns otherwise. With several seeds of a method, each query's score
is first averaged over the seeds, so the interval is over queries; the seeds' spread is reported beside it.

That interval holds the trained models fixed. Whether one *training method* beats another also depends on which
runs the seeds happened to produce: a lucky run lifts every query at once, which a resample of queries cannot see.
So with several seeds a paired difference also carries `seeds_low`/`seeds_high`, a bootstrap that resamples the
queries and, independently, each method's seeds (Owen's pigeonhole bootstrap for crossed designs, mildly
conservative; Ann. Appl. Stat. 2007, doi:10.1214/07-AOAS122), and a gap is a finding only when that interval
excludes 0 too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

ROUNDS = 9_999
ALPHA = 0.05


@dataclass(frozen=True)
class Interval:
    """Mean of per-query values with its 95% bootstrap interval."""

    mean: float
    low: float
    high: float
    n: int

    def text(self) -> str:
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class PairedDifference:
    """Mean of per-query differences (first method minus second) on the same queries, its 95% bootstrap
    interval, the two-sided permutation p-value, how many queries differ at all, and both methods' means. With
    several seeds, `seeds_low`/`seeds_high` is the interval over queries and seeds (`seeds_and_queries`)."""

    diff: float
    low: float
    high: float
    p_value: float
    n: int
    differing: int
    first_mean: float
    second_mean: float
    seeds_low: float | None = None
    seeds_high: float | None = None

    @property
    def finding(self) -> bool:
        """A difference counts only when its interval excludes 0 and the paired test agrees (p < 0.05): with a
        handful of differing queries the percentile bootstrap is too narrow (4 of 50 queries flipping one way gave
        [+0.02, +0.16] with an exact p of 0.125). With several seeds, the interval over seeds must exclude 0 too."""
        seeds = self.seeds_low is None or self.seeds_low > 0 or self.seeds_high < 0
        return (self.low > 0 or self.high < 0) and self.p_value < ALPHA and seeds

    def text(self) -> str:
        return f"{self.diff:+.3f} [{self.low:+.3f}, {self.high:+.3f}], p = {self.p_value:.3f}"


def _interval(values: np.ndarray, seed: int) -> tuple[float, float]:
    if values.size < 2 or np.ptp(values) == 0:  # nothing to resample: one query, or all alike (SciPy: NaN)
        return float(values[0]), float(values[0])
    ci = stats.bootstrap(
        (values,), np.mean, n_resamples=ROUNDS, method="percentile", rng=np.random.default_rng(seed)
    ).confidence_interval
    return float(ci.low), float(ci.high)


def mean_interval(values: Sequence[float], seed: int = 0) -> Interval:
    """The mean of `values` (one per query) and its 95% percentile-bootstrap interval."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        raise ValueError("no values: an interval needs at least one query")
    low, high = _interval(array, seed)
    return Interval(float(array.mean()), low, high, int(array.size))


def paired_difference(first: Sequence[float], second: Sequence[float], seed: int = 0) -> PairedDifference:
    """`first - second` on the same queries (position i of both is one query): mean, interval and p-value."""
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"paired values need the same, non-zero number of queries (got {a.size} and {b.size})")
    diffs = a - b
    low, high = _interval(diffs, seed)
    differ = diffs != 0  # a zero difference flips to itself; leaving them out makes the test exact for up to
    if differ.sum() < 2:  # 13 differing queries (2^13 sign patterns < ROUNDS); with 0 or 1, both signs are as
        p_value = 1.0  # extreme as the observed one
    else:
        p_value = stats.permutation_test(
            (a[differ], b[differ]),
            lambda x, y, axis: np.mean(x - y, axis=axis),
            permutation_type="samples",
            vectorized=True,
            n_resamples=ROUNDS,
            rng=np.random.default_rng(seed),
        ).pvalue
    return PairedDifference(
        float(diffs.mean()),
        low,
        high,
        float(p_value),
        int(a.size),
        int(differ.sum()),
        float(a.mean()),
        float(b.mean()),
    )


def seeds_and_queries(
    first: Sequence[Sequence[float]], second: Sequence[Sequence[float]], seed: int = 0
) -> tuple[float, float]:
    """95% percentile interval of `mean(first) - mean(second)` when the queries and each method's seeds are both
    draws. Rows are a method's seeds, columns the same queries in both. Each round resamples the queries (the same
    ones for both methods, which keeps the pairing) and each method's seeds on their own: a method's runs are not
    paired with the other's, whose curriculum and rewards send it elsewhere after the first step."""
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or a.shape[1] == 0 or 0 in (len(a), len(b)):
        raise ValueError(f"seeds x queries arrays over the same, non-zero queries needed (got {a.shape}, {b.shape})")
    rng = np.random.default_rng(seed)

    def weights(k: int) -> np.ndarray:  # one resample of k things per round, as each one's share
        return rng.multinomial(k, np.full(k, 1 / k), size=ROUNDS) / k

    per_query = weights(len(a)) @ a - weights(len(b)) @ b  # rounds x queries
    rounds = (weights(a.shape[1]) * per_query).sum(axis=1)
    low, high = np.percentile(rounds, [100 * ALPHA / 2, 100 * (1 - ALPHA / 2)])
    return float(low), float(high)
