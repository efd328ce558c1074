"""One answer's score, as training rewards it and as evaluation reports it, side by side so that the two
conventions cannot drift apart unseen. Both read the answer the same way (`task.answer`) and rank it with the same
RecBole metrics (`task.metrics`); they differ on purpose in two places:

- **No answer.** Training gives −0.5 to an answer with no box (and, by default, to a box none of whose entries
  grounds), below a wrong candidate's 0, so that made-up titles cost more than wrong guesses. Evaluation scores
  every unanswered query 0 on every ranking metric and reports `format` and `failed` rates beside them.
- **What counts as right.** Evaluation restricts the ground truth to the candidates shown, when some were: only
  those can be answered, so the ideal list is built from them. The reward ranks against the whole ground truth;
  at its cut-off of 1 (candidates mode) the two agree, since NDCG@1's ideal is 1 either way.
"""

from __future__ import annotations

from collections.abc import Sequence

from rerec.data.knowledge_graph import KnowledgeGraph
from rerec.task.answer import Answer
from rerec.task.metrics import ndcg_at_k, precision_at_k, recall_at_k

NO_ANSWER = -0.5


def truth_ids(ground_truth: Sequence[dict] | None) -> set[str]:
    return {g["item_id"] for g in ground_truth or () if g.get("item_id") is not None}


def answered(answer: Answer, ungrounded_as_no_answer: bool = True) -> bool:
    """Whether training counts the answer as one: boxed and, unless switched off, with one grounded entry."""
    return answer.boxed and not (ungrounded_as_no_answer and all(r is None for r in answer.ranked))


def answer_reward(answer: Answer, truth: set[str], k: int, ungrounded_as_no_answer: bool = True) -> float:
    """The training reward's accuracy term: NDCG@k of the grounded ranked list, `NO_ANSWER` without an answer."""
    return ndcg_at_k(answer.ranked, truth, k) if answered(answer, ungrounded_as_no_answer) else NO_ANSWER


def score_answer(answer: Answer, row: dict, k: int, graph: KnowledgeGraph) -> dict:
    """Evaluation's ranking metrics of one answer plus RecBench+'s open-mode rates: in-catalog (boxed entries that
    ground), failed-to-recommend (nothing grounded) and condition-satisfied (grounded items meeting every true
    condition; `None` for queries without conditions, left out of the mean)."""
    truth = truth_ids(row["ground_truth"])
    if row["candidates"]:
        truth &= {c["item_id"] for c in row["candidates"]}
    ranked = answer.ranked if answer.boxed else ()
    grounded = [i for i in ranked[:k] if i is not None]
    conditions = [(c["relation"], c["entity"]) for c in row.get("conditions") or ()]
    satisfied = None
    if conditions:
        satisfied = sum(graph.satisfies(i, conditions) for i in grounded) / len(grounded) if grounded else 0.0
    return {
        "format": float(answer.boxed),
        "hit@1": ndcg_at_k(ranked, truth, 1),
        f"ndcg@{k}": ndcg_at_k(ranked, truth, k),
        f"recall@{k}": recall_at_k(ranked, truth, k),
        f"precision@{k}": precision_at_k(ranked, truth, k),
        "in_catalog": len(grounded) / len(ranked[:k]) if ranked else 0.0,
        "failed": float(not grounded),
        "condition_satisfied": satisfied,
    }
