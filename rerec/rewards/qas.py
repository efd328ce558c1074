"""Query Alignment Score on the item–attribute graph (method.md §3).

`QAS(p) = |A(p) ∩ A*| / |A*|`: the share of the target attributes the recommended item has. `A*` is the
query's structured conditions when it has any (for a misinformed query, the *true* entities), else the
attributes every ground-truth item shares. A ranked list scores the rank-discounted mean over its top k.
Items that did not ground or lie outside the graph score 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from rerec.data.knowledge_graph import KnowledgeGraph
from rerec.task.answer import Answer, AnswerReader
from rerec.task.metrics import rank_weights


def target_attributes(graph: KnowledgeGraph, ground_truth: Sequence[dict], conditions: Sequence[dict] | None) -> set:
    """`A*`: the conditions' `(relation, entity)` pairs, else the attributes all ground-truth items share."""
    if conditions:
        return {(c["relation"], c["entity"]) for c in conditions}
    sets = [graph.attributes(g["item_id"]) for g in ground_truth or () if g.get("item_id") is not None]
    return set.intersection(*map(set, sets)) if sets else set()


def alignment(graph: KnowledgeGraph, item: str | None, target: set) -> float:
    if item is None or not target:
        return 0.0
    return sum(graph.has(item, relation, entity) for relation, entity in target) / len(target)


def discounted(values: Sequence[float]) -> float:
    """Rank-discounted mean (weights `1/log2(r+1)`, normalised); 0 for an empty list."""
    return sum(w * v for w, v in zip(rank_weights(len(values)), values, strict=True)) if values else 0.0


class QASReward:
    """QAS of the boxed ranked list; 0 without a box; `None` (abstain) when the query has no target attributes.

    Args:
        reader (`AnswerReader`): Parses and grounds completions.
        graph (`KnowledgeGraph`): The item–attribute graph.
        k (`int` or `None`, *optional*, defaults to `1`): How many ranked items count (`None`: all).
    """

    __name__ = "qas_reward"

    def __init__(self, reader: AnswerReader, graph: KnowledgeGraph, k: int | None = 1):
        self.reader, self.graph, self.k = reader, graph, k
        self._shared: dict[tuple[str, ...], set] = {}  # profile queries: A* per ground-truth list

    def target(self, ground_truth: Sequence[dict], conditions: Sequence[dict] | None) -> set:
        if conditions:
            return target_attributes(self.graph, ground_truth, conditions)
        key = tuple(g.get("item_id") for g in ground_truth or ())
        if key not in self._shared:
            if len(self._shared) > 65536:
                self._shared.clear()
            self._shared[key] = target_attributes(self.graph, ground_truth, None)
        return self._shared[key]

    def score(self, answer: Answer, target: set) -> float:
        if not answer.boxed:
            return 0.0
        return discounted([alignment(self.graph, item, target) for item in answer.ranked[: self.k]])

    def __call__(
        self,
        completions: Sequence,
        ground_truth: Sequence[Sequence[dict]],
        conditions: Sequence[Sequence[dict]] | None = None,
        candidates: Sequence[Sequence[dict]] | None = None,
        **kwargs,
    ) -> list[float | None]:
        conditions = conditions if conditions is not None else [None] * len(completions)
        out: list[float | None] = []
        answers = self.reader.read_batch(completions, candidates)
        for answer, gt, conds in zip(answers, ground_truth, conditions, strict=True):
            target = self.target(gt, conds)
            out.append(self.score(answer, target) if target else None)
        return out
