"""`rerec eval`: exact scores of hand-written answers, and a resumable run of a tiny random model."""

from __future__ import annotations

import json
import sys
import types

import pytest
from conftest import tiny_model

from rerec.data.catalog import Catalog, Item
from rerec.data.dataset import RecDataset
from rerec.data.grounding import TitleIndex
from rerec.data.knowledge_graph import KnowledgeGraph, Triple
from rerec.data.queries.schema import read_queries
from rerec.eval import harness
from rerec.eval.harness import EvalConfig, evaluate, read_scores, rescore, score_row, summarise
from rerec.task.answer import AnswerReader
from rerec.task.prompts import PromptConfig
from rerec.task.rows import TrainDataArguments
from rerec.task.verifier import StepVerifier

CATALOG = Catalog(
    [Item("1", "Jaws", 1975, {"genre": ("Thriller",)}), Item("2", "Alien", 1979, {"genre": ("Horror",)})]
)
GRAPH = KnowledgeGraph.from_catalog(CATALOG)
CANDS = [{"item_id": "1", "title": "Jaws (1975)"}, {"item_id": "2", "title": "Alien (1979)"}]
HORROR = [{"relation": "genre", "entity": "genre:Horror", "via_items": []}]
ROW = {"candidates": CANDS, "ground_truth": [{"item_id": "2", "title": "Alien (1979)"}], "conditions": HORROR}
RANK2 = 1 / 1.5849625007211563  # NDCG of a hit at rank 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Step 1: pick.\n\\boxed{Alien}", {"format": 1, "hit@1": 1, "ndcg@2": 1, "recall@2": 1, "precision@2": 0.5,
                                            "in_catalog": 1, "failed": 0, "condition_satisfied": 1}),
        ("\\boxed{Jaws; Alien}", {"format": 1, "hit@1": 0, "ndcg@2": RANK2, "recall@2": 1, "precision@2": 0.5,
                                  "in_catalog": 1, "failed": 0, "condition_satisfied": 0.5}),
        ("\\boxed{Jaws; Solaris}", {"format": 1, "hit@1": 0, "ndcg@2": 0, "recall@2": 0, "precision@2": 0,
                                    "in_catalog": 0.5, "failed": 0, "condition_satisfied": 0}),
        ("I like Alien", {"format": 0, "hit@1": 0, "ndcg@2": 0, "recall@2": 0, "precision@2": 0,
                          "in_catalog": 0, "failed": 1, "condition_satisfied": 0}),
    ],
)  # fmt: skip
def test_scores_of_hand_written_answers(text, expected):
    reader = AnswerReader(TitleIndex(CATALOG), "open")
    scores = score_row({**ROW, "candidates": []}, text, reader, GRAPH, None, k=2)
    counts = {"claims": 0, "false_claims": 0, "checked_steps": 0, "false_steps": 0}
    assert scores == pytest.approx({**expected, "hint_boxed": None, **counts})


def test_false_steps_and_a_boxed_hint_are_counted():
    catalog = Catalog([*CATALOG, Item("3", "Duel", 1971, {"genre": ("Thriller",)})])
    directors = [
        Triple("1", "directed_by", "m.s"),
        Triple("2", "directed_by", "m.r"),
        Triple("3", "directed_by", "m.s"),
    ]
    graph = KnowledgeGraph.from_catalog(catalog, extra=directors)
    row = {**ROW, "hinted": [{"item_id": "3", "title": "Duel (1971)"}]}
    titles = {"1": "Jaws (1975)", "2": "Alien (1979)", "3": "Duel (1971)"}
    text = (
        "Step 1: Duel (1971) was directed by m.s.\nStep 2: Jaws (1975) was directed by m.r.\n"
        "Step 3: A thriller is wanted.\n\\boxed{Duel}"
    )
    scores = score_row(row, text, AnswerReader(TitleIndex(catalog)), graph, StepVerifier(graph, catalog, titles), 2)
    assert scores["hint_boxed"] == 1.0 and scores["hit@1"] == 0
    assert (scores["checked_steps"], scores["false_steps"]) == (2, 1)
    right = score_row(row, "\\boxed{Alien}", AnswerReader(TitleIndex(catalog)), graph, None, 2)
    assert right["hint_boxed"] == 0.0 and right["hit@1"] == 1


