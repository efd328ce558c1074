"""Format and NDCG@K rewards (method.md §3): `F = ±0.5` for a box, NDCG@K of the grounded list, −0.5 unboxed
(and, by default, −0.5 for a box none of whose entries grounds)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rerec.task.answer import AnswerReader
from rerec.task.parsing import box_span, completion_text, segments
from rerec.task.score import answer_reward, truth_ids


def format_reward(completions: Sequence, **kwargs) -> list[float]:
    """+0.5 when the completion has a complete `\\boxed{...}`, −0.5 otherwise.

    >>> format_reward(["so \\\\boxed{Jaws (1975)}", "I think Jaws"])
    [0.5, -0.5]
    """
    return [0.5 if box_span(completion_text(c)) else -0.5 for c in completions]


class StepsFormatReward:
    """`F` that also asks for reasoning: +0.5 for a box after at least `min_steps` step lines, −0.5 otherwise.

    With the paper's box-only `F`, a small model can drop its reasoning and answer with a bare box (measured at
    lr 3e-5 on the embedded default: 14-token answers after 16 steps); this keeps the steps the product shows.

    >>> StepsFormatReward(1)(["Step 1: Jaws is a thriller.\\n\\\\boxed{Jaws}", "\\\\boxed{Jaws}"])
    [0.5, -0.5]
    """

    __name__ = "format_reward"

    def __init__(self, min_steps: int):
        if min_steps < 1:
            raise ValueError("min_steps must be >= 1 (0 is the plain format_reward)")
        self.min_steps = min_steps

    def __call__(self, completions: Sequence, **kwargs) -> list[float]:
        out = []
        for completion in completions:
            text = completion_text(completion)
            ok = box_span(text) is not None and len(segments(text)) >= self.min_steps
            out.append(0.5 if ok else -0.5)
        return out


class NDCGReward:
    """NDCG@K of the boxed, grounded ranked list against the record's ground truth; −0.5 without a box.

    Args:
        reader (`AnswerReader`): Parses and grounds completions.
        k (`int`, *optional*, defaults to `1`): Cut-off (1 in candidates mode: Hit@1).
        ungrounded_as_no_answer (`bool`, *optional*, defaults to `True`): A box none of whose entries grounds (a
            title that is not a candidate, or not in the catalog) scores −0.5 like no box. Scored 0 instead (the
            paper code), a made-up title costs no more than a wrong candidate, and measured runs drifted to it.

    >>> from rerec.data.catalog import Catalog, Item
    >>> from rerec.data.grounding import TitleIndex
    >>> reward = NDCGReward(AnswerReader(TitleIndex(Catalog([Item("1", "Jaws", 1975), Item("2", "Alien", 1979)]))))
    >>> cands = [{"item_id": "1", "title": "Jaws (1975)"}, {"item_id": "2", "title": "Alien (1979)"}]
    >>> truth = [{"item_id": "2", "title": "Alien (1979)"}]
    >>> reward(["\\\\boxed{alien}", "\\\\boxed{Jaws}", "\\\\boxed{Heat}", "no box"], ground_truth=[truth] * 4,
    ...        candidates=[cands] * 4)
    [1.0, 0.0, -0.5, -0.5]
    """

    __name__ = "ndcg_reward"

    def __init__(self, reader: AnswerReader, k: int = 1, ungrounded_as_no_answer: bool = True):
        self.reader, self.k, self.ungrounded_as_no_answer = reader, k, ungrounded_as_no_answer

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
            answer_reward(a, truth_ids(gt), self.k, self.ungrounded_as_no_answer)
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
