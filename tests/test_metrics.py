import math

import pytest

from rerec.task.metrics import hit_at_k, ndcg_at_k, precision_at_k, rank_weights, recall_at_k

RANKED = ["a", "x", "b", None, "c"]
RELEVANT = {"a", "b", "c", "d"}


def test_hit():
    assert hit_at_k(RANKED, RELEVANT, 1) == 1.0
    assert hit_at_k(["x", "a"], RELEVANT, 1) == 0.0
    assert hit_at_k([], RELEVANT, 5) == 0.0


def test_recall_and_precision_by_hand():
    assert recall_at_k(RANKED, RELEVANT, 3) == 2 / 4
    assert recall_at_k(RANKED, RELEVANT, 5) == 3 / 4
    assert precision_at_k(RANKED, RELEVANT, 3) == 2 / 3
    assert precision_at_k(RANKED, RELEVANT, 10) == 3 / 10  # divides by k, RecBole style
    assert recall_at_k(RANKED, set(), 3) == 0.0


def test_ndcg_by_hand():
    dcg = 1 / math.log2(2) + 1 / math.log2(4) + 1 / math.log2(6)
    idcg = sum(1 / math.log2(r + 1) for r in range(1, 5))
    assert ndcg_at_k(RANKED, RELEVANT, 5) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["x", "a"], {"a"}, 1) == 0.0
    assert ndcg_at_k(["a"], {"a", "b"}, 1) == 1.0  # IDCG over min(|relevant|, k)
    assert ndcg_at_k(["a", "a", "b"], {"a", "b"}, 3) == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))


def test_duplicates_count_once():
    assert recall_at_k(["a", "a"], {"a", "b"}, 2) == 0.5
    assert precision_at_k(["a", "a"], {"a"}, 2) == 0.5


def test_rank_weights():
    w = rank_weights(3)
    assert sum(w) == pytest.approx(1.0) and w[0] > w[1] > w[2]
    assert w[0] / w[1] == pytest.approx(math.log2(3))
