"""`rerec demo` helpers: answers shown with their steps marked and the graph check's lead, and stages skipped
when done."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

from test_verifier import CATALOG, GRAPH

from rerec.demo import Stages, annotated, examples
from rerec.task.graph_check import confirmed
from rerec.task.prompts import PromptConfig
from rerec.task.rows import TrainDataArguments, load_split
from rerec.task.verifier import StepVerifier, mentioned_entities, state, step_claims


def test_answers_are_shown_with_marked_steps():
    verifier = StepVerifier(GRAPH, CATALOG, ["1", "2", "3"])
    text = "Step 1: Jaws (1975) was directed by m.spielberg.\nStep 2: Alien (1979) was directed by m.spielberg.\n"
    text += "Step 3: so Jaws.\n\\boxed{Jaws (1975)}"
    assert annotated(text, step_claims(verifier, text)) == [
        "  ✓ Step 1: Jaws (1975) was directed by m.spielberg.",
        "  ✗ Step 2: Alien (1979) was directed by m.spielberg.",
        "  · Step 3: so Jaws.",
        "  → Jaws (1975)",
    ]
    assert annotated("no answer", step_claims(verifier, "no answer"))[-1] == "  → (no boxed answer)"


def test_stages_skip_work_already_done(caplog):
    calls = []
    stages = Stages()
    with caplog.at_level(logging.INFO, logger="rerec.demo"):
        stages.run("a", True, lambda: calls.append("a"))
        stages.run("b", False, lambda: calls.append("b"))
    assert calls == ["b"] and "a: already done, skipped" in caplog.text


def test_examples_say_when_the_graph_check_changes_the_lead(prepared, tmp_path):
    """A boxed wrong candidate whose step the graph refutes: the example names the one candidate the graph
    confirms for the query, as `rerec eval --graph_check` puts it first."""
    data = TrainDataArguments(str(prepared), ["explicit"], 30)
    rows, ds = load_split(data, PromptConfig(), "candidates", "test")

    def ids(row):
        return [c["item_id"] for c in row["candidates"]]

    row = next(r for r in rows if confirmed(ds.graph, r["query"], ids(r)) == [r["positive_id"]])
    entity = mentioned_entities(ds.graph, row["query"])[0]
    relation = next(r for r in ds.graph.relations_of(entity) if state("X", r, "Y"))
    wrong = next(i for i in ids(row) if ds.graph.entities(i, relation) and not ds.graph.has(i, relation, entity))
    title = ds.catalog[wrong].display_title
    step = state(title, relation, ds.graph.name(entity))
    record = {"id": row["id"], "completion": f"Step 1: {step}\n\\boxed{{{title}}}"}
    (tmp_path / "predictions.jsonl").write_text(json.dumps(record) + "\n")
    settings = (
        asdict(data) | asdict(PromptConfig()) | {"mode": "candidates", "split": "test", "grounding_threshold": 0.85}
    )
    (tmp_path / "eval_settings.json").write_text(json.dumps(settings))
    text = examples(tmp_path)
    assert "  ✗ Step 1:" in text and f"  → {title}" in text
    assert f"the graph check puts first {ds.catalog[row['positive_id']].display_title}:" in text
