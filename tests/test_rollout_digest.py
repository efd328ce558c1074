"""`benchmarks/rollout_digest.py`: tied groups, unserved queries and RAAE's penalised steps from a hand-made log."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
import rollout_digest  # noqa: E402


def rollout(step: int, query: str, kind: str, accuracy: float, penalised: list[str] | None) -> dict:
    return {"step": step, "query": query, "type": kind, "completion": "...", "advantage": accuracy - 0.5,
            "rewards": {"format_reward": 1.0, "ndcg_reward": accuracy}, "penalised": penalised}  # fmt: skip


def test_digest_counts_ties_unserved_queries_and_penalties(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    records = [
        rollout(1, "explicit-1", "explicit", 1.0, []), rollout(1, "explicit-1", "explicit", 0.0, ["Step 1: X."]),
        rollout(1, "implicit-2", "implicit", 0.0, ["Step 2: Y."]), rollout(1, "implicit-2", "implicit", 0.0, []),
        rollout(2, "implicit-2", "implicit", -0.5, []), rollout(2, "implicit-2", "implicit", -0.5, []),
    ]  # fmt: skip
    (run / "rollouts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (run / "queries.txt").write_text("explicit-1\nimplicit-2\ninterest-3\n")
    d = rollout_digest.digest(run)
    assert (d["steps"], d["rollouts"], d["groups"], d["tied_share"]) == (2, 6, 3, 2 / 3)
    assert d["by_type"]["implicit"] == {"groups": 2, "tied_share": 1.0, "mean_accuracy_reward": -0.25}
    assert d["never_served"] == ["interest-3"] and d["always_tied"] == ["implicit-2"] and d["served_once"] == 1
    assert d["mean_abs_advantage"] == {"tied": 0.75, "untied": 0.5}  # |0 - .5| x 2 and |-1| x 2; |+-.5|
    raae = d["raae"]
    assert raae["penalised_steps"] == 2 and raae["answers_with_a_penalty"] == 2 / 6
    assert raae["right_answers_with_a_penalty"] == 0.0 and len(raae["examples"]) == 2
    assert "| implicit | 2 | 1.00 | -0.250 |" in rollout_digest.markdown([d])


def test_a_run_without_a_rollout_log_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no rollouts.jsonl"):
        rollout_digest.digest(tmp_path)


def test_the_graph_reads_the_rollouts_steps_and_each_revisited_query_first_and_last(tmp_path, prepared):
    from rerec.data.dataset import RecDataset
    from rerec.data.queries.schema import read_queries
    from rerec.models import ModelSettings
    from rerec.task.prompts import PromptConfig
    from rerec.task.rows import training_rows
    from rerec.task.verifier import state

    prompt = PromptConfig(facts=True, max_candidates=5)
    run = tmp_path / "run"
    ModelSettings(prompt, prepared=str(prepared)).write(run)
    ds = RecDataset.load_train(prepared)
    query = next(q for q in read_queries(prepared / "queries" / "train.parquet") if q["type"] == "explicit")
    genre = next(c["entity_name"] for c in query["conditions"] if c["relation"] == "genre")
    row = training_rows([query], ds, prompt, "candidates")[0]
    answers = {str(a["item_id"]) for a in query["ground_truth"]}
    titles = {c["item_id"]: c["title"] for c in row["candidates"]}
    right = next(t for i, t in titles.items() if i in answers)
    wrong = next(t for i, t in titles.items() if i not in answers and ds.graph.entities(i, "genre"))

    def said(title: str, accuracy: float, step: int) -> dict:  # a step claiming the query's genre, then the box
        record = rollout(step, query["id"], "explicit", accuracy, [])
        return record | {"completion": f"Step 1: {state(title, 'genre', genre)}\n\\boxed{{{title}}}"}

    records = [said(right, 1.0, 1), said(wrong, 0.0, 1), said(right, 1.0, 2), said(right, 1.0, 2)]
    (run / "rollouts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    d = rollout_digest.digest(run, graph=True)
    g = d["graph"]
    assert g["all"] == {"answers": 4, "false_step_share": 0.25, "hit": 0.75}  # the wrong film is no such genre
    assert g["wrong"]["false_step_share"] == 1.0 and g["right"]["false_step_share"] == 0.0
    assert g["revisited_queries"] == 1
    assert (g["first_look"]["false_step_share"], g["first_look"]["hit"]) == (0.5, 0.5)
    assert (g["last_look"]["false_step_share"], g["last_look"]["hit"]) == (0.0, 1.0)
    assert "first look → last: false-step share 0.50 → 0.00" in rollout_digest.markdown([d])
    (run / "rollouts.jsonl").write_text(json.dumps(said(right, 1.0, 1) | {"query": "explicit-unknown"}) + "\n")
    with pytest.raises(ValueError, match="explicit-unknown"):  # a log from another benchmark: said, not a KeyError
        rollout_digest.digest(run, graph=True)
