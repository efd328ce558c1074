"""Format and NDCG@K rewards (method.md §3): `F = ±0.5` for a box, NDCG@K of the grounded list, −0.5 unboxed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rerec.eval.metrics import ndcg_at_k
from rerec.rewards.answer import AnswerReader
from rerec.rewards.parsing import box_span, completion_text

NO_ANSWER = -0.5


def format_reward(completions: Sequence, **kwargs) -> list[float]:
    """+0.5 when the completion has a complete `\\boxed{...}`, −0.5 otherwise.

    >>> format_reward(["so \\\\boxed{Jaws (1975)}", "I think Jaws"])
    [0.5, -0.5]
    """
    return [0.5 if box_span(completion_text(c)) else -0.5 for c in completions]


def truth_ids(ground_truth: Sequence[dict] | None) -> set[str]:
    return {g["item_id"] for g in ground_truth or () if g.get("item_id") is not None}


class NDCGReward:
    """NDCG@K of the boxed, grounded ranked list against the record's ground truth; −0.5 without a box.

    Args:
        reader (`AnswerReader`): Parses and grounds completions.
        k (`int`, *optional*, defaults to `1`): Cut-off (1 in candidates mode: Hit@1).

    >>> from rerec.data.catalog import Catalog, Item
    >>> from rerec.data.grounding import TitleIndex
    >>> reward = NDCGReward(AnswerReader(TitleIndex(Catalog([Item("1", "Jaws", 1975), Item("2", "Alien", 1979)]))))
    >>> cands = [{"item_id": "1", "title": "Jaws (1975)"}, {"item_id": "2", "title": "Alien (1979)"}]
    >>> truth = [{"item_id": "2", "title": "Alien (1979)"}]
    >>> reward(["\\\\boxed{alien}", "\\\\boxed{Jaws}", "no box"], ground_truth=[truth] * 3, candidates=[cands] * 3)
    [1.0, 0.0, -0.5]
    """

    __name__ = "ndcg_reward"

    def __init__(self, reader: AnswerReader, k: int = 1):
        self.reader, self.k = reader, k

    def __call__(
        self,
        completions: Sequence,
        ground_truth: Sequence[Sequence[dict]],
        candidates: Sequence[Sequence[dict]] | None = None,
        log_metric: Callable[[str, float], None] | None = None,
        **kwargs,
    ) -> list[float]:
        answers = self.reader.read_batch(completions, candidates)
        scores = [
            ndcg_at_k(a.ranked, truth_ids(gt), self.k) if a.boxed else NO_ANSWER
            for a, gt in zip(answers, ground_truth, strict=True)
        ]
        if log_metric is not None and answers:
            log_metric("parse_fail_rate", sum(not a.boxed for a in answers) / len(answers))
            hits = [
                bool(a.ranked) and a.ranked[0] in truth_ids(gt) for a, gt in zip(answers, ground_truth, strict=True)
            ]
            log_metric("hit@1", sum(hits) / len(hits))
            boxed = [a for a in answers if a.boxed]
            if boxed:
                log_metric("ground_fail_rate", sum(not a.ranked or a.ranked[0] is None for a in boxed) / len(boxed))
        return scores
