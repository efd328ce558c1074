"""Preference Alignment Score on LightGCN embeddings of the user–item graph (method.md §3).

`PAS(p) = max_g (cos(e_p, e_g) + 1) / 2` over ground-truth items g: how close the recommendation sits to what
the user (or group) actually liked, in [0, 1]. A ranked list scores the rank-discounted mean over its top k.
Items that did not ground or have no embedding score 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rerec.data.lightgcn import Embeddings
from rerec.rewards.qas import discounted
from rerec.task.answer import AnswerReader


class PASReward:
    """PAS of the boxed ranked list; 0 without a box.

    Args:
        reader (`AnswerReader`): Parses and grounds completions.
        embeddings (`Embeddings`): LightGCN item embeddings (compared by cosine).
        k (`int` or `None`, *optional*, defaults to `1`): How many ranked items count (`None`: all).
    """

    __name__ = "pas_reward"

    def __init__(self, reader: AnswerReader, embeddings: Embeddings, k: int | None = 1):
        self.reader, self.embeddings, self.k = reader, embeddings, k

    def preference(self, item: str | None, truth_rows: np.ndarray) -> float:
        row = self.embeddings.item_row.get(item) if item is not None else None
        if row is None or truth_rows.size == 0:
            return 0.0
        unit = self.embeddings.items_unit
        cosine = float(np.max(unit[truth_rows] @ unit[row]))
        return min(1.0, max(0.0, (cosine + 1.0) / 2.0))

    def __call__(
        self,
        completions: Sequence,
        ground_truth: Sequence[Sequence[dict]],
        candidates: Sequence[Sequence[dict]] | None = None,
        **kwargs,
    ) -> list[float]:
        rows = self.embeddings.item_row
        out = []
        for answer, gt in zip(self.reader.read_batch(completions, candidates), ground_truth, strict=True):
            if not answer.boxed:
                out.append(0.0)
                continue
            truth = np.array([rows[g["item_id"]] for g in gt or () if g.get("item_id") in rows], dtype=np.int64)
            out.append(discounted([self.preference(item, truth) for item in answer.ranked[: self.k]]))
        return out
