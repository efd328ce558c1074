"""Top-k recommendation metrics, RecBole conventions, keyed like `ndcg@10`.

Each takes the ranked recommendation (item ids; `None` for an answer that did not ground) and the relevant
set. The rewards call these same functions, so a metric change is a reward change.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Sequence


def _hits(ranked: Sequence[str | None], relevant: Collection[str], k: int) -> list[bool]:
    """Per top-k position: a relevant item not already counted higher up (two titles may ground to one id)."""
    seen: set[str] = set()
    hits = []
    for item in ranked[:k]:
        hits.append(item is not None and item in relevant and item not in seen)
        if item is not None:
            seen.add(item)
    return hits


def hit_at_k(ranked: Sequence[str | None], relevant: Collection[str], k: int) -> float:
    """`hit@k = 1` if any of the top-k items is relevant, else 0.

    >>> hit_at_k(["a", "b"], {"b"}, 1), hit_at_k(["a", "b"], {"b"}, 2)
    (0.0, 1.0)
    """
    return float(any(_hits(ranked, relevant, k)))


def recall_at_k(ranked: Sequence[str | None], relevant: Collection[str], k: int) -> float:
    """`recall@k = |top-k ∩ relevant| / |relevant|` (0 when nothing is relevant).

    >>> recall_at_k(["a", "b", "c"], {"a", "c", "d", "e"}, 3)
    0.5
    """
    return sum(_hits(ranked, relevant, k)) / len(relevant) if relevant else 0.0


def precision_at_k(ranked: Sequence[str | None], relevant: Collection[str], k: int) -> float:
    """`precision@k = |top-k ∩ relevant| / k` — RecBole divides by k even when fewer items were given.

    >>> precision_at_k(["a"], {"a"}, 2)
    0.5
    """
    return sum(_hits(ranked, relevant, k)) / k


def ndcg_at_k(ranked: Sequence[str | None], relevant: Collection[str], k: int) -> float:
    """`ndcg@k = DCG@k / IDCG@k`, `DCG@k = Σ_{r≤k} rel_r / log2(r + 1)`, IDCG over `min(|relevant|, k)` hits.

    Duplicates in `ranked` count once (the first). ndcg@1 equals hit@1.

    >>> round(ndcg_at_k(["x", "a"], {"a", "b"}, 2), 4)  # (1/log2 3) / (1 + 1/log2 3)
    0.3869
    """
    if not relevant or k <= 0:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 1) for rank, hit in enumerate(_hits(ranked, relevant, k), start=1) if hit)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


@functools.lru_cache(maxsize=256)
def rank_weights(n: int) -> tuple[float, ...]:
    """Position discounts `1 / log2(r + 1)` for ranks 1..n, normalised to sum to 1 (rank-discounted mean)."""
    raw = [1.0 / math.log2(r + 1) for r in range(1, n + 1)]
    total = sum(raw)
    return tuple(w / total for w in raw)
