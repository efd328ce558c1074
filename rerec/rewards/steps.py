"""Step-truth reward: how much of an answer's checkable reasoning the item–attribute graph does not refute.

RAAE penalises the tokens of false steps, and in the study that shortened answers without lowering the share of
their steps that are false (docs/study.md, 2026-12-06, morning): dropping steps, true ones too, is the cheapest
way to dodge a per-step penalty. This term scores the answer's false-step share instead, as `rerec eval` counts
it (`step_tally`): `1 − false / checked`, and 0 when no step makes a claim the graph can check. A share, so that
writing more steps earns nothing by itself; 0 without a checkable step, so that avoiding claims earns nothing
either.
"""

from __future__ import annotations

from collections.abc import Sequence

from rerec.data.catalog import Catalog
from rerec.data.knowledge_graph import KnowledgeGraph
from rerec.task.parsing import completion_text
from rerec.task.rows import row_titles
from rerec.task.verifier import StepVerifier, step_claims, step_tally


def step_truth(verifier: StepVerifier, text: str) -> float:
    """`1 − false / checked` over the steps of `text`; 0 when none is checkable."""
    tally = step_tally(step_claims(verifier, text))
    return 1.0 - tally["false_steps"] / tally["checked_steps"] if tally["checked_steps"] else 0.0


class StepTruthReward:
    """The step-truth score of each completion, with the items its prompt names (the shown candidates and the
    hinted items) as the ones its steps can be about.

    Args:
        graph (`KnowledgeGraph`): The item–attribute graph the steps are checked against.
        catalog (`Catalog`): Resolves the titles the steps name.
    """

    __name__ = "step_truth_reward"

    def __init__(self, graph: KnowledgeGraph, catalog: Catalog):
        self.graph, self.catalog = graph, catalog

    def __call__(
        self, completions: Sequence, candidates: Sequence[Sequence[dict]], hinted: Sequence[Sequence[dict]], **kwargs
    ) -> list[float]:
        verifiers: dict[tuple, StepVerifier] = {}  # a query's rollouts share one
        out = []
        for completion, shown, hints in zip(completions, candidates, hinted, strict=True):
            titles = row_titles({"candidates": shown, "hinted": hints})
            key = tuple(sorted(titles.items()))
            if key not in verifiers:
                verifiers[key] = StepVerifier(self.graph, self.catalog, titles)
            out.append(step_truth(verifiers[key], completion_text(completion)))
        return out