def test_condition_satisfied_is_left_out_without_conditions():
    reader = AnswerReader(TitleIndex(CATALOG))
    plain = score_row({**ROW, "conditions": []}, "\\boxed{Alien}", reader, GRAPH, None, k=2)
    assert plain["condition_satisfied"] is None
    both = summarise([{**plain, "tokens": 4, "seconds": 1.0}, {**plain, "condition_satisfied": 1.0, "tokens": 0,
                                                               "seconds": 1.0}])  # fmt: skip
    assert both["condition_satisfied"] == 1.0 and both["n"] == 2 and both["tokens_per_s"] == 2.0


def test_tiny_model_evaluation_resumes_and_refuses_mixed_settings(prepared, tokenizer, tmp_path, monkeypatch):
    data = TrainDataArguments(prepared=str(prepared), query_types=["explicit", "implicit"], max_queries=6)
    prompt = PromptConfig(max_candidates=4, max_facts=8)
    cfg = EvalConfig(output_dir=str(tmp_path / "ev"), batch_size=4, max_new_tokens=6)
    model = tiny_model(tokenizer)
    metrics = evaluate(data, prompt, cfg, "tiny", model, tokenizer)
    assert metrics["all"]["n"] == 6 and {"explicit", "implicit"} <= set(metrics)
    assert metrics["all"]["format"] == 0.0  # a random model writes no box
    assert metrics["all"]["reward"] == pytest.approx(0.1 * -0.5 - 0.5)  # the training reward: no box, no answer
    path = tmp_path / "ev" / "predictions.jsonl"
    lines = path.read_text().splitlines()
    assert len(lines) == 6
    path.write_text("\n".join(lines[:4]) + "\n" + lines[4][:10])  # a kill mid-write
    generated = []
    real = harness.generate_batches

    def counting(model, tok, prompts, *args):
        generated.extend(prompts)
        yield from real(model, tok, prompts, *args)

    monkeypatch.setattr(harness, "generate_batches", counting)
    again = evaluate(data, prompt, cfg, "tiny", model, tokenizer)
    assert len(generated) == 2 and again["all"]["n"] == 6
    assert len([json.loads(line) for line in path.read_text().splitlines()]) == 6
    with pytest.raises(ValueError, match="other settings"):
        evaluate(data, prompt, cfg, "another-model", model, tokenizer)
    monkeypatch.setattr(harness, "generate_batches", None)  # scoring again generates nothing
    checked = rescore(tmp_path / "ev", tmp_path / "checked", graph_check=True)
    assert checked["all"]["n"] == 6 and checked["all"]["graph_led"] == 0.0  # no box: nothing to lead
    assert json.loads((tmp_path / "checked" / "eval_settings.json").read_text())["graph_check"] is True
    with pytest.raises(ValueError, match="change what is generated"):
        rescore(tmp_path / "ev", tmp_path / "longer", max_new_tokens=12)


@pytest.mark.parametrize(
    ("baseline", "mode"),
    [(b, "candidates") for b in ("random", "popularity", "lightgcn", "bm25", "kg-path")] + [("kg-path", "open")],
)
def test_baselines_run_through_the_harness(prepared, tmp_path, baseline, mode):
    data = TrainDataArguments(prepared=str(prepared), max_queries=40)
    cfg = EvalConfig(output_dir=str(tmp_path / mode), baseline=baseline, mode=mode)
    metrics = evaluate(data, PromptConfig(max_candidates=5), cfg, "unused")
    assert metrics["all"]["n"] == 40 and metrics["all"]["format"] == 1.0 and metrics["all"]["reward"] is None
    assert 0 <= metrics["all"]["hit@1"] <= 1
    scores = read_scores(tmp_path / mode)  # per query, for paired comparisons: the metrics are their means
    assert len(scores) == 40
    assert sum(s["hit@1"] for s in scores.values()) / 40 == pytest.approx(metrics["all"]["hit@1"])
    if baseline == "kg-path" and mode == "candidates":  # follows the true conditions: finds the positive among 5
        assert metrics["explicit"]["hit@1"] == 1.0
    if baseline == "kg-path" and mode == "open":
        # Share of each top 10 meeting every condition: as high as the catalog allows, since a condition naming a
        # director with 3 films caps a query's share at 0.3.
        ds = RecDataset.load(prepared)
        explicit = [q for q in read_queries(prepared / "queries" / "test.parquet") if q["type"] == "explicit"][:8]
        pairs = [[(c["relation"], c["entity"]) for c in q["conditions"]] for q in explicit]
        met = [sum(ds.graph.satisfies(i, p) for i in ds.catalog.ids) for p in pairs]
        best = sum(min(10, n) / 10 for n in met) / len(met)
        assert metrics["explicit"]["condition_satisfied"] == pytest.approx(best)
    assert json.loads((tmp_path / mode / "eval_settings.json").read_text())["model"] == f"baseline:{baseline}"


def test_candidates_mode_measures_against_the_shown_candidates_only():
    row = {**ROW, "ground_truth": ROW["ground_truth"] + [{"item_id": "9", "title": "Solaris (1972)"}]}
    scores = score_row(row, "\\boxed{Alien; Jaws}", AnswerReader(TitleIndex(CATALOG)), GRAPH, None, k=2)
    assert scores["ndcg@2"] == 1.0 and scores["recall@2"] == 1.0


class StandInLLM:
    """Records what `generate_batches_vllm` asks of vLLM's offline engine and answers like `LLM.chat` does."""

    calls: list = []

    def __init__(self, model, seed, trust_remote_code):
        self.calls.append(("init", model, seed, trust_remote_code))

    def chat(self, conversations, params, use_tqdm):
        self.calls.append(("chat", len(conversations), params.temperature, params.max_tokens))
        out = types.SimpleNamespace(text="Step 1: ...\n\\boxed{x}", token_ids=[1, 2, 3])
        return [types.SimpleNamespace(outputs=[out]) for _ in conversations]


def test_vllm_backend_batches_greedy_chat_requests(prepared, tmp_path, monkeypatch):
    stand_in = types.ModuleType("vllm")
    stand_in.LLM = StandInLLM
    stand_in.SamplingParams = lambda temperature, max_tokens: types.SimpleNamespace(
        temperature=temperature, max_tokens=max_tokens
    )
    monkeypatch.setitem(sys.modules, "vllm", stand_in)
    StandInLLM.calls = []
    data = TrainDataArguments(prepared=str(prepared), query_types=["explicit"], max_queries=5)
    cfg = EvalConfig(output_dir=str(tmp_path / "ev"), backend="vllm", batch_size=2, max_new_tokens=7)
    model = str(tmp_path / "some-model")
    (tmp_path / "some-model").mkdir()  # a path that names no folder is refused before vLLM is asked
    metrics = evaluate(data, PromptConfig(max_candidates=5), cfg, model, trust_remote_code=True)
    assert StandInLLM.calls == [("init", model, 0, True)] + [("chat", n, 0.0, 7) for n in (2, 2, 1)]
    assert metrics["all"]["n"] == 5 and metrics["all"]["format"] == 1.0 and metrics["all"]["mean_tokens"] == 3
    assert metrics["all"]["reward"] == pytest.approx(0.1 * 0.5 - 0.5)  # boxed, but "x" is no candidate
    with pytest.raises(ValueError, match="backend='tgi'"):
        EvalConfig(backend="tgi")


def test_vllm_backend_says_how_to_get_vllm(prepared, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # import fails as if not installed
    data = TrainDataArguments(prepared=str(prepared), query_types=["explicit"], max_queries=2)
    cfg = EvalConfig(output_dir=str(tmp_path / "ev"), backend="vllm")
    (tmp_path / "m").mkdir()
    with pytest.raises(RuntimeError, match="pip install vllm"):
        evaluate(data, PromptConfig(max_candidates=5), cfg, str(tmp_path / "m"))
